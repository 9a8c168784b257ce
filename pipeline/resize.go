package pipeline

import (
	"fmt"

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

// weightBits is the fixed-point precision of area weights: a source sample's share of one
// output sample is weight / 1<<weightBits.
const weightBits = 14

// areaTaps says, for every output sample along one axis, which source samples it covers and how
// much of each: area averaging, each source sample weighted by the part of its extent that
// falls inside the output sample's extent. Weights of one output sample sum to 1<<weightBits.
type areaTaps struct {
	first  []int32 // first source index of output sample i
	count  []int32 // how many source samples output i covers
	weight []int32 // count[i] weights per output sample, concatenated
	offset []int32 // where output i's weights start in weight
}

// newAreaTaps maps src samples onto dst samples (dst <= src) by area. A chroma plane of a 4:2:0
// picture with an odd luma size maps onto the same output extent with srcScale = its own size.
func newAreaTaps(src, dst int) areaTaps {
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
		total, assigned := int64(hi-lo), int64(0)
		for j := j0; j < j1; j++ {
			a, b := max(lo, j*dst), min(hi, (j+1)*dst)
			w := int64(b-a) << weightBits / total
			if j == j1-1 {
				w = 1<<weightBits - assigned // rounding leftovers go to the last tap
			}
			assigned += w
			t.weight = append(t.weight, int32(w))
		}
	}
	return t
}

// planeScaler scales one 8-bit plane from a fixed source size to a fixed output size by area
// averaging. It keeps its taps and a row accumulator, so scaling a frame allocates nothing.
type planeScaler struct {
	srcW, srcH, dstW, dstH int
	x, y                   areaTaps
	acc                    []uint32 // one source-width row of vertically weighted sums
	fx, fy                 int      // block size when the ratio is whole on both axes, else 0
	words                  []uint64 // row sums in 16-bit lanes, for scaleBoxWords
}

func newPlaneScaler(srcW, srcH, dstW, dstH int) (*planeScaler, error) {
	if dstW < 1 || dstH < 1 || dstW > srcW || dstH > srcH {
		return nil, fmt.Errorf("pipeline: cannot scale %dx%d to %dx%d", srcW, srcH, dstW, dstH)
	}
	s := &planeScaler{
		srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH,
		x:   newAreaTaps(srcW, dstW),
		y:   newAreaTaps(srcH, dstH),
		acc: make([]uint32, srcW),
	}
	if fx, fy, ok := boxRatio(srcW, srcH, dstW, dstH); ok {
		s.fx, s.fy = fx, fy
	}
	return s, nil
}

// scale writes the dstW x dstH scaled plane into dst (row stride dstW) from src (row stride
// stride). Vertical weights are applied first, row by row, so the source is read once in order.
func (s *planeScaler) scale(dst, src []byte, stride int) {
	if s.fx > 0 {
		s.scaleBox(dst, src, stride, s.fx, s.fy)
		return
	}
	acc := s.acc
	for oy := range s.dstH {
		clear(acc)
		first, n, off := int(s.y.first[oy]), int(s.y.count[oy]), int(s.y.offset[oy])
		for k := range n {
			w := uint32(s.y.weight[off+k])
			row := src[(first+k)*stride:][:s.srcW]
			for x, v := range row {
				acc[x] += uint32(v) * w
			}
		}
		out := dst[oy*s.dstW:][:s.dstW]
		for ox := range s.dstW {
			xf, xn, xo := int(s.x.first[ox]), int(s.x.count[ox]), int(s.x.offset[ox])
			var sum uint64
			for k, a := range acc[xf : xf+xn] {
				sum += uint64(a) * uint64(s.x.weight[xo+k])
			}
			out[ox] = uint8((sum + 1<<(2*weightBits-1)) >> (2 * weightBits))
		}
	}
}
