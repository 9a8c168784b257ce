package gifenc

import (
	"bytes"
	"image/gif"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
)

// scene draws frame n of a test animation: a diagonal gradient, a square
// moving right, and optional per-frame noise of the given amplitude.
func scene(w, h, n int, noise int, rng *rand.Rand) []byte {
	p := make([]byte, w*h*3)
	sx := (n * 2) % max(1, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := 3 * (y*w + x)
			r, g, b := (x*255)/max(1, w-1), (y*255)/max(1, h-1), 128+((x+y)*60)/max(1, w+h)
			if x >= sx && x < sx+w/4 && y >= h/3 && y < h/3+h/4 {
				r, g, b = 250, 40, 30
			}
			if noise > 0 {
				r += rng.IntN(2*noise+1) - noise
				g += rng.IntN(2*noise+1) - noise
				b += rng.IntN(2*noise+1) - noise
			}
			p[i], p[i+1], p[i+2] = clamp8(int32(r)), clamp8(int32(g)), clamp8(int32(b))
		}
	}
	return p
}

// solid is a w x h frame of one colour.
func solid(w, h int, r, g, b byte) []byte {
	p := make([]byte, w*h*3)
	for i := 0; i < len(p); i += 3 {
		p[i], p[i+1], p[i+2] = r, g, b
	}
	return p
}

// decoded is a GIF decoded by image/gif and composed as a browser shows it.
type decoded struct {
	g      *gif.GIF
	frames [][]byte // composed RGB after each image
	delays []int
}

// decodeCompose decodes data with image/gif and composes its images on a
// canvas (internal/quality), checking that every image keeps what is on
// screen (disposal 1), as the writer writes them.
func decodeCompose(t testing.TB, data []byte) decoded {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/gif: %v", err)
	}
	for k, disposal := range g.Disposal {
		if disposal != gif.DisposalNone {
			t.Fatalf("image %d: disposal %d, want %d", k, disposal, gif.DisposalNone)
		}
	}
	a, err := quality.Compose(g)
	if err != nil {
		t.Fatal(err)
	}
	d := decoded{g: g, delays: g.Delay}
	for _, f := range a.Frames {
		d.frames = append(d.frames, f.Pix)
	}
	return d
}

// encodeAll writes frames at fps and closes the writer after the last one.
func encodeAll(t testing.TB, opts Options, frames [][]byte, fps int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WriteFrame(Frame{Timestamp: frameTime(i, fps), RGB: f}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(frameTime(len(frames), fps)); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != w.Bytes() {
		t.Fatalf("Bytes() = %d, wrote %d", w.Bytes(), buf.Len())
	}
	return buf.Bytes()
}

func frameTime(i, fps int) time.Duration { return time.Duration(i) * time.Second / time.Duration(fps) }

// psnr of b against a, both packed RGB.
func psnr(a, b []byte) float64 { return quality.PSNR(quality.MSE(a, b)) }
