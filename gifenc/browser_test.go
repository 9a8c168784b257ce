package gifenc

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser scripts/install-deps.sh installs.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("no chromium; the browser test runs without -short")
	}
	t.Fatal("chromium not found on PATH: install it with scripts/install-deps.sh (Debian package chromium)")
	return ""
}

// TestChromium shows a GIF in headless Chromium and checks, from screenshots
// taken in real time, that it animates through the expected colours while the
// transparent (unchanged) centre keeps the first frame's colour.
func TestChromium(t *testing.T) {
	bin := chromiumPath(t)
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

	gifBytes := buf.Bytes()
	mux := http.NewServeMux()
	mux.HandleFunc("/a.gif", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "image/gif")
		rw.Write(gifBytes)
	})
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(rw, `<!doctype html><body style="margin:0;background:#808080">
<img id="g" src="/a.gif" style="width:%dpx;height:%dpx;image-rendering:pixelated"></body>`, size*scale, size*scale)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var chromeLog bytes.Buffer
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(400, 400),
		chromedp.CombinedOutput(&chromeLog),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	err = chromedp.Do(bctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS("#g")),
		chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](`document.getElementById("g").complete && document.getElementById("g").naturalWidth > 0`,
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			return chromedp.Void{}, err
		}),
	)
	if err != nil {
		t.Fatalf("loading the page in chromium: %v\nbrowser output:\n%s", err, chromeLog.String())
	}

	// Screenshots in real time: the animation is 0.9 s long, so a few seconds
	// show every frame; the deadline bounds a stalled browser.
	seen := map[[3]byte]bool{}
	deadline := time.Now().Add(15 * time.Second)
	shots := 0
	for len(seen) < len(ring) && time.Now().Before(deadline) {
		shot, err := chromedp.Run(bctx, chromedp.Screenshot(chromedp.CSS("#g")))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		shots++
		at := func(x, y int) [3]byte {
			b := img.Bounds()
			r, g, bb, _ := img.At(b.Min.X+x*b.Dx()/(size*scale), b.Min.Y+y*b.Dy()/(size*scale)).RGBA()
			return [3]byte{byte(r >> 8), byte(g >> 8), byte(bb >> 8)}
		}
		if c := at(size*scale/2, size*scale/2); !near(c, centre) {
			t.Fatalf("screenshot %d: centre shows %v, want %v (transparency not composed)", shots, c, centre)
		}
		c := at(scale, scale)
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
