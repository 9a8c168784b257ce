package gifenc

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzWriter feeds random sizes, options and pixels through WriteFrame; the
// writer must never panic, and whatever it accepts must decode with image/gif
// to the screen the encoder drew. The fourth byte's high bits pick the palette
// window: the first frame alone (each image checked as it is drawn), or a
// window holding every frame (the last screen checked).
func FuzzWriter(f *testing.F) {
	f.Add(uint8(8), uint8(8), uint8(4), uint8(0), int8(0), []byte("\x00\xff\x10\x80 some pixels"))
	f.Add(uint8(1), uint8(1), uint8(2), uint8(1), int8(-1), []byte{1, 2, 3})
	f.Add(uint8(17), uint8(3), uint8(255), uint8(2), int8(30), bytes.Repeat([]byte{7, 200, 13}, 60))
	f.Fuzz(func(t *testing.T, w, h, colors, dither uint8, tol int8, seed []byte) {
		opts := Options{Width: int(w%32) + 1, Height: int(h%32) + 1, Colors: int(colors) + 1, Dither: Dither(dither % 4), Tolerance: int(tol),
			PaletteWindow: -1}
		windowed := dither&0x80 != 0
		if windowed {
			opts.PaletteWindow = time.Second
		}
		var buf bytes.Buffer
		wr, err := NewWriter(&buf, opts)
		if err != nil {
			if !errors.Is(err, ErrColors) && !errors.Is(err, ErrOption) {
				t.Fatalf("NewWriter(%+v): unexpected error %v", opts, err)
			}
			return
		}
		n := opts.Width * opts.Height * 3
		var screens [][]uint32
		for i := 0; i < 4; i++ {
			px := make([]byte, n)
			for j := range px {
				if len(seed) > 0 {
					px[j] = seed[(j+i*7)%len(seed)] + byte(i*(j%5))
				}
			}
			before := wr.count
			if wr.hasPend {
				before++
			}
			if err := wr.WriteFrame(Frame{Timestamp: time.Duration(i) * 30 * time.Millisecond, RGB: px}); err != nil {
				t.Fatal(err)
			}
			if after := wr.count + map[bool]int{true: 1}[wr.hasPend]; after > before {
				screens = append(screens, append([]uint32(nil), wr.scr.canvas...))
			}
		}
		if err := wr.Close(200 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
		dec := decodeCompose(t, buf.Bytes())
		if len(dec.frames) != wr.Frames() {
			t.Fatalf("decoded %d images, Frames() = %d", len(dec.frames), wr.Frames())
		}
		if windowed {
			screens = [][]uint32{wr.scr.canvas}
			dec.frames = dec.frames[len(dec.frames)-1:]
		}
		if len(dec.frames) != len(screens) {
			t.Fatalf("decoded %d images, drew %d", len(dec.frames), len(screens))
		}
		for k, s := range screens {
			for i, c := range s {
				got := dec.frames[k][3*i : 3*i+3]
				if pack(got[0], got[1], got[2]) != c {
					t.Fatalf("image %d pixel %d: decoded %v, drew %06x", k, i, got, c)
				}
			}
		}
	})
}
