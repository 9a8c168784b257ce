// Command gifcompare encodes the same frames with gifenc and with the earlier
// service's ffmpeg recipe and reports bytes and PSNR against the source frames
// (PERFORMANCE.md, "Quality and size"). It needs ffmpeg with libx264, so it is
// a program, not a test:
//
//	go run ./bench/gifcompare [-sweep]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image/gif"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/musicpresence/animated-album-covers/gifenc"
)

const (
	size = 80 // output side, pixels
	fps  = 24 // output frame rate
)

func main() {
	work := flag.String("work", filepath.Join(os.TempDir(), "gifcompare"), "directory for the generated clip, frames and GIFs (reused)")
	seconds := flag.Int("seconds", 15, "length of the generated source clip")
	bitrate := flag.String("bitrate", "1M", "x264 bit rate of the source clip (PERFORMANCE.md's \"lo\" is about 1 Mbit/s)")
	colors := flag.Int("colors", 32, "colour table size, for both encoders")
	dither := flag.String("dither", "bayer", "gifenc dither: bayer, floyd-steinberg or none")
	strength := flag.Float64("bayer-strength", 0, "gifenc Bayer strength (0: default)")
	tolerance := flag.Int("tolerance", 0, "gifenc tolerance (0: default, -1: exact)")
	local := flag.Float64("local", 0, "gifenc local palette threshold (0: default, <0: off)")
	sweep := flag.Bool("sweep", false, "also try a grid of Bayer strengths and tolerances")
	flag.Parse()

	if err := run(*work, *seconds, *bitrate, *colors, *dither, *strength, *tolerance, *local, *sweep); err != nil {
		slog.Error("gifcompare", "err", err)
		os.Exit(1)
	}
}

func run(work string, seconds int, bitrate string, colors int, ditherName string, strength float64, tolerance int, local float64, sweep bool) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	clip := filepath.Join(work, fmt.Sprintf("source-%ds-%s.mp4", seconds, bitrate))
	if err := makeClip(clip, seconds, bitrate); err != nil {
		return err
	}
	raw := filepath.Join(work, fmt.Sprintf("frames-%ds-%s.rgb", seconds, bitrate))
	if err := ffmpeg("-i", clip, "-vf", fmt.Sprintf("fps=%d,scale=%d:%d:flags=area", fps, size, size),
		"-f", "rawvideo", "-pix_fmt", "rgb24", raw); err != nil {
		return err
	}
	src, err := readFrames(raw)
	if err != nil {
		return err
	}
	fmt.Printf("source: %s, %d frames of %dx%d at %d fps\n\n", clip, len(src), size, size, fps)

	ffGIF := filepath.Join(work, "ffmpeg.gif")
	recipe := fmt.Sprintf("split[a][b];[a]palettegen=max_colors=%d[p];[b][p]paletteuse=dither=bayer", colors)
	if err := ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt.Sprintf("%dx%d", size, size), "-r", fmt.Sprint(fps),
		"-i", raw, "-filter_complex", recipe, "-loop", "0", ffGIF); err != nil {
		return err
	}
	ffData, err := os.ReadFile(ffGIF)
	if err != nil {
		return err
	}
	ff, err := measure("ffmpeg "+recipe, ffData, src)
	if err != nil {
		return err
	}

	d, err := gifenc.ParseDither(ditherName)
	if err != nil {
		return err
	}
	opts := gifenc.Options{Width: size, Height: size, Colors: colors, Dither: d, BayerStrength: strength, Tolerance: tolerance, LocalPaletteThreshold: local}
	results := []result{ff}
	ours, err := encodeOurs(opts, src)
	if err != nil {
		return err
	}
	ours.name = fmt.Sprintf("gifenc %v strength=%g tolerance=%d", d, strength, tolerance)
	if err := os.WriteFile(filepath.Join(work, "gifenc.gif"), ours.data, 0o644); err != nil {
		return err
	}
	results = append(results, ours)
	if sweep {
		for _, dd := range []gifenc.Dither{gifenc.DitherBayer, gifenc.DitherNone, gifenc.DitherFloydSteinberg} {
			for _, s := range []float64{0.125, 0.25, 0.375} {
				if dd != gifenc.DitherBayer && s != 0.25 {
					continue
				}
				for _, tol := range []int{gifenc.NoTolerance, 8, 12, 16, 20, 24} {
					o := opts
					o.Dither, o.BayerStrength, o.Tolerance = dd, s, tol
					r, err := encodeOurs(o, src)
					if err != nil {
						return err
					}
					r.name = fmt.Sprintf("gifenc %v strength=%g tolerance=%d", dd, s, tol)
					results = append(results, r)
				}
			}
		}
	}
	report(results, ff)
	return nil
}

