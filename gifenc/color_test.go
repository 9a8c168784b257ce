package gifenc

import (
	"bytes"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestYCbCrToRGB(t *testing.T) {
	tests := []struct {
		name      string
		m         Matrix
		full      bool
		y, cb, cr byte
		want      [3]byte
	}{
		{"709 limited white", BT709, false, 235, 128, 128, [3]byte{255, 255, 255}},
		{"709 limited black", BT709, false, 16, 128, 128, [3]byte{0, 0, 0}},
		{"709 limited red", BT709, false, 63, 102, 240, [3]byte{255, 0, 0}},
		{"709 limited green", BT709, false, 173, 42, 26, [3]byte{0, 255, 0}},
		{"709 limited blue", BT709, false, 32, 240, 118, [3]byte{0, 0, 255}},
		{"601 limited red", BT601, false, 81, 90, 240, [3]byte{255, 0, 0}},
		{"601 limited green", BT601, false, 145, 54, 34, [3]byte{0, 255, 0}},
		{"601 full red", BT601, true, 76, 85, 255, [3]byte{255, 0, 0}},
		{"709 full red", BT709, true, 54, 99, 255, [3]byte{255, 0, 0}},
		{"601 full grey", BT601, true, 128, 128, 128, [3]byte{128, 128, 128}},
		{"709 limited mid grey", BT709, false, 126, 128, 128, [3]byte{128, 128, 128}},
	}
	for _, tc := range tests {
		p := &YCbCr{Y: []byte{tc.y}, Cb: []byte{tc.cb}, Cr: []byte{tc.cr}, YStride: 1, CStride: 1, Matrix: tc.m, FullRange: tc.full}
		got := rgbOf(p, 1, 1)
		for i := range got {
			if d := int(got[i]) - int(tc.want[i]); d < -2 || d > 2 {
				t.Errorf("%s: got %v, want %v (±2)", tc.name, got, tc.want)
				break
			}
		}
	}
}

// TestYCbCrMatchesJPEG compares full-range BT.601 with image/color, which
// implements the JFIF conversion.
func TestYCbCrMatchesJPEG(t *testing.T) {
	for y := 0; y < 256; y += 5 {
		for cb := 0; cb < 256; cb += 3 {
			for cr := 0; cr < 256; cr += 7 {
				p := &YCbCr{Y: []byte{byte(y)}, Cb: []byte{byte(cb)}, Cr: []byte{byte(cr)}, YStride: 1, CStride: 1, Matrix: BT601, FullRange: true}
				got := rgbOf(p, 1, 1)
				r, g, b := color.YCbCrToRGB(byte(y), byte(cb), byte(cr))
				for i, w := range []byte{r, g, b} {
					if d := int(got[i]) - int(w); d < -1 || d > 1 {
						t.Fatalf("Y %d Cb %d Cr %d: got %v, image/color %v", y, cb, cr, got, []byte{r, g, b})
					}
				}
			}
		}
	}
}

// TestYCbCrFrame: a 4:2:0 frame with odd size and padded strides encodes as
// the same GIF as its RGB conversion.
func TestYCbCrFrame(t *testing.T) {
	const w, h = 13, 9
	const ys, cs = 16, 8
	p := &YCbCr{Y: make([]byte, ys*h), Cb: make([]byte, cs*5), Cr: make([]byte, cs*5), YStride: ys, CStride: cs, Matrix: BT709}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p.Y[y*ys+x] = byte(16 + x*15)
			p.Cb[y/2*cs+x/2] = byte(128 + x*10 - y*5)
			p.Cr[y/2*cs+x/2] = byte(100 + y*12)
		}
	}
	rgb := rgbOf(p, w, h)
	var a, b bytes.Buffer
	for i, f := range []Frame{{YCbCr: p}, {RGB: rgb}} {
		out := []*bytes.Buffer{&a, &b}[i]
		wr, err := NewWriter(out, Options{Width: w, Height: h, Colors: 8})
		if err != nil {
			t.Fatal(err)
		}
		if err := wr.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
		if err := wr.Close(0); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("YCbCr and RGB frames encode differently")
	}
	// Pixel (12, 8) reads chroma sample (6, 4).
	if got := rgb[3*(8*w+12):]; got[0] == 0 && got[1] == 0 && got[2] == 0 {
		t.Errorf("last pixel black: chroma of the odd edge not read")
	}
}

