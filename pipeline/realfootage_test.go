package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"image/color"
	"image/gif"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/chromium"
)

var update = flag.Bool("update", false, "rewrite testdata/real/expected.json from this run's conversions")

// realExpected is what the conversion of one real-footage clip made when expected.json was last
// written (go test ./pipeline -run TestRealFootage -update): the GIF's hash, and the figures to
// compare when it changes.
type realExpected struct {
	Frames        int     `json:"frames"`        // frames given to the encoder
	Images        int     `json:"images"`        // GIF images (identical frames merged)
	Bytes         int64   `json:"bytes"`         // GIF size
	LocalPalettes int     `json:"localPalettes"` // local colour tables built
	LocalFrames   int     `json:"localFrames"`   // images carrying one
	PSNR          float64 `json:"psnr"`          // mean over frames, against the frames the encoder was given, dB
	SHA256        string  `json:"sha256"`
}

const realExpectedFile = "real/expected.json"

// TestRealFootage converts every clip of the real-footage corpus (testdata/make-real.sh: real
// video, faded, cut, grainy, still) as the service does, and checks what the palette choice must
// do on such footage, then that the GIF is the one expected.json names (any change to the
// conversion shows here with its figures: rerun with -update when it is meant).
func TestRealFootage(t *testing.T) {
	clips, err := filepath.Glob(fixture("real/*.mp4"))
	if err != nil || len(clips) < 9 {
		t.Fatalf("real-footage corpus: %d clips (%v), want the 9 of testdata/make-real.sh", len(clips), err)
	}
	want := map[string]realExpected{}
	if data, err := os.ReadFile(fixture(realExpectedFile)); err == nil {
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", realExpectedFile, err)
		}
	} else if !*update {
		t.Fatalf("%v (make it with -update)", err)
	}
	got := map[string]realExpected{}
	for _, path := range clips {
		name := clipName(path)
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			stats, err := Convert(t.Context(), path, Options{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("image/gif: %v", err)
			}
			sum := sha256.Sum256(out.Bytes())
			e := realExpected{
				Frames: stats.Encoded, Images: len(g.Image), Bytes: stats.OutputBytes,
				LocalPalettes: stats.LocalPalettes, LocalFrames: stats.LocalFrames,
				PSNR:   math.Round(encoderPSNR(t, path, out.Bytes())*100) / 100,
				SHA256: hex.EncodeToString(sum[:]),
			}
			got[name] = e
			checkPaletteChoice(t, name, e, g, localTables(t, out.Bytes()))
			if *update {
				return
			}
			w, ok := want[name]
			switch {
			case !ok:
				t.Errorf("%s is not in %s (rerun with -update)", name, realExpectedFile)
			case e != w:
				t.Errorf("the GIF changed (rerun with -update if that is meant):\n got  %+v\n want %+v", e, w)
			}
		})
	}
	if *update && !t.Failed() {
		data, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixture(realExpectedFile), append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func clipName(path string) string {
	return filepath.Base(path)[:len(filepath.Base(path))-len(filepath.Ext(path))]
}

// checkPaletteChoice asserts what issue-level behaviour each kind of clip must show: few local
// tables on one scene, a table at a cut and nowhere else, a full global table after a fade-in.
func checkPaletteChoice(t *testing.T, name string, e realExpected, g *gif.GIF, local []bool) {
	t.Helper()
	switch name {
	case "koala", "koala-heavy-grain", "koala-still", "face-15s", "countdown-grain":
		// One scene: at most 5% of the images carry a local table.
		if e.LocalFrames*20 > e.Images {
			t.Errorf("%d of %d images carry a local colour table on a single scene, want at most 5%%", e.LocalFrames, e.Images)
		}
	case "bunny-fade-in", "koala-fade-in-out":
		// A fade is no cut: the global table is built after it (the window waits for it to
		// settle) with the full colour count, and at most a handful of local tables follow.
		if e.LocalPalettes > 3 {
			t.Errorf("%d local palettes on a fade, want at most 3", e.LocalPalettes)
		}
	case "cut-face-koala":
		// Two still scenes and a hard cut at 3 s: one local table, from the cut on.
		if e.LocalPalettes != 1 {
			t.Errorf("%d local palettes, want 1 (at the cut)", e.LocalPalettes)
		}
		at := time.Duration(0)
		for k := range g.Image {
			if afterCut := at >= 3*time.Second-10*time.Millisecond; local[k] != afterCut {
				t.Errorf("image %d at %v: local table %v, want %v", k, at, local[k], afterCut)
			}
			at += time.Duration(g.Delay[k]) * 10 * time.Millisecond
		}
	case "cover-15s":
		// A fade-in, two cuts, a fade-out: a table per cut and at most one for the fade.
		if e.LocalPalettes < 2 || e.LocalPalettes > 3 {
			t.Errorf("%d local palettes, want 2 or 3 (the cuts, perhaps the fade-out)", e.LocalPalettes)
		}
	}
	if name == "bunny-fade-in" || name == "cover-15s" {
		// The first frame is black: the global table must not be made of it alone.
		distinct := map[color.RGBA]bool{}
		for _, c := range g.Config.ColorModel.(color.Palette) {
			r, gg, b, _ := c.RGBA()
			distinct[color.RGBA{uint8(r >> 8), uint8(gg >> 8), uint8(b >> 8), 0}] = true
		}
		if len(distinct) < gifenc.DefaultColors-2 {
			t.Errorf("global colour table of %d distinct colours after a fade-in from black, want the full %d", len(distinct), gifenc.DefaultColors)
		}
	}
}

// encoderPSNR measures the GIF against the frames the encoder was given (the clip decoded and
// resized as Convert does it, turned into RGB in floating point): the encoder's loss alone.
func encoderPSNR(t *testing.T, path string, data []byte) float64 {
	t.Helper()
	frames := decodeFrames(t, path, DefaultSize)
	f0 := frames[0].Value
	w, h := f0.YStride, len(f0.Y)/f0.YStride
	ref := &quality.Reference{Width: w, Height: h, Rate: DefaultFrameRate}
	// Reference frame k stands for time k/24: the frame shown then (a slot without a new
	// frame keeps the one before).
	for _, f := range frames {
		slot := int(math.Round(f.Time.Seconds() * DefaultFrameRate))
		rgb := rgbFloat(f.Value, w, h)
		for len(ref.Frames) < slot {
			ref.Frames = append(ref.Frames, ref.Frames[len(ref.Frames)-1])
		}
		ref.Frames = append(ref.Frames, rgb)
	}
	a, err := quality.DecodeGIF(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	q, err := quality.Compare(a, ref)
	if err != nil {
		t.Fatal(err)
	}
	return q.MeanPSNR
}

// rgbFloat converts a resized frame to RGB with the exact matrix (ITU-R BT.601/BT.709), rounding
// once at the end.
func rgbFloat(p *gifenc.YCbCr, w, h int) []byte {
	kr, kb := 0.299, 0.114
	if p.Matrix == gifenc.BT709 {
		kr, kb = 0.2126, 0.0722
	}
	kg := 1 - kr - kb
	ys, cs, yo := 255.0/219, 255.0/224, 16.0
	if p.FullRange {
		ys, cs, yo = 1, 1, 0
	}
	out := make([]byte, 0, 3*w*h)
	for y := range h {
		for x := range w {
			cx, cy := x, y
			if !p.FullChroma {
				cx, cy = x/2, y/2
			}
			l := ys * (float64(p.Y[y*p.YStride+x]) - yo)
			u := cs * (float64(p.Cb[cy*p.CStride+cx]) - 128)
			v := cs * (float64(p.Cr[cy*p.CStride+cx]) - 128)
			r := l + 2*(1-kr)*v
			b := l + 2*(1-kb)*u
			g := l - 2*(1-kb)*kb/kg*u - 2*(1-kr)*kr/kg*v
			for _, c := range []float64{r, g, b} {
				out = append(out, byte(math.Round(min(255, max(0, c)))))
			}
		}
	}
	return out
}

// TestRealFootageIsolated: an isolated conversion (decode worker) makes the same bytes as one in
// the process, on real footage with cuts and fades.
func TestRealFootageIsolated(t *testing.T) {
	for _, name := range []string{"cover-15s", "koala-heavy-grain"} {
		path := fixture("real/" + name + ".mp4")
		var in, iso bytes.Buffer
		if _, err := Convert(context.Background(), path, Options{}, &in); err != nil {
			t.Fatal(err)
		}
		if _, err := Convert(context.Background(), path, Options{Isolate: true, Threads: 2}, &iso); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(in.Bytes(), iso.Bytes()) {
			t.Errorf("%s: isolated conversion made %d bytes, in process %d, not the same", name, iso.Len(), in.Len())
		}
	}
}

// localTables walks a GIF's blocks (GIF89a sections 17-27) and tells for each image whether it
// carries a local colour table.
func localTables(t *testing.T, data []byte) []bool {
	t.Helper()
	i := 13
	if data[10]&0x80 != 0 {
		i += 3 << (data[10]&7 + 1)
	}
	skipBlocks := func() {
		for i < len(data) && data[i] != 0 {
			i += int(data[i]) + 1
		}
		i++
	}
	var local []bool
	for i < len(data) {
		switch data[i] {
		case 0x21: // extension: label, then sub-blocks
			i += 2
			skipBlocks()
		case 0x2C: // image descriptor, optional local table, LZW minimum code size, sub-blocks
			flags := data[i+9]
			local = append(local, flags&0x80 != 0)
			i += 10
			if flags&0x80 != 0 {
				i += 3 << (flags&7 + 1)
			}
			i++
			skipBlocks()
		case 0x3B:
			return local
		default:
			t.Fatalf("GIF: unknown block 0x%02x at byte %d", data[i], i)
		}
	}
	t.Fatal("GIF: no trailer")
	return nil
}

// TestChromiumRealFootage shows the GIF of a real two-scene clip (a face, a hard cut, a koala:
// a global colour table, then a local one from the cut on) in headless Chromium and checks,
// from screenshots taken in real time, that every one shows a frame of the GIF faithfully and
// that the browser plays both scenes: the frames with the local table included.
func TestChromiumRealFootage(t *testing.T) {
	var out bytes.Buffer
	if _, err := Convert(t.Context(), fixture("real/cut-face-koala.mp4"), Options{}, &out); err != nil {
		t.Fatal(err)
	}
	a, err := quality.DecodeGIF(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	local := localTables(t, out.Bytes())
	page := chromium.ShowGIF(t, out.Bytes(), a.Width, a.Height, 3, 90*time.Second)
	var shown [2]int // screenshots matching a frame of the first scene, of the second
	deadline := time.Now().Add(20 * time.Second)
	for shots := 1; (shown[0] < 3 || shown[1] < 3) && time.Now().Before(deadline); shots++ {
		shot := page.Screenshot(t)
		best, bestPSNR := 0, 0.0
		for k, f := range a.Frames {
			if p := quality.PSNR(quality.MSE(shot, f.Pix)); p > bestPSNR {
				best, bestPSNR = k, p
			}
		}
		if bestPSNR < 35 {
			t.Fatalf("screenshot %d matches no frame of the GIF: best is frame %d at %.1f dB", shots, best, bestPSNR)
		}
		if local[best] {
			shown[1]++
		} else {
			shown[0]++
		}
		time.Sleep(100 * time.Millisecond)
	}
	if shown[0] < 3 || shown[1] < 3 {
		t.Fatalf("screenshots showed %d frames of the first scene and %d of the second: not playing both", shown[0], shown[1])
	}
	t.Logf("screenshots: %d of the first scene, %d of the second", shown[0], shown[1])
}
