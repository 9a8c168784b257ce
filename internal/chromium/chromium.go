// Package chromium shows pictures in headless Chromium for tests, and takes screenshots of them
// in real time: a plain --screenshot does not advance a GIF's animation; a page driven over the
// DevTools protocol does.
package chromium

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds the browser scripts/install-deps.sh installs. Without it the test fails, or is
// skipped under -short.
func Path(t testing.TB) string {
	t.Helper()
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

// Page is a GIF shown in a headless Chromium, scaled up without smoothing.
type Page struct {
	ctx      context.Context // the browser tab
	log      *bytes.Buffer   // what the browser printed, for failures
	w, h     int             // the GIF's size
	scale    int
	shutdown func()
}

// ShowGIF serves data on loopback and shows it in a new headless Chromium at scale times its
// w x h size, with image-rendering: pixelated so that each GIF pixel is a scale x scale block.
// The browser is closed when the test ends; timeout bounds everything done with the page.
func ShowGIF(t testing.TB, data []byte, w, h, scale int, timeout time.Duration) *Page {
	t.Helper()
	bin := Path(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/a.gif", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "image/gif")
		rw.Write(data)
	})
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(rw, `<!doctype html><body style="margin:0;background:#808080">
<img id="g" src="/a.gif" style="width:%dpx;height:%dpx;image-rendering:pixelated"></body>`, w*scale, h*scale)
	})
	srv := httptest.NewServer(mux)

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	p := &Page{log: new(bytes.Buffer), w: w, h: h, scale: scale}
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(max(400, w*scale+50), max(400, h*scale+50)),
		chromedp.CombinedOutput(p.log),
	)
	bctx, bcancel := chromedp.NewContext(actx)
	p.ctx = bctx
	p.shutdown = func() { bcancel(); acancel(); cancel(); srv.Close() }
	t.Cleanup(p.shutdown)

	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS("#g")),
		chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](`document.getElementById("g").complete && document.getElementById("g").naturalWidth > 0`,
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			return chromedp.Void{}, err
		}),
	)
	if err != nil {
		t.Fatalf("loading the page in chromium: %v\nbrowser output:\n%s", err, p.log.String())
	}
	return p
}

// Screenshot returns what the page shows of the GIF now, one RGB triple per GIF pixel (the
// centre of its block), rows top to bottom.
func (p *Page) Screenshot(t testing.TB) []byte {
	t.Helper()
	shot, err := chromedp.Run(p.ctx, chromedp.Screenshot(chromedp.CSS("#g")))
	if err != nil {
		t.Fatalf("screenshot: %v\nbrowser output:\n%s", err, p.log.String())
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return sample(img, p.w, p.h)
}

// sample reads the centre of each of the w x h blocks of img.
func sample(img image.Image, w, h int) []byte {
	b := img.Bounds()
	out := make([]byte, 0, 3*w*h)
	for y := range h {
		for x := range w {
			px := b.Min.X + (2*x+1)*b.Dx()/(2*w)
			py := b.Min.Y + (2*y+1)*b.Dy()/(2*h)
			r, g, bb, _ := img.At(px, py).RGBA()
			out = append(out, byte(r>>8), byte(g>>8), byte(bb>>8))
		}
	}
	return out
}
