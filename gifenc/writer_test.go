package gifenc

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"
)

// recorder wraps a Writer and keeps, for every image it encodes, the screen
// it expects a decoder to compose and the indices of the changed rectangle.
type recorder struct {
	*Writer
	screens [][]uint32
	indices [][]byte
}

func (r *recorder) write(t *testing.T, f Frame) {
	t.Helper()
	before := r.count
	if r.hasPend {
		before++
	}
	if err := r.WriteFrame(f); err != nil {
		t.Fatal(err)
	}
	after := r.count
	if r.hasPend {
		after++
	}
	if after > before {
		r.screens = append(r.screens, append([]uint32(nil), r.scr.canvas...))
		r.indices = append(r.indices, append([]byte(nil), r.sub...))
	}
}

// TestRoundTrip decodes every output with image/gif and checks that the
// composed frames equal what the encoder drew, index for index, and that
// differencing loses nothing without tolerance and at most the tolerance with it.
func TestRoundTrip(t *testing.T) {
	for _, d := range []Dither{DitherBayer, DitherFloydSteinberg, DitherNone} {
		for _, tol := range []int{NoTolerance, 0, 20} {
			t.Run(fmt.Sprintf("%v/tol=%d", d, tol), func(t *testing.T) {
				const w, h, n = 48, 40, 30
				rng := rand.New(rand.NewPCG(7, uint64(tol+2)))
				var buf bytes.Buffer
				ww, err := NewWriter(&buf, Options{Width: w, Height: h, Colors: 16, Dither: d, Tolerance: tol, LocalPaletteError: -1, PaletteWindow: -1})
				if err != nil {
					t.Fatal(err)
				}
				rec := &recorder{Writer: ww}
				var src [][]byte
				for i := 0; i < n; i++ {
					noise := 4
					if i >= 10 && i < 13 {
						noise = 0 // identical frames, merged
					}
					f := scene(w, h, i, noise, rng)
					if i > 10 && i < 13 {
						f = src[10]
					}
					src = append(src, f)
					rec.write(t, Frame{Timestamp: frameTime(i, 24), RGB: f})
				}
				if err := rec.Close(frameTime(n, 24)); err != nil {
					t.Fatal(err)
				}
				dec := decodeCompose(t, buf.Bytes())
				if len(dec.frames) != len(rec.screens) || len(dec.frames) != rec.Frames() {
					t.Fatalf("decoded %d images, encoder drew %d, Frames() = %d", len(dec.frames), len(rec.screens), rec.Frames())
				}
				if rec.Frames()+rec.Merged() != n {
					t.Errorf("Frames %d + Merged %d != %d frames written", rec.Frames(), rec.Merged(), n)
				}
				if rec.Merged() < 2 {
					t.Errorf("Merged() = %d, want at least the 2 repeated frames", rec.Merged())
				}
				for k, m := range dec.g.Image {
					if !bytes.Equal(m.Pix, rec.indices[k]) {
						t.Fatalf("image %d: decoded indices differ from encoded ones", k)
					}
					for i, c := range rec.screens[k] {
						got := dec.frames[k][3*i : 3*i+3]
						if got[0] != byte(c>>16) || got[1] != byte(c>>8) || got[2] != byte(c) {
							t.Fatalf("image %d pixel %d: composed %v, encoder drew %06x", k, i, got, c)
						}
					}
				}
				if d == DitherFloydSteinberg {
					return // its output depends on the frame before, so there is no independent reference
				}
				// The reference: each frame mapped on its own with the same palette.
				off := bayerOffsets(DefaultBayerStrength)
				if d == DitherNone {
					off = [64]int32{}
				}
				want := func(f []byte, i int) uint32 {
					x, y := i%w, i/w
					o := off[(y&7)*8+x&7]
					return rec.global.rgb[rec.global.index(clamp8(int32(f[3*i])+o), clamp8(int32(f[3*i+1])+o), clamp8(int32(f[3*i+2])+o))]
				}
				k := -1
				for fi, f := range src {
					if fi != 11 && fi != 12 {
						k++
					}
					shown := rec.screens[k]
					for i := 0; i < w*h; i++ {
						if tol == NoTolerance {
							if shown[i] != want(f, i) {
								t.Fatalf("frame %d pixel %d: shows %06x, exact differencing must show %06x", fi, i, shown[i], want(f, i))
							}
							continue
						}
						// With tolerance a pixel may keep an earlier colour whose
						// squared error is at most tolerance² above the new one's.
						lim := tol
						if tol == 0 {
							lim = DefaultTolerance
						}
						c := pack(f[3*i], f[3*i+1], f[3*i+2])
						if dist2(c, shown[i]) > dist2(c, want(f, i))+int32(lim*lim) {
							t.Fatalf("frame %d pixel %d: shows %06x, error %d above the new colour %06x's %d + %d",
								fi, i, shown[i], dist2(c, shown[i]), want(f, i), dist2(c, want(f, i)), lim*lim)
						}
					}
				}
			})
		}
	}
}

