package pipeline

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/musicpresence/animated-album-covers/codec"
)

// outputSize is the size of the GIF of a w x h picture whose samples have the shape aspect: the
// picture as it is shown (aspect.DisplaySize) scaled to fit a box x box square, never larger
// than the picture along either axis (the resizer only shrinks). A 320x240 picture of 4:3
// samples is shown at 427x240 (16:9) and becomes 80x45.
func outputSize(w, h int, aspect codec.AspectRatio, box int) (int, int) {
	// The display shape as exact integers: w*aw : h*ah.
	dw, dh := int64(w), int64(h)
	if !aspect.Square() {
		dw, dh = dw*int64(aspect.Width), dh*int64(aspect.Height)
	}
	limW, limH := int64(min(w, box)), int64(min(h, box))
	if dw*limH >= dh*limW {
		return int(limW), int(max(1, (limW*dh+dw/2)/dw))
	}
	return int(max(1, (limH*dw+dh/2)/dh)), int(limH)
}

// weightBits is the fixed-point precision of the horizontal area weights: a source sample's
// share of one output sample is weight / 1<<weightBits.
const weightBits = 14

// rowWeightBits is the precision of the vertical weights when an output row covers at most
// maxLaneRows source rows. A column's weighted sum over them is then at most 255 <<
// rowWeightBits = 65280, which fits a 16-bit lane: the vertical pass adds four columns at once
// in a 64-bit word (scale). A row's share, at least 1/9, is then within 2% of exact, which moves
// an output sample by less than a level. Larger ratios (1280 to 45, say; whole ratios take the
// box paths) keep weightBits, one column at a time.
const (
	rowWeightBits = 8
	maxLaneRows   = 9
)

// areaTaps says, for every output sample along one axis, which source samples it covers and how
// much of each: area averaging, each source sample weighted by the part of its extent that
// falls inside the output sample's extent. Weights of one output sample sum to 1<<bits.
type areaTaps struct {
	first  []int32 // first source index of output sample i
	count  []int32 // how many source samples output i covers
	weight []int32 // count[i] weights per output sample, concatenated
	offset []int32 // where output i's weights start in weight
	// dense holds each output sample's weights padded with zeros to denseTaps, when no output
	// covers more (for apply); nil otherwise.
	dense [][denseTaps]uint16
}

// newAreaTaps maps src samples onto dst samples (dst <= src) by area. A chroma plane of a 4:2:0
// picture with an odd luma size maps onto the same output extent with srcScale = its own size.
func newAreaTaps(src, dst, bits int) areaTaps {
	t := areaTaps{
		first:  make([]int32, dst),
		count:  make([]int32, dst),
		offset: make([]int32, dst),
	}
	// Work in units of 1/dst of a source sample so every boundary is an integer: output i spans
	// [i*src, (i+1)*src) in these units and source j spans [j*dst, (j+1)*dst).
	for i := range dst {
		lo, hi := i*src, (i+1)*src
		j0, j1 := lo/dst, (hi+dst-1)/dst
		t.first[i] = int32(j0)
		t.count[i] = int32(j1 - j0)
		t.offset[i] = int32(len(t.weight))
		// Each tap is the rounded end of its share less the rounded end of the shares before
		// it: the weights sum to 1<<bits exactly, and no tap takes more than half a unit of
		// rounding.
		total := int64(hi - lo)
		round := func(n int64) int64 { return (n<<bits + total/2) / total }
		for j := j0; j < j1; j++ {
			a, b := max(lo, j*dst), min(hi, (j+1)*dst)
			t.weight = append(t.weight, int32(round(int64(b-lo))-round(int64(a-lo))))
		}
	}
	if slices.Max(t.count) <= denseTaps && bits <= 16 {
		t.dense = make([][denseTaps]uint16, dst)
		for i := range dst {
			for k := range t.count[i] {
				t.dense[i][k] = uint16(t.weight[int(t.offset[i])+int(k)])
			}
		}
	}
	return t
}

// denseTaps is the most source samples an output sample covers for apply's fixed eight-tap
// loop (ratios up to 7 to 1): fixed-size views let the compiler drop every bounds check.
const denseTaps = 8

