package pipeline

import (
	"fmt"
	"sync"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// frameScaler turns decoded pictures of one size into output-sized frames, straight from the
// YUV planes: only output pixels are ever converted to RGB (by the encoder). When the source's
// chroma planes are at least as large as the output, they are scaled to one sample per output
// pixel (4:4:4), keeping colour detail that 4:2:0 at 80 px would halve; otherwise the output is
// 4:2:0 too. One scaler serves one goroutine; the decode stage may run several.
//
// Pictures deeper than 8 bits are rounded to 8 bits once, from the exact area averages
// (resize_deep.go); HDR and wide-gamut ones are converted to BT.709 SDR per output pixel
// (tonemap.go), and come out 4:4:4 whatever their size.
type frameScaler struct {
	srcW, srcH int
	dstW, dstH int
	fullChroma bool
	y, c       *planeScaler
	deep       [2]*deepPlane // for y and c, made with the first deep or converted picture
	color      *colorConverter
}

func newFrameScaler(srcW, srcH, dstW, dstH int) (*frameScaler, error) {
	y, err := newPlaneScaler(srcW, srcH, dstW, dstH)
	if err != nil {
		return nil, err
	}
	// Chroma planes of 4:2:0 pictures are half size, rounded up, on both sides.
	cw, ch := (srcW+1)/2, (srcH+1)/2
	full := cw >= dstW && ch >= dstH
	dcw, dch := dstW, dstH
	if !full {
		dcw, dch = (dstW+1)/2, (dstH+1)/2
	}
	c, err := newPlaneScaler(cw, ch, dcw, dch)
	if err != nil {
		return nil, err
	}
	return &frameScaler{srcW: srcW, srcH: srcH, dstW: dstW, dstH: dstH, fullChroma: full, y: y, c: c}, nil
}

// scale returns the picture at the output size, in planes of its own.
func (s *frameScaler) scale(p *yuv.Picture) (*gifenc.YCbCr, error) {
	if p.Width != s.srcW || p.Height != s.srcH {
		return nil, fmt.Errorf("pipeline: picture size changed from %dx%d to %dx%d mid-stream",
			s.srcW, s.srcH, p.Width, p.Height)
	}
	if p.BitDepth < 8 || p.BitDepth > 16 {
		return nil, fmt.Errorf("pipeline: picture of %d bits per sample", p.BitDepth)
	}
	if needsColorConversion(p.Color) {
		return s.scaleConverted(p), nil
	}
	cw, ch := s.c.dstW, s.c.dstH
	out := s.newOutput(cw, ch)
	out.FullRange, out.FullChroma = p.Color.FullRange, s.fullChroma
	if p.Color.Matrix == yuv.MatrixBT709 {
		out.Matrix = gifenc.BT709
	}
	if !p.HighBitDepth() {
		s.y.scale(out.Y, p.Y, p.YStride)
		s.c.scale(out.Cb, p.Cb, p.CStride)
		s.c.scale(out.Cr, p.Cr, p.CStride)
		return out, nil
	}
	for i, plane := range []struct {
		dst []byte
		src []uint16
	}{{out.Y, p.Y16}, {out.Cb, p.Cb16}, {out.Cr, p.Cr16}} {
		d, stride := s.deepPlane(i), p.YStride
		if i > 0 {
			stride = p.CStride
		}
		div := planeSums(d, plane.src, stride)
		newQuantiser(p.BitDepth, p.Color.FullRange, i > 0).quantise(plane.dst, d.sums, div)
	}
	return out, nil
}

// deepPlane is the deep scaler of plane i: 0 luma, 1 and 2 chroma.
func (s *frameScaler) deepPlane(i int) *deepPlane {
	k, ps := min(i, 1), s.y
	if k == 1 {
		ps = s.c
	}
	if s.deep[k] == nil {
		s.deep[k] = newDeepPlane(ps)
	}
	return s.deep[k]
}

// newOutput allocates the planes of one output frame, chroma planes of cw x ch.
func (s *frameScaler) newOutput(cw, ch int) *gifenc.YCbCr {
	buf := make([]byte, s.dstW*s.dstH+2*cw*ch)
	return &gifenc.YCbCr{
		Y:       buf[:s.dstW*s.dstH],
		Cb:      buf[s.dstW*s.dstH:][:cw*ch],
		Cr:      buf[s.dstW*s.dstH+cw*ch:],
		YStride: s.dstW,
		CStride: cw,
		Matrix:  gifenc.BT601,
	}
}

// scaleConverted scales an HDR or wide-gamut picture's planes to exact averages, then converts
// every output pixel to full-range BT.709 SDR, 4:4:4 (a pixel's chroma is that of the chroma
// sample it lies in when the source's chroma is smaller than the output).
func (s *frameScaler) scaleConverted(p *yuv.Picture) *gifenc.YCbCr {
	if s.color == nil || s.color.color != p.Color || s.color.maxCode != float64(uint64(1)<<p.BitDepth-1) {
		s.color = newColorConverter(p.Color, p.BitDepth)
	}
	planes := [3][]float64{}
	for i := range planes {
		d, stride := s.deepPlane(i), p.YStride
		if i > 0 {
			stride = p.CStride
		}
		var div uint64
		switch {
		case !p.HighBitDepth():
			div = planeSums(d, [][]byte{p.Y, p.Cb, p.Cr}[i], stride)
		default:
			div = planeSums(d, [][]uint16{p.Y16, p.Cb16, p.Cr16}[i], stride)
		}
		avg := make([]float64, len(d.sums))
		for j, v := range d.sums {
			avg[j] = float64(v) / float64(div)
		}
		planes[i] = avg
	}
	out := s.newOutput(s.dstW, s.dstH)
	out.Matrix, out.FullRange, out.FullChroma = gifenc.BT709, true, true
	cw := s.c.dstW
	for y := range s.dstH {
		cy := y * s.c.dstH / s.dstH
		for x := range s.dstW {
			ci := cy*cw + x*cw/s.dstW
			i := y*s.dstW + x
			out.Y[i], out.Cb[i], out.Cr[i] = s.color.convert(planes[0][i], planes[1][ci], planes[2][ci])
		}
	}
	return out
}

// newFrameConverter returns the function the decode stage turns pictures into outW x outH frames
// with, in process or in a decode worker alike, so that both make the same bytes. Each decoding
// goroutine gets its own scaler (they keep a row buffer).
func newFrameConverter(outW, outH int) func(*yuv.Picture) (*gifenc.YCbCr, error) {
	scalers := sync.Pool{New: func() any { return (*frameScaler)(nil) }}
	return func(p *yuv.Picture) (*gifenc.YCbCr, error) {
		s := scalers.Get().(*frameScaler)
		if s == nil || s.srcW != p.Width || s.srcH != p.Height {
			var err error
			if s, err = newFrameScaler(p.Width, p.Height, outW, outH); err != nil {
				return nil, err
			}
		}
		defer scalers.Put(s)
		return s.scale(p)
	}
}
