package pipeline

import "encoding/binary"

// Whole-ratio downscaling (1280 -> 80 luma, 640 -> 80 chroma: TIDAL's sizes are all multiples
// of 80) is a plain box filter: every source sample of a block weighs the same, so the sums need
// no multiplications, and 8 samples are added at a time inside one 64-bit word.

// maxSWARRows bounds the rows summed in 16-bit lanes before they are reduced: each lane holds
// the sum of two samples per row, so 128 rows stay below 65536 (2 * 255 * 128 = 65280).
const maxSWARRows = 128

// boxRatio returns the block size when src maps onto dst by a whole ratio on both axes.
func boxRatio(srcW, srcH, dstW, dstH int) (fx, fy int, ok bool) {
	if srcW%dstW != 0 || srcH%dstH != 0 {
		return 0, 0, false
	}
	return srcW / dstW, srcH / dstH, true
}

// scaleBox is scale for a whole ratio of fx x fy.
func (s *planeScaler) scaleBox(dst, src []byte, stride, fx, fy int) {
	switch {
	case fx%8 == 0 && fy <= maxSWARRows:
		s.scaleBoxWords(dst, src, stride, fx, fy)
		return
	case fx == 1 && fy == 1:
		for oy := range s.dstH {
			copy(dst[oy*s.dstW:][:s.dstW], src[oy*stride:][:s.srcW])
		}
		return
	case fx == 2 && fy == 2:
		s.scaleHalf(dst, src, stride)
		return
	}
	acc := s.acc[:s.dstW]
	n := uint32(fx * fy)
	for oy := range s.dstH {
		clear(acc)
		for k := range fy {
			row := src[(oy*fy+k)*stride:][:s.srcW]
			for ox := range acc {
				var sum uint32
				for _, v := range row[ox*fx : ox*fx+fx] {
					sum += uint32(v)
				}
				acc[ox] += sum
			}
		}
		out := dst[oy*s.dstW:][:s.dstW]
		for ox, a := range acc {
			out[ox] = uint8((a + n/2) / n)
		}
	}
}

// lanes selects the even bytes of a little-endian word as four 16-bit lanes.
const lanes = 0x00FF00FF00FF00FF

// scaleBoxWords is scaleBox for blocks a whole number of 8-byte words wide: each source row is
// read a word at a time and added, two samples per 16-bit lane, into one word per 8 source
// columns; after the block's rows, each output sample sums its words' lanes with one
// multiplication.
func (s *planeScaler) scaleBoxWords(dst, src []byte, stride, fx, fy int) {
	words := s.srcW / 8
	if len(s.words) < words {
		s.words = make([]uint64, words)
	}
	sums := s.words[:words]
	per := fx / 8 // words per output sample
	n := uint32(fx * fy)
	for oy := range s.dstH {
		clear(sums)
		for k := range fy {
			row := src[(oy*fy+k)*stride:][:8*words]
			for i := range sums {
				w := binary.LittleEndian.Uint64(row[8*i:])
				sums[i] += w&lanes + (w>>8)&lanes
			}
		}
		out := dst[oy*s.dstW:][:s.dstW]
		for ox := range out {
			var a uint32
			for _, w := range sums[ox*per : ox*per+per] {
				// Lanes sum to at most 4 * 65280: fold in 32 bits, not 16.
				a += uint32(w&0xFFFF + w>>16&0xFFFF + w>>32&0xFFFF + w>>48)
			}
			out[ox] = uint8((a + n/2) / n)
		}
	}
}

// scaleHalf is scaleBox for 2x2 blocks (TIDAL's 160 px rendition to 80 px, and the chroma of the
// 320 px one): four output samples from one word of each of two rows, the pairs of a row summed
// in 16-bit lanes.
func (s *planeScaler) scaleHalf(dst, src []byte, stride int) {
	words := s.dstW / 4 // output samples of whole words; the rest one by one
	for oy := range s.dstH {
		a := src[2*oy*stride:][:s.srcW]
		b := src[(2*oy+1)*stride:][:s.srcW]
		out := dst[oy*s.dstW:][:s.dstW]
		for i := range words {
			wa := binary.LittleEndian.Uint64(a[8*i:])
			wb := binary.LittleEndian.Uint64(b[8*i:])
			// Each lane: the sum of a 2x2 block, at most 1020, plus 2 to round.
			sum := wa&lanes + (wa>>8)&lanes + wb&lanes + (wb>>8)&lanes + 0x0002000200020002
			q := (sum >> 2) & lanes
			binary.LittleEndian.PutUint32(out[4*i:], uint32(q|q>>8)&0xFFFF|uint32((q|q>>8)>>32)<<16)
		}
		for ox := 4 * words; ox < s.dstW; ox++ {
			sum := uint32(a[2*ox]) + uint32(a[2*ox+1]) + uint32(b[2*ox]) + uint32(b[2*ox+1])
			out[ox] = uint8((sum + 2) >> 2)
		}
	}
}
