package pipeline

import "encoding/binary"

// Whole-ratio downscaling (1280 -> 80 luma, 640 -> 80 chroma: TIDAL's sizes are all multiples
// of 80) is a plain box filter: every source sample of a block weighs the same, so the sums need
// no multiplications, and 8 samples are added at a time inside one 64-bit word.

// maxSWARBlock bounds the block width summed in 64-bit words: four 16-bit lanes, each holding the
// sum of two samples per word added, must not overflow when added together at the end
// (4 * 510 * width/8 < 65536).
const maxSWARBlock = 128

// boxRatio returns the block size when src maps onto dst by a whole ratio on both axes.
func boxRatio(srcW, srcH, dstW, dstH int) (fx, fy int, ok bool) {
	if srcW%dstW != 0 || srcH%dstH != 0 {
		return 0, 0, false
	}
	return srcW / dstW, srcH / dstH, true
}

// scaleBox is scale for a whole ratio of fx x fy.
func (s *planeScaler) scaleBox(dst, src []byte, stride, fx, fy int) {
	acc := s.acc[:s.dstW]
	n := uint32(fx * fy)
	for oy := range s.dstH {
		clear(acc)
		for k := range fy {
			row := src[(oy*fy+k)*stride:][:s.srcW]
			if fx%8 == 0 && fx <= maxSWARBlock {
				addBlockSums8(acc, row, fx)
			} else {
				addBlockSums(acc, row, fx)
			}
		}
		out := dst[oy*s.dstW:][:s.dstW]
		for ox, a := range acc {
			out[ox] = uint8((a + n/2) / n)
		}
	}
}

// addBlockSums adds the sum of each run of fx samples of row to acc.
func addBlockSums(acc []uint32, row []byte, fx int) {
	for ox := range acc {
		var sum uint32
		for _, v := range row[ox*fx : ox*fx+fx] {
			sum += uint32(v)
		}
		acc[ox] += sum
	}
}

// addBlockSums8 is addBlockSums for fx a multiple of 8: each 8 bytes are read as one word, added
// in pairs into four 16-bit lanes, and the lanes summed with one multiplication at the end.
func addBlockSums8(acc []uint32, row []byte, fx int) {
	const lanes = 0x00FF00FF00FF00FF
	for ox := range acc {
		block := row[ox*fx : ox*fx+fx]
		var pairs uint64
		for i := 0; i+8 <= len(block); i += 8 {
			w := binary.LittleEndian.Uint64(block[i:])
			pairs += w&lanes + (w>>8)&lanes
		}
		acc[ox] += uint32((pairs * 0x0001000100010001) >> 48)
	}
}
