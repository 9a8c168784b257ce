package quality

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"math"
	"testing"
	"time"
)

var (
	red         = color.RGBA{255, 0, 0, 255}
	green       = color.RGBA{0, 255, 0, 255}
	blue        = color.RGBA{0, 0, 255, 255}
	transparent = color.RGBA{}
)

// synthetic makes a 4x2 GIF of four frames that exercises what composition must get right:
//
//	0: whole screen red, 10 cs, disposal none
//	1: 2x1 patch at (1,0): green, then transparent, 20 cs, disposal previous
//	2: 1x1 patch at (3,1): blue, 10 cs, disposal background
//	3: 1x1 patch at (0,1): green, 30 cs
func synthetic(t *testing.T) []byte {
	t.Helper()
	pal := color.Palette{red, green, blue, transparent}
	frame := func(r image.Rectangle, idx ...uint8) *image.Paletted {
		m := image.NewPaletted(r, pal)
		copy(m.Pix, idx)
		return m
	}
	g := &gif.GIF{
		Image: []*image.Paletted{
			frame(image.Rect(0, 0, 4, 2), 0, 0, 0, 0, 0, 0, 0, 0),
			frame(image.Rect(1, 0, 3, 1), 1, 3),
			frame(image.Rect(3, 1, 4, 2), 2),
			frame(image.Rect(0, 1, 1, 2), 1),
		},
		Delay:    []int{10, 20, 10, 30},
		Disposal: []byte{gif.DisposalNone, gif.DisposalPrevious, gif.DisposalBackground, gif.DisposalNone},
		Config:   image.Config{Width: 4, Height: 2, ColorModel: pal},
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rgb(cs ...color.RGBA) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, c.R, c.G, c.B)
	}
	return out
}

func TestDecodeGIFComposes(t *testing.T) {
	a, err := DecodeGIF(bytes.NewReader(synthetic(t)))
	if err != nil {
		t.Fatal(err)
	}
	R, G, B, K := red, green, blue, color.RGBA{} // K: never drawn or cleared, shown black
	want := []struct {
		start time.Duration
		pix   []byte
	}{
		{0, rgb(R, R, R, R, R, R, R, R)},
		{100 * time.Millisecond, rgb(R, G, R, R, R, R, R, R)}, // transparent index keeps red
		{300 * time.Millisecond, rgb(R, R, R, R, R, R, R, B)}, // frame 1 disposed to previous
		{400 * time.Millisecond, rgb(R, R, R, R, G, R, R, K)}, // frame 2 cleared to transparent
	}
	if a.Width != 4 || a.Height != 2 || len(a.Frames) != len(want) {
		t.Fatalf("got %dx%d with %d frames, want 4x2 with %d", a.Width, a.Height, len(a.Frames), len(want))
	}
	for i, w := range want {
		f := a.Frames[i]
		if f.Start != w.start || !bytes.Equal(f.Pix, w.pix) {
			t.Errorf("frame %d: start %s pix %v, want %s %v", i, f.Start, f.Pix, w.start, w.pix)
		}
	}
	if d := a.Duration(); d != 700*time.Millisecond {
		t.Errorf("duration %s, want 700ms", d)
	}
	for _, tc := range []struct {
		t    time.Duration
		want int // frame index, -1 for none
	}{{0, 0}, {99 * time.Millisecond, 0}, {100 * time.Millisecond, 1}, {350 * time.Millisecond, 2}, {699 * time.Millisecond, 3}, {700 * time.Millisecond, -1}, {-1, -1}} {
		got := a.At(tc.t)
		switch {
		case tc.want < 0 && got != nil:
			t.Errorf("At(%s) = frame at %s, want none", tc.t, got.Start)
		case tc.want >= 0 && (got == nil || got.Start != a.Frames[tc.want].Start):
			t.Errorf("At(%s) = %v, want frame %d", tc.t, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	a, err := DecodeGIF(bytes.NewReader(synthetic(t)))
	if err != nil {
		t.Fatal(err)
	}
	// A reference at 10 fps: 7 frames over the 700 ms loop, the 8th past its end.
	var frames [][]byte
	for i := range 8 {
		f := a.At(time.Duration(i)*100*time.Millisecond + 50*time.Millisecond)
		if f == nil {
			f = &a.Frames[0]
		}
		frames = append(frames, append([]byte(nil), f.Pix...))
	}
	ref := &Reference{Width: 4, Height: 2, Rate: 10, Frames: frames}
	res, err := Compare(a, ref)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 7 || res.MeanPSNR != MaxPSNR || res.PooledPSNR != MaxPSNR || res.BlurredMeanPSNR != MaxPSNR {
		t.Fatalf("identical reference: %+v, want 7 frames at %g dB", res, MaxPSNR)
	}

	// Off by 16 in every sample of one frame of seven: that frame's MSE is 256 (24.05 dB), the
	// others are exact, so the pooled MSE is 256/7.
	for i := range ref.Frames[3] {
		ref.Frames[3][i] ^= 16
	}
	res, err = Compare(a, ref)
	if err != nil {
		t.Fatal(err)
	}
	wantMean := (6*MaxPSNR + 10*math.Log10(255*255/256.0)) / 7
	wantPooled := 10 * math.Log10(255*255/(256.0/7))
	if math.Abs(res.MeanPSNR-wantMean) > 1e-9 || math.Abs(res.PooledPSNR-wantPooled) > 1e-9 {
		t.Errorf("got mean %.4f pooled %.4f dB, want %.4f and %.4f", res.MeanPSNR, res.PooledPSNR, wantMean, wantPooled)
	}

	ref.Width = 5
	if _, err := Compare(a, ref); err == nil {
		t.Error("size mismatch not reported")
	}
}

func TestReadRGB24(t *testing.T) {
	raw := bytes.Repeat([]byte{1, 2, 3}, 2*2*3) // three 2x2 frames
	ref, err := ReadRGB24(bytes.NewReader(raw), 2, 2, 24)
	if err != nil || len(ref.Frames) != 3 {
		t.Fatalf("got %v frames, err %v; want 3", ref, err)
	}
	if _, err := ReadRGB24(bytes.NewReader(raw[:len(raw)-1]), 2, 2, 24); err == nil {
		t.Error("short last frame not reported")
	}
}

func TestBoxBlur3(t *testing.T) {
	// A single white pixel in the middle of 3x3 black spreads to 1/9 everywhere, and to 1/4 of
	// the 2x2 neighbourhoods at the corners, 1/6 at the edges.
	pix := make([]byte, 3*3*3)
	copy(pix[4*3:], []byte{255, 255, 255})
	out := BoxBlur3(pix, 3, 3)
	want := []byte{64, 43, 64, 43, 28, 43, 64, 43, 64}
	for i, w := range want {
		if out[i*3] != w {
			t.Errorf("pixel %d: %d, want %d", i, out[i*3], w)
		}
	}
}
