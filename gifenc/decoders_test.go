package gifenc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// sampleGIFs are outputs covering every dither, tiny and full palettes, odd
// sizes, local colour tables and merged frames.
func sampleGIFs(t *testing.T) map[string][]byte {
	rng := rand.New(rand.NewPCG(9, 9))
	out := map[string][]byte{}
	for _, tc := range []struct {
		name string
		opts Options
		n    int
	}{
		{"bayer-80", Options{Width: 80, Height: 80}, 30},
		{"fs-80", Options{Width: 80, Height: 80, Dither: DitherFloydSteinberg}, 30},
		{"none-odd", Options{Width: 37, Height: 11, Dither: DitherNone, Tolerance: NoTolerance}, 20},
		{"two-colours", Options{Width: 9, Height: 9, Colors: 2}, 10},
		{"256-colours", Options{Width: 64, Height: 64, Colors: 256}, 10},
		{"one-pixel", Options{Width: 1, Height: 1}, 5},
	} {
		var frames [][]byte
		for i := 0; i < tc.n; i++ {
			frames = append(frames, scene(tc.opts.Width, tc.opts.Height, i, 5, rng))
		}
		// A cut to other colours, for local colour tables.
		for i := 0; i < tc.n/3; i++ {
			f := scene(tc.opts.Width, tc.opts.Height, i, 0, nil)
			for j := range f {
				f[j] = f[j]/4 + byte(j%3)*80
			}
			frames = append(frames, f)
		}
		frames = append(frames, frames[len(frames)-1]) // merged
		out[tc.name] = encodeAll(t, tc.opts, frames, 24)
	}
	return out
}

// TestGifsicle checks every sample with gifsicle --info, a decoder stricter
// than image/gif (it warns about bad code sizes and extra data).
func TestGifsicle(t *testing.T) {
	bin, err := exec.LookPath("gifsicle")
	if err != nil {
		if testing.Short() {
			t.Skip("gifsicle not installed")
		}
		t.Fatal("gifsicle not found on PATH: install it with scripts/install-deps.sh (Debian package gifsicle)")
	}
	dir := t.TempDir()
	images := regexp.MustCompile(`(\d+) images?\b`)
	for name, data := range sampleGIFs(t) {
		dec := decodeCompose(t, data)
		path := filepath.Join(dir, name+".gif")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "--info", path)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("%s: gifsicle: %v: %s", name, err, stderr.String())
			continue
		}
		m := images.FindStringSubmatch(stdout.String())
		if m == nil {
			t.Errorf("%s: no image count in %q", name, stdout.String())
			continue
		}
		if n, _ := strconv.Atoi(m[1]); n != len(dec.frames) {
			t.Errorf("%s: gifsicle sees %d images, image/gif %d", name, n, len(dec.frames))
		}
		if !bytes.Contains(stdout.Bytes(), []byte("loop forever")) {
			t.Errorf("%s: gifsicle does not see the loop extension:\n%s", name, stdout.String())
		}
		if testing.Verbose() {
			fmt.Printf("%s: %d bytes, %s images\n", name, len(data), m[1])
		}
	}
}
