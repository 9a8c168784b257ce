package pipeline

import (
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// Luma and chroma edges at the same place in the source land at the same output column in a
// 4:4:4 output (chroma is not shifted or smeared against luma).
func TestFrameScalerEdgesAlign(t *testing.T) {
	const w, h = 1280, 1280
	p := &yuv.Picture{Width: w, Height: h, BitDepth: 8, Y: make([]byte, w*h), Cb: make([]byte, w/2*h/2), Cr: make([]byte, w/2*h/2), YStride: w, CStride: w / 2}
	for y := range h {
		for x := range w {
			if x >= 640 {
				p.Y[y*w+x] = 200
			}
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			if x >= 320 {
				p.Cb[y*w/2+x] = 200
			}
		}
	}
	s, err := newFrameScaler(w, h, 80, 80)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.scale(p)
	if err != nil {
		t.Fatal(err)
	}
	if !out.FullChroma || out.CStride != 80 {
		t.Fatalf("1280 -> 80 output is not 4:4:4 (stride %d)", out.CStride)
	}
	for y := range 80 {
		for x := range 80 {
			want := byte(0)
			if x >= 40 {
				want = 200
			}
			if out.Y[y*80+x] != want || out.Cb[y*80+x] != want {
				t.Fatalf("(%d,%d): Y %d Cb %d, want both %d", x, y, out.Y[y*80+x], out.Cb[y*80+x], want)
			}
		}
	}
}