// makeClip generates a grainy, detailed 1280x1280 30 fps H.264 clip, like an
// animated cover with film grain: a slowly zooming Mandelbrot set with
// temporal noise, encoded by x264 at the given bit rate.
func makeClip(path string, seconds int, bitrate string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	src := fmt.Sprintf("mandelbrot=s=640x640:r=30:maxiter=256:start_scale=1.5:end_scale=0.6,"+
		"scale=1280:1280:flags=bicubic,noise=alls=14:allf=t+u,format=yuv420p,trim=duration=%d", seconds)
	return ffmpeg("-f", "lavfi", "-i", src, "-c:v", "libx264", "-preset", "medium", "-b:v", bitrate,
		"-profile:v", "high", "-pix_fmt", "yuv420p", path)
}

func ffmpeg(args ...string) error {
	cmd := exec.Command("ffmpeg", append([]string{"-y", "-hide_banner", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg %v: %w: %s", args, err, stderr.String())
	}
	return nil
}

func readFrames(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n := size * size * 3
	var frames [][]byte
	for len(data) >= n {
		frames = append(frames, data[:n:n])
		data = data[n:]
	}
	return frames, nil
}

type result struct {
	name     string
	data     []byte
	images   int
	psnr     float64 // against the source frames
	blurPSNR float64 // both blurred 3x3 first
	encode   time.Duration
}

func encodeOurs(opts gifenc.Options, src [][]byte) (result, error) {
	var buf bytes.Buffer
	start := time.Now()
	w, err := gifenc.NewWriter(&buf, opts)
	if err != nil {
		return result{}, err
	}
	for i, f := range src {
		if err := w.WriteFrame(gifenc.Frame{Timestamp: frameTime(i), RGB: f}); err != nil {
			return result{}, err
		}
	}
	if err := w.Close(frameTime(len(src))); err != nil {
		return result{}, err
	}
	el := time.Since(start)
	r, err := measure("", buf.Bytes(), src)
	r.encode = el
	return r, err
}

func frameTime(i int) time.Duration { return time.Duration(i) * time.Second / fps }

// measure decodes data, composes its images as a browser shows them, takes
// for each source frame the image showing at its time, and computes PSNR
// from the mean squared error over all frames.
func measure(name string, data []byte, src [][]byte) (result, error) {
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return result{}, fmt.Errorf("%s: decode: %w", name, err)
	}
	canvas := make([]byte, size*size*3)
	var shown [][]byte
	var ends []int // centiseconds
	end := 0
	for k, m := range g.Image {
		if g.Disposal[k] > gif.DisposalNone {
			return result{}, fmt.Errorf("%s: image %d: disposal %d not supported here", name, k, g.Disposal[k])
		}
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, gg, bb, a := m.Palette[m.Pix[m.PixOffset(x, y)]].RGBA()
				if a == 0 {
					continue
				}
				i := 3 * (y*size + x)
				canvas[i], canvas[i+1], canvas[i+2] = byte(r>>8), byte(gg>>8), byte(bb>>8)
			}
		}
		shown = append(shown, append([]byte(nil), canvas...))
		end += g.Delay[k]
		ends = append(ends, end)
	}
	var sse, sseBlur float64
	k := 0
	for i, f := range src {
		at := float64(i)*100/fps + 0.5 // middle of the source frame's first centisecond
		for k+1 < len(shown) && float64(ends[k]) <= at {
			k++
		}
		sse += sqErr(f, shown[k])
		sseBlur += sqErr(blur(f), blur(shown[k]))
	}
	n := float64(len(src) * size * size * 3)
	return result{name: name, data: data, images: len(g.Image), psnr: toPSNR(sse / n), blurPSNR: toPSNR(sseBlur / n)}, nil
}

func sqErr(a, b []byte) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s
}

func toPSNR(mse float64) float64 {
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/mse)
}

// blur is a 3x3 box filter (edges repeat), standing for the eye at small sizes.
func blur(p []byte) []byte {
	out := make([]byte, len(p))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			for c := 0; c < 3; c++ {
				s := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xx := min(max(y+dy, 0), size-1), min(max(x+dx, 0), size-1)
						s += int(p[3*(yy*size+xx)+c])
					}
				}
				out[3*(y*size+x)+c] = byte((s + 4) / 9)
			}
		}
	}
	return out
}

func report(results []result, ff result) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "encoder\tbytes\tvs ffmpeg\timages\tPSNR dB\tΔ dB\tblurred PSNR dB\tΔ dB\tencode\t")
	for _, r := range results {
		enc := ""
		if r.encode > 0 {
			enc = r.encode.Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%d\t%.2f\t%+.2f\t%.2f\t%+.2f\t%s\t\n", r.name, len(r.data), 100*float64(len(r.data))/float64(len(ff.data)),
			r.images, r.psnr, r.psnr-ff.psnr, r.blurPSNR, r.blurPSNR-ff.blurPSNR, enc)
	}
	tw.Flush()
}