// TestTolerancePaysOff: on a noisy still picture tolerance keeps nearly every
// pixel, costing little quality.
func TestTolerancePaysOff(t *testing.T) {
	const w, h, n = 80, 80, 24
	base := scene(w, h, 0, 0, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	var frames [][]byte
	for i := 0; i < n; i++ {
		f := append([]byte(nil), base...)
		for j := range f {
			f[j] = clamp8(int32(f[j]) + int32(rng.IntN(7)) - 3)
		}
		frames = append(frames, f)
	}
	exact := encodeAll(t, Options{Width: w, Height: h, Tolerance: NoTolerance}, frames, 24)
	tolerant := encodeAll(t, Options{Width: w, Height: h}, frames, 24)
	pe, pt := meanPSNR(t, exact, frames), meanPSNR(t, tolerant, frames)
	t.Logf("exact %d bytes %.2f dB, tolerance %d bytes %.2f dB", len(exact), pe, len(tolerant), pt)
	if len(tolerant)*2 > len(exact) {
		t.Errorf("tolerance: %d bytes, want under half of exact differencing's %d", len(tolerant), len(exact))
	}
	if pt < pe-1 {
		t.Errorf("tolerance costs %.2f dB, want under 1", pe-pt)
	}
}

func meanPSNR(t *testing.T, data []byte, src [][]byte) float64 {
	dec := decodeCompose(t, data)
	// Map each source frame to the image showing at its time.
	var sum float64
	k, end := 0, 0
	for i := range src {
		at := int(centiseconds(frameTime(i, 24))) + 1
		for end+dec.delays[k] <= at && k+1 < len(dec.frames) {
			end += dec.delays[k]
			k++
		}
		sum += psnr(src[i], dec.frames[k])
	}
	return sum / float64(len(src))
}

func TestTiming(t *testing.T) {
	tests := []struct {
		name   string
		times  []time.Duration // frame timestamps
		same   []bool          // frame repeats the one before
		end    time.Duration
		delays []int
		total  int // when the clamp to 2 leaves no room to catch up
	}{
		{
			name:   "24 fps",
			times:  seq(48, 24),
			end:    2 * time.Second,
			delays: []int{4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4, 4, 4, 5, 4, 4},
		},
		{
			name:   "30 fps",
			times:  seq(6, 30),
			end:    200 * time.Millisecond,
			delays: []int{3, 4, 3, 3, 4, 3},
		},
		{
			name:   "100 fps clamps to 2 and catches up",
			times:  seq(6, 100),
			end:    200 * time.Millisecond,
			delays: []int{2, 2, 2, 2, 2, 10},
		},
		{
			name:   "repeats merge",
			times:  seq(6, 24),
			same:   []bool{false, true, true, false, true, false},
			end:    250 * time.Millisecond,
			delays: []int{12, 9, 4},
		},
		{
			name:   "last frame shown for a short time still gets 2",
			times:  []time.Duration{0, 100 * time.Millisecond},
			end:    101 * time.Millisecond,
			delays: []int{10, 2},
			total:  12,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, Options{Width: 8, Height: 8, Colors: 4})
			if err != nil {
				t.Fatal(err)
			}
			color := byte(0)
			for i, ts := range tc.times {
				if tc.same == nil || !tc.same[i] {
					color ^= 0xff
				}
				if err := w.WriteFrame(Frame{Timestamp: ts, RGB: solid(8, 8, color, color, color)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(tc.end); err != nil {
				t.Fatal(err)
			}
			dec := decodeCompose(t, buf.Bytes())
			if fmt.Sprint(dec.delays) != fmt.Sprint(tc.delays) {
				t.Errorf("delays %v, want %v", dec.delays, tc.delays)
			}
			total := 0
			for _, d := range dec.delays {
				total += d
			}
			want := int(centiseconds(tc.end))
			if tc.total != 0 {
				want = tc.total
			}
			if total != want {
				t.Errorf("total %d cs, want %d", total, want)
			}
		})
	}
}

func seq(n, fps int) []time.Duration {
	var s []time.Duration
	for i := 0; i < n; i++ {
		s = append(s, frameTime(i, fps))
	}
	return s
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want error
	}{
		{Options{Width: 0, Height: 10}, ErrSize},
		{Options{Width: 10, Height: -1}, ErrSize},
		{Options{Width: 70000, Height: 10}, ErrSize},
		{Options{Width: 10, Height: 10, Colors: 257}, ErrColors},
		{Options{Width: 10, Height: 10, Colors: 1}, ErrColors},
		{Options{Width: 10, Height: 10, Dither: 7}, ErrOption},
		{Options{Width: 10, Height: 10, BayerStrength: 2}, ErrOption},
		{Options{Width: 10, Height: 10, Tolerance: -5}, ErrOption},
	} {
		if _, err := NewWriter(&bytes.Buffer{}, tc.opts); !errors.Is(err, tc.want) {
			t.Errorf("NewWriter(%+v) = %v, want %v", tc.opts, err, tc.want)
		}
	}

	frames := []struct {
		name string
		f    Frame
		want error
	}{
		{"short RGB", Frame{RGB: make([]byte, 10)}, ErrFrame},
		{"no pixels", Frame{}, ErrFrame},
		{"both", Frame{RGB: make([]byte, 300), YCbCr: &YCbCr{}}, ErrFrame},
		{"short Y", Frame{YCbCr: &YCbCr{Y: make([]byte, 10), Cb: make([]byte, 25), Cr: make([]byte, 25), YStride: 10, CStride: 5}}, ErrFrame},
		{"bad matrix", Frame{YCbCr: &YCbCr{Y: make([]byte, 100), Cb: make([]byte, 25), Cr: make([]byte, 25), YStride: 10, CStride: 5, Matrix: 9}}, ErrFrame},
		{"negative time", Frame{Timestamp: -1, RGB: make([]byte, 300)}, ErrTimestamp},
	}
	for _, tc := range frames {
		w, err := NewWriter(&bytes.Buffer{}, Options{Width: 10, Height: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrame(tc.f); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// The first error sticks.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Options{Width: 10, Height: 10})
	if err := w.WriteFrame(Frame{Timestamp: time.Second, RGB: make([]byte, 300)}); err != nil {
		t.Fatal(err)
	}
	err := w.WriteFrame(Frame{Timestamp: 0, RGB: make([]byte, 300)})
	if !errors.Is(err, ErrTimestamp) {
		t.Fatalf("backwards: %v", err)
	}
	if err2 := w.WriteFrame(Frame{Timestamp: 2 * time.Second, RGB: make([]byte, 300)}); err2 != err {
		t.Errorf("after an error WriteFrame = %v, want the first error %v", err2, err)
	}
	if err2 := w.Close(3 * time.Second); err2 != err {
		t.Errorf("after an error Close = %v, want the first error %v", err2, err)
	}

	w, _ = NewWriter(&buf, Options{Width: 10, Height: 10})
	if err := w.Close(0); !errors.Is(err, ErrNoFrames) {
		t.Errorf("Close without frames = %v", err)
	}
	w, _ = NewWriter(&buf, Options{Width: 10, Height: 10})
	_ = w.WriteFrame(Frame{RGB: make([]byte, 300)})
	_ = w.Close(time.Second)
	if err := w.WriteFrame(Frame{Timestamp: 2 * time.Second, RGB: make([]byte, 300)}); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteFrame after Close = %v", err)
	}

	w, _ = NewWriter(failWriter{}, Options{Width: 10, Height: 10, PaletteWindow: -1})
	if err := w.WriteFrame(Frame{RGB: make([]byte, 300)}); err == nil || !errors.Is(err, errBroken) {
		t.Errorf("write error = %v", err)
	}
	// With a palette window, nothing is written before the window ends; Close ends it.
	w, _ = NewWriter(failWriter{}, Options{Width: 10, Height: 10})
	if err := w.WriteFrame(Frame{RGB: make([]byte, 300)}); err != nil {
		t.Errorf("first frame of the window: %v", err)
	}
	if err := w.Close(time.Second); !errors.Is(err, errBroken) {
		t.Errorf("write error at Close = %v", err)
	}
}

var errBroken = errors.New("broken pipe")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestParseDither(t *testing.T) {
	for _, d := range []Dither{DitherBayer, DitherFloydSteinberg, DitherNone} {
		got, err := ParseDither(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDither(%q) = %v, %v", d.String(), got, err)
		}
	}
	if _, err := ParseDither("sierra"); !errors.Is(err, ErrOption) {
		t.Errorf("ParseDither(sierra) = %v", err)
	}
}

// A Dither is a flag and a configuration value by its name: the text round-trips, and what is
// no Dither is refused both ways.
func TestDitherText(t *testing.T) {
	for _, d := range []Dither{DitherBayer, DitherFloydSteinberg, DitherNone} {
		text, err := d.MarshalText()
		var back Dither = 7
		if err != nil || string(text) != d.String() || back.UnmarshalText(text) != nil || back != d || d.Validate() != nil {
			t.Errorf("%v: text %q (%v), back %v", d, text, err, back)
		}
	}
	bad := Dither(3)
	if _, err := bad.MarshalText(); !errors.Is(err, ErrOption) || !errors.Is(bad.Validate(), ErrOption) {
		t.Errorf("Dither(3): MarshalText %v, Validate %v", err, bad.Validate())
	}
	d := DitherNone
	if err := d.UnmarshalText([]byte("sierra")); !errors.Is(err, ErrOption) || d != DitherNone {
		t.Errorf("UnmarshalText(sierra): %v, left %v", err, d)
	}
}

// flushCounter records what had been written at each Flush.
type flushCounter struct {
	bytes.Buffer
	at []int
}

func (f *flushCounter) Flush() { f.at = append(f.at, f.Len()) }

// TestStreaming: the header goes out with the first frame when there is no
// palette window, each frame as soon as the next one arrives, each followed by
// a flush; memory for frames does not grow.
func TestStreaming(t *testing.T) {
	var fc flushCounter
	w, err := NewWriter(&fc, Options{Width: 16, Height: 16, PaletteWindow: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(Frame{RGB: scene(16, 16, 0, 0, nil)}); err != nil {
		t.Fatal(err)
	}
	if len(fc.at) != 1 || fc.at[0] == 0 {
		t.Fatalf("after the first frame: flushes at %v, want one after the header", fc.at)
	}
	for i := 1; i < 200; i++ {
		if err := w.WriteFrame(Frame{Timestamp: frameTime(i, 24), RGB: scene(16, 16, i, 0, nil)}); err != nil {
			t.Fatal(err)
		}
		if len(fc.at) != i+1 || w.Frames() != i {
			t.Fatalf("frame %d: %d flushes, %d frames written", i, len(fc.at), w.Frames())
		}
	}
	if c := cap(w.pending); c > 4096 {
		t.Errorf("pending buffer grew to %d bytes", c)
	}
	if err := w.Close(frameTime(200, 24)); err != nil {
		t.Fatal(err)
	}
	if fc.at[len(fc.at)-1] != fc.Len() || fc.Bytes()[fc.Len()-1] != sTrailer {
		t.Errorf("the trailer was not flushed")
	}
	if d := decodeCompose(t, fc.Bytes()); len(d.frames) != 200 || d.g.LoopCount != 0 {
		t.Errorf("decoded %d images, loop count %d", len(d.frames), d.g.LoopCount)
	}
}

// TestPaletteWindow: with a window of one second, nothing is written until a
// frame one second after the first arrives (a settled picture); then the
// header and every frame but the last go out at once, and later frames stream
// one by one. A fade keeps the window open until it settles.
func TestPaletteWindow(t *testing.T) {
	const fps = 24
	rng := rand.New(rand.NewPCG(3, 3))
	var fc flushCounter
	w, err := NewWriter(&fc, Options{Width: 16, Height: 16, PaletteWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < fps; i++ {
		if err := w.WriteFrame(Frame{Timestamp: frameTime(i, fps), RGB: scene(16, 16, 0, 3, rng)}); err != nil {
			t.Fatal(err)
		}
		if fc.Len() != 0 {
			t.Fatalf("frame %d of the window: %d bytes written", i, fc.Len())
		}
	}
	if err := w.WriteFrame(Frame{Timestamp: time.Second, RGB: scene(16, 16, 0, 3, rng)}); err != nil {
		t.Fatal(err)
	}
	if w.Frames()+w.Merged() != fps || fc.Len() == 0 {
		t.Fatalf("after the window: %d images and %d merged, %d bytes written; want %d frames", w.Frames(), w.Merged(), fc.Len(), fps)
	}
	before := w.Frames()
	if err := w.WriteFrame(Frame{Timestamp: frameTime(fps+1, fps), RGB: scene(16, 16, 8, 3, rng)}); err != nil {
		t.Fatal(err)
	}
	if w.Frames() != before+1 {
		t.Fatalf("after the window, a frame was not written at once: %d images, %d before", w.Frames(), before)
	}

	// A fade from black over 2 s, then a still picture: the window stays open
	// through the fade and closes half a second after it settles.
	fc = flushCounter{}
	w, _ = NewWriter(&fc, Options{Width: 16, Height: 16, PaletteWindow: time.Second})
	pic := scene(16, 16, 0, 0, nil)
	i := 0
	for ; fc.Len() == 0 && i < 10*fps; i++ {
		f := make([]byte, len(pic))
		for j, v := range pic {
			f[j] = byte(int(v) * min(i, 2*fps) / (2 * fps))
		}
		if err := w.WriteFrame(Frame{Timestamp: frameTime(i, fps), RGB: f}); err != nil {
			t.Fatal(err)
		}
	}
	if at := frameTime(i-1, fps); at < 2*time.Second || at > 3*time.Second {
		t.Errorf("window closed at %v, want after the fade ends at 2s and by 3s", at)
	}
}

// TestLocalPalette: a cut to a picture the global palette cannot show gets a
// local colour table at the cut and at no other frame, reused by the frames of
// that scene; a cut back to the first scene goes back to the global table.
func TestLocalPalette(t *testing.T) {
	const w, h, fps = 32, 32, 24
	rng := rand.New(rand.NewPCG(9, 9))
	a := func() []byte { return scene(w, h, 0, 4, rng) }
	b := func(i int) []byte {
		f := make([]byte, w*h*3)
		for j := 0; j < w*h; j++ {
			f[3*j], f[3*j+1], f[3*j+2] = byte(rng.IntN(6)), byte(j*7+i), 255-byte(j%w*8)
		}
		return f
	}
	var frames [][]byte
	for i := 0; i < 3*fps; i++ { // A for 3 s, B for 2 s, A for 1 s
		switch {
		case i < 2*fps:
			frames = append(frames, a())
		case i < 3*fps-fps/2:
			frames = append(frames, b(i))
		default:
			frames = append(frames, a())
		}
	}
	var buf bytes.Buffer
	wr, err := NewWriter(&buf, Options{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := wr.WriteFrame(Frame{Timestamp: frameTime(i, fps), RGB: f}); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(frameTime(len(frames), fps)); err != nil {
		t.Fatal(err)
	}
	if wr.LocalPalettes() != 1 {
		t.Errorf("%d local palettes built, want 1 (at the cut)", wr.LocalPalettes())
	}
	dec := decodeCompose(t, buf.Bytes())
	if len(dec.frames) != len(frames) {
		t.Fatalf("decoded %d images, want %d", len(dec.frames), len(frames))
	}
	// image/gif copies the global palette with the transparent entry's alpha
	// cleared, so compare opaque colours; a local table may hold fewer colours.
	opaque := func(p color.Palette) string {
		var s []uint32
		for _, c := range p {
			r, g, b, _ := c.RGBA()
			s = append(s, r>>8<<16|g>>8<<8|b>>8)
		}
		return fmt.Sprint(s)
	}
	global := opaque(dec.g.Config.ColorModel.(color.Palette))
	for k, m := range dec.g.Image {
		local := opaque(m.Palette) != global
		inB := k >= 2*fps && k < 3*fps-fps/2
		if local != inB {
			t.Errorf("image %d: local palette %v, want %v", k, local, inB)
		}
	}
	if wr.LocalFrames() != fps-fps/2 {
		t.Errorf("LocalFrames() = %d, want %d", wr.LocalFrames(), fps-fps/2)
	}
	for _, k := range []int{2*fps + 2, len(frames) - 1} {
		if p := psnr(frames[k], dec.frames[k]); p < 25 {
			t.Errorf("image %d: PSNR %.1f dB, want at least 25", k, p)
		}
	}
}
