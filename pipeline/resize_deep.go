package pipeline

import "math/bits"

// Pictures of more than 8 bits per sample (HEVC Main 10) are scaled straight from their 16-bit
// planes: the weighted sums are exact integers, and each output sample is rounded once, from the
// exact area average to 8 bits (or kept exact for the colour conversion of tonemap.go), so no
// 8-bit copy of the full-size picture is ever made and no rounding error is added twice.

// sample is the type of a plane's samples: 8 bits, or up to 16 in a uint16.
type sample interface{ ~uint8 | ~uint16 }

// deepPlane scales one plane of deep samples (or, for the colour conversion, any samples) to
// exact area sums: with the planeScaler's block size and horizontal taps, and vertical taps of
// its own at the full weightBits (the 8-bit scaler's may be coarser, for its 16-bit lanes).
type deepPlane struct {
	s    *planeScaler
	y    areaTaps
	sums []uint64 // the output's area sums
}

func newDeepPlane(s *planeScaler) *deepPlane {
	return &deepPlane{s: s, y: newAreaTaps(s.srcH, s.dstH, weightBits), sums: make([]uint64, s.dstW*s.dstH)}
}

// planeSums writes into d.sums (dstW x dstH) the area-weighted sum of src's samples for every
// output sample, and returns the divisor that makes each an average: sums[i]/div is the exact
// area average, in the source's code values. Sums are exact: weights are integers (weightBits)
// and a 16-bit sample times a weight fits the 32-bit row accumulator (65535 * 2^14 < 2^32).
func planeSums[S sample](d *deepPlane, src []S, stride int) (div uint64) {
	s, out := d.s, d.sums
	if s.fx > 0 {
		fx, fy := s.fx, s.fy
		for oy := range s.dstH {
			row := out[oy*s.dstW:][:s.dstW]
			clear(row)
			for k := range fy {
				line := src[(oy*fy+k)*stride:][:s.srcW]
				for ox := range row {
					var sum uint64
					for _, v := range line[ox*fx : ox*fx+fx] {
						sum += uint64(v)
					}
					row[ox] += sum
				}
			}
		}
		return uint64(fx * fy)
	}
	acc := s.acc[:s.srcW]
	for oy := range s.dstH {
		clear(acc)
		first, n, off := int(d.y.first[oy]), int(d.y.count[oy]), int(d.y.offset[oy])
		for k := range n {
			w := uint32(d.y.weight[off+k])
			line := src[(first+k)*stride:][:s.srcW]
			for x, v := range line {
				acc[x] += uint32(v) * w
			}
		}
		row := out[oy*s.dstW:][:s.dstW]
		for ox := range row {
			xf, xn, xo := int(s.x.first[ox]), int(s.x.count[ox]), int(s.x.offset[ox])
			var sum uint64
			for k, a := range acc[xf : xf+xn] {
				sum += uint64(a) * uint64(s.x.weight[xo+k])
			}
			row[ox] = sum
		}
	}
	return 1 << (2 * weightBits)
}

// quantiser maps an exact area average of deep samples to the 8-bit sample of the same colour,
// rounding once to nearest: out = (sum*mul + add) / (div*den), for sum/div the average.
//
// Limited range (ITU-R BT.709 and BT.2020 quantisation, H.273 equations for
// video_full_range_flag 0) scales an 8-bit value by 2^(n-8), so the 8-bit sample is the n-bit
// average divided by 2^(n-8). Full range spans 0..2^n-1, so luma is scaled by 255/(2^n-1), and
// chroma, centred on 2^(n-1), by the same factor around 128.
type quantiser struct {
	mul, den uint64 // the 8-bit value is the n-bit value times mul/den
	offset   uint64 // added to the n-bit value times mul, in units of 1/den: full-range chroma's re-centring
}

func newQuantiser(depth int, fullRange, chroma bool) quantiser {
	if !fullRange {
		return quantiser{mul: 1, den: 1 << (depth - 8)}
	}
	max := uint64(1)<<depth - 1
	q := quantiser{mul: 255, den: max}
	if chroma {
		// 128 - 2^(n-1)*255/(2^n-1) = (2^(n-1) - 128) / (2^n-1)
		q.offset = uint64(1)<<(depth-1) - 128
	}
	return q
}

// quantise writes the 8-bit samples of the sums planeSums made with divisor div.
func (q quantiser) quantise(dst []byte, sums []uint64, div uint64) {
	d := div * q.den
	add := d/2 + q.offset*div
	if q.mul == 1 && d&(d-1) == 0 {
		// A power of two (limited range, the general path's 2^28): a shift, not a division.
		shift := bits.TrailingZeros64(d)
		for i, s := range sums {
			dst[i] = uint8(min((s+add)>>shift, 255))
		}
		return
	}
	for i, s := range sums {
		dst[i] = uint8(min((s*q.mul+add)/d, 255))
	}
}