// TestYCbCrFullChroma: a 4:4:4 frame whose chroma repeats each 4:2:0 sample over its 2x2 block
// converts exactly as the 4:2:0 frame; too small chroma planes are refused.
func TestYCbCrFullChroma(t *testing.T) {
	const w, h = 7, 5
	sub := &YCbCr{Y: make([]byte, w*h), Cb: make([]byte, 4*3), Cr: make([]byte, 4*3), YStride: w, CStride: 4, Matrix: BT601}
	full := &YCbCr{Y: sub.Y, Cb: make([]byte, w*h), Cr: make([]byte, w*h), YStride: w, CStride: w, Matrix: BT601, FullChroma: true}
	for y := range h {
		for x := range w {
			sub.Y[y*w+x] = byte(20 + 30*x + 7*y)
			sub.Cb[y/2*4+x/2] = byte(60 + 40*(x/2))
			sub.Cr[y/2*4+x/2] = byte(200 - 50*(y/2))
		}
	}
	for y := range h {
		for x := range w {
			full.Cb[y*w+x], full.Cr[y*w+x] = sub.Cb[y/2*4+x/2], sub.Cr[y/2*4+x/2]
		}
	}
	a, b := rgbOf(sub, w, h), rgbOf(full, w, h)
	if !bytes.Equal(a, b) {
		t.Errorf("4:4:4 conversion differs from 4:2:0 with the same chroma")
	}
	if err := full.check(w, h); err != nil {
		t.Errorf("valid 4:4:4 frame refused: %v", err)
	}
	short := *full
	short.Cb = short.Cb[:w*h-1]
	if err := short.check(w, h); err == nil {
		t.Error("4:4:4 frame with a short Cb plane accepted")
	}
}

// rgbOf converts p (w x h) to packed RGB bytes.
func rgbOf(p *YCbCr, w, h int) []byte {
	px := make([]uint32, w*h)
	p.toRGB(px, w, h, newYUVTables(p.Matrix, p.FullRange), &yuvSamples{})
	rgb := make([]byte, 0, 3*len(px))
	for _, c := range px {
		rgb = append(rgb, byte(c>>16), byte(c>>8), byte(c))
	}
	return rgb
}

// A 4:4:4 picture converted after another keeps the RGB of the runs of 8
// pixels whose samples did not change, and must give what converting it alone
// gives: rows of whole runs and rows with a shorter run at the end; a few
// samples changed a frame, in every plane, and samples that change back to
// what they were two frames before.
func TestToRGBKeepsUnchangedRuns(t *testing.T) {
	for _, w := range []int{80, 45, 7, 16} {
		const h = 6
		tab := newYUVTables(BT709, false)
		rnd := rand.New(rand.NewPCG(uint64(w), 1))
		pic := &YCbCr{Y: make([]byte, w*h), Cb: make([]byte, w*h), Cr: make([]byte, w*h), YStride: w, CStride: w, Matrix: BT709, FullChroma: true}
		for i := range pic.Y {
			pic.Y[i], pic.Cb[i], pic.Cr[i] = byte(rnd.IntN(256)), byte(rnd.IntN(256)), byte(rnd.IntN(256))
		}
		var last yuvSamples
		dst := make([]uint32, w*h)
		for frame := range 60 {
			planes := [][]byte{pic.Y, pic.Cb, pic.Cr}
			for range rnd.IntN(3) {
				plane := planes[rnd.IntN(3)]
				plane[rnd.IntN(len(plane))] = byte(rnd.IntN(256))
			}
			// Back and forth: the first and the last pixel of a row, one plane each.
			y := frame % h
			planes[frame%3][y*w] ^= 0x55
			planes[(frame+1)%3][y*w+w-1] ^= 0x33
			pic.toRGB(dst, w, h, tab, &last)
			want := make([]uint32, w*h)
			pic.toRGB(want, w, h, tab, &yuvSamples{})
			if !slices.Equal(dst, want) {
				t.Fatalf("width %d, frame %d: the picture converted after the one before differs from it converted alone", w, frame)
			}
		}
	}
}
