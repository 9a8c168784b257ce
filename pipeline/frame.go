package pipeline

import (
	"fmt"
	"sync"

	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// frameScaler turns decoded pictures of one size into output-sized frames, straight from the
// YUV planes: only output pixels are ever converted to RGB (by the encoder). When the source's
// chroma planes are at least as large as the output, they are scaled to one sample per output
// pixel (4:4:4), keeping colour detail that 4:2:0 at 80 px would halve; otherwise the output is
// 4:2:0 too. One scaler serves one goroutine; the decode stage may run several.
type frameScaler struct {
	srcW, srcH int
	dstW, dstH int
	fullChroma bool
	y, c       *planeScaler
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
func (s *frameScaler) scale(p *h264.Picture) (*gifenc.YCbCr, error) {
	if p.Width != s.srcW || p.Height != s.srcH {
		return nil, fmt.Errorf("pipeline: picture size changed from %dx%d to %dx%d mid-stream",
			s.srcW, s.srcH, p.Width, p.Height)
	}
	cw, ch := s.c.dstW, s.c.dstH
	buf := make([]byte, s.dstW*s.dstH+2*cw*ch)
	out := &gifenc.YCbCr{
		Y:          buf[:s.dstW*s.dstH],
		Cb:         buf[s.dstW*s.dstH:][:cw*ch],
		Cr:         buf[s.dstW*s.dstH+cw*ch:],
		YStride:    s.dstW,
		CStride:    cw,
		Matrix:     gifenc.BT601,
		FullRange:  p.Colour.FullRange,
		FullChroma: s.fullChroma,
	}
	if p.Colour.Matrix == h264.MatrixBT709 {
		out.Matrix = gifenc.BT709
	}
	s.y.scale(out.Y, p.Y, p.YStride)
	s.c.scale(out.Cb, p.Cb, p.CStride)
	s.c.scale(out.Cr, p.Cr, p.CStride)
	return out, nil
}

// newFrameConverter returns the function the decode stage turns pictures into outW x outH frames
// with, in process or in a decode worker alike, so that both make the same bytes. Each decoding
// goroutine gets its own scaler (they keep a row buffer).
func newFrameConverter(outW, outH int) func(*h264.Picture) (*gifenc.YCbCr, error) {
	scalers := sync.Pool{New: func() any { return (*frameScaler)(nil) }}
	return func(p *h264.Picture) (*gifenc.YCbCr, error) {
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
