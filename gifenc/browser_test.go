package gifenc

import (
	"bytes"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/chromium"
)

// TestChromium shows a GIF in headless Chromium and checks, from screenshots
// taken in real time, that it animates through the expected colours while the
// transparent (unchanged) centre keeps the first frame's colour.
func TestChromium(t *testing.T) {
	const size, scale = 20, 10
	ring := [][3]byte{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}}
	centre := [3]byte{255, 255, 255}
	var frames []Frame
	for i, c := range ring {
		f := solid(size, size, c[0], c[1], c[2])
		for y := size / 4; y < size*3/4; y++ {
			for x := size / 4; x < size*3/4; x++ {
				copy(f[3*(y*size+x):], centre[:])
			}
		}
		frames = append(frames, Frame{Timestamp: time.Duration(i) * 300 * time.Millisecond, RGB: f})
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Width: size, Height: size, Colors: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(900 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	dec := decodeCompose(t, buf.Bytes())
	if len(dec.frames) != 3 || dec.g.Image[1].Palette[dec.g.Image[1].Pix[size*size/2+size/2]] != dec.g.Image[1].Palette[w.global.trans] {
		t.Fatalf("want 3 images with a transparent centre after the first")
	}

	// Screenshots in real time: the animation is 0.9 s long, so a few seconds
	// show every frame; the deadline bounds a stalled browser.
	page := chromium.ShowGIF(t, buf.Bytes(), size, size, scale, 60*time.Second)
	seen := map[[3]byte]bool{}
	deadline := time.Now().Add(15 * time.Second)
	shots := 0
	for len(seen) < len(ring) && time.Now().Before(deadline) {
		shot := page.Screenshot(t)
		shots++
		at := func(x, y int) [3]byte { return [3]byte(shot[3*(y*size+x):]) }
		if c := at(size/2, size/2); !near(c, centre) {
			t.Fatalf("screenshot %d: centre shows %v, want %v (transparency not composed)", shots, c, centre)
		}
		c := at(1, 1)
		match := false
		for _, want := range ring {
			if near(c, want) {
				seen[want], match = true, true
			}
		}
		if !match {
			t.Fatalf("screenshot %d: ring shows %v, want one of %v", shots, c, ring)
		}
		time.Sleep(70 * time.Millisecond)
	}
	if len(seen) < 2 {
		t.Fatalf("after %d screenshots the GIF showed only %v: not animating", shots, seen)
	}
	t.Logf("%d screenshots, colours seen: %v", shots, seen)
}

func near(a, b [3]byte) bool {
	for i := range a {
		if d := int(a[i]) - int(b[i]); d < -12 || d > 12 {
			return false
		}
	}
	return true
}
