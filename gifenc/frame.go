package gifenc

import (
	"fmt"
	"time"
)

// Frame is one picture of the animation.
type Frame struct {
	// Timestamp is when the frame starts showing, from the start of the GIF.
	Timestamp time.Duration
	// RGB holds packed R, G, B rows without padding: Width*Height*3 bytes.
	RGB []byte
	// YCbCr holds 4:2:0 planes instead; exactly one of RGB and YCbCr is set.
	YCbCr *YCbCr
}

// Matrix is the YCbCr to RGB matrix a frame was made with.
type Matrix int

const (
	// BT601 is ITU-R BT.601 (standard definition video).
	BT601 Matrix = iota
	// BT709 is ITU-R BT.709 (HD video, what H.264 covers normally signal).
	BT709
)

// YCbCr is a picture in 4:2:0 planes: chroma has half the width and height,
// rounded up, with sample (x/2, y/2) covering luma (x, y). With FullChroma the
// chroma planes have the luma's size (4:4:4) instead.
type YCbCr struct {
	Y, Cb, Cr []byte
	// YStride and CStride are the distances in bytes between rows of Y and of
	// Cb and Cr.
	YStride, CStride int
	Matrix           Matrix
	// FullRange is true for 0..255 samples, false for limited (16..235 luma,
	// 16..240 chroma) range.
	FullRange bool
	// FullChroma is set when Cb and Cr have one sample per pixel (4:4:4), as a
	// picture scaled down from 4:2:0 keeps more colour detail than 4:2:0 at the
	// output size can hold.
	FullChroma bool
}

// check reports whether f holds a picture of w x h pixels.
func (f *Frame) check(w, h int) error {
	switch {
	case f.RGB != nil && f.YCbCr != nil:
		return fmt.Errorf("%w: both RGB and YCbCr are set", ErrFrame)
	case f.RGB != nil:
		if len(f.RGB) != w*h*3 {
			return fmt.Errorf("%w: %d RGB bytes, want %dx%dx3 = %d", ErrFrame, len(f.RGB), w, h, w*h*3)
		}
		return nil
	case f.YCbCr != nil:
		return f.YCbCr.check(w, h)
	}
	return fmt.Errorf("%w: neither RGB nor YCbCr is set", ErrFrame)
}

func (p *YCbCr) check(w, h int) error {
	cw, ch := (w+1)/2, (h+1)/2
	if p.FullChroma {
		cw, ch = w, h
	}
	if p.Matrix != BT601 && p.Matrix != BT709 {
		return fmt.Errorf("%w: unknown matrix %d", ErrFrame, int(p.Matrix))
	}
	if p.YStride < w || p.CStride < cw {
		return fmt.Errorf("%w: strides %d/%d too small for width %d", ErrFrame, p.YStride, p.CStride, w)
	}
	if n := p.YStride*(h-1) + w; len(p.Y) < n {
		return fmt.Errorf("%w: Y plane has %d bytes, want at least %d", ErrFrame, len(p.Y), n)
	}
	n := p.CStride*(ch-1) + cw
	if len(p.Cb) < n || len(p.Cr) < n {
		return fmt.Errorf("%w: Cb/Cr planes have %d/%d bytes, want at least %d", ErrFrame, len(p.Cb), len(p.Cr), n)
	}
	return nil
}