// apply sets each out[i] to the sum of its source samples in acc times their weights, shifted
// right by shift with rounding. acc must hold denseTaps-1 samples past the last one covered.
func (t *areaTaps) apply(out []byte, acc []uint32, shift uint) {
	half := uint64(1) << (shift - 1)
	if t.dense != nil {
		first, dense := t.first[:len(out)], t.dense[:len(out)]
		for i := range out {
			a := (*[denseTaps]uint32)(acc[first[i]:])
			w := &dense[i]
			// Written out: the compiler does not unroll loops.
			sum := uint64(a[0])*uint64(w[0]) + uint64(a[1])*uint64(w[1]) + uint64(a[2])*uint64(w[2]) + uint64(a[3])*uint64(w[3]) +
				uint64(a[4])*uint64(w[4]) + uint64(a[5])*uint64(w[5]) + uint64(a[6])*uint64(w[6]) + uint64(a[7])*uint64(w[7])
			out[i] = uint8((sum + half) >> shift)
		}
		return
	}
	for i := range out {
		src := acc[t.first[i]:][:t.count[i]]
		ws := t.weight[t.offset[i]:][:len(src)]
		var sum uint64
		for k, a := range src {
			sum += uint64(a) * uint64(ws[k])
		}
		out[i] = uint8((sum + half) >> shift)
	}
}

// planeScaler scales one 8-bit plane from a fixed source size to a fixed output size by area
// averaging. It keeps its taps and a row accumulator, so scaling a frame allocates nothing.
type planeScaler struct {
	srcW, srcH, dstW, dstH int
	x, y                   areaTaps
	acc                    []uint32 // one source-width row of vertically weighted sums
	fx, fy                 int      // block size when the ratio is whole on both axes, else 0
	words                  []uint64 // row sums in 16-bit lanes, for scale and scaleBoxWords
	lanes                  bool     // the vertical pass runs in 16-bit lanes (rowWeightBits)
	yBits                  int      // precision of y's weights
}

func newPlaneScaler(srcW, srcH, dstW, dstH int) (*planeScaler, error) {
	if dstW < 1 || dstH < 1 || dstW > srcW || dstH > srcH {
		return nil, fmt.Errorf("pipeline: cannot scale %dx%d to %dx%d", srcW, srcH, dstW, dstH)
	}
	s := &planeScaler{
		srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH,
		x:   newAreaTaps(srcW, dstW, weightBits),
		acc: make([]uint32, srcW+denseTaps-1),
	}
	s.y, s.yBits = newAreaTaps(srcH, dstH, weightBits), weightBits
	if slices.Max(s.y.count) <= maxLaneRows {
		s.y, s.yBits, s.lanes = newAreaTaps(srcH, dstH, rowWeightBits), rowWeightBits, true
	}
	if fx, fy, ok := boxRatio(srcW, srcH, dstW, dstH); ok {
		s.fx, s.fy = fx, fy
	}
	return s, nil
}

// scale writes the dstW x dstH scaled plane into dst (row stride dstW) from src (row stride
// stride). Vertical weights are applied first, row by row, so the source is read once in order:
// eight columns at a time from one 64-bit word, the even and the odd bytes each in four 16-bit
// lanes multiplied by the row's weight at once (no lane can carry into the next: see
// rowWeightBits); then each output sample sums its columns with the horizontal weights.
func (s *planeScaler) scale(dst, src []byte, stride int) {
	if s.fx > 0 {
		s.scaleBox(dst, src, stride, s.fx, s.fy)
		return
	}
	words := s.srcW / 8
	if !s.lanes {
		words = 0 // every column in acc, one at a time
	}
	if len(s.words) < 2*words {
		s.words = make([]uint64, 2*words)
	}
	even, odd := s.words[:words], s.words[words:2*words]
	acc := s.acc[:s.srcW]
	for oy := range s.dstH {
		clear(even)
		clear(odd)
		clear(acc[8*words:])
		first, n, off := int(s.y.first[oy]), int(s.y.count[oy]), int(s.y.offset[oy])
		for k := range n {
			w := uint64(s.y.weight[off+k])
			row := src[(first+k)*stride:][:s.srcW]
			odd := odd[:len(even)]
			for i := range even {
				v := binary.LittleEndian.Uint64(row[8*i:])
				even[i] += (v & lanes) * w
				odd[i] += (v >> 8 & lanes) * w
			}
			for x := 8 * words; x < len(row); x++ {
				acc[x] += uint32(row[x]) * uint32(w)
			}
		}
		for i, e := range even {
			o := odd[i]
			a := (*[8]uint32)(acc[8*i:])
			a[0], a[1], a[2], a[3] = uint32(e&0xFFFF), uint32(o&0xFFFF), uint32(e>>16&0xFFFF), uint32(o>>16&0xFFFF)
			a[4], a[5], a[6], a[7] = uint32(e>>32&0xFFFF), uint32(o>>32&0xFFFF), uint32(e>>48), uint32(o>>48)
		}
		s.x.apply(dst[oy*s.dstW:][:s.dstW], s.acc, uint(s.yBits+weightBits))
	}
}
