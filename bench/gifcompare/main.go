// Command gifcompare encodes the same frames with gifenc and with the earlier service's ffmpeg
// recipe (palettegen over the whole clip, paletteuse with Bayer dither) and reports, per clip,
// bytes, PSNR against the frames both were given, local colour tables and encoding time. The
// frames are each clip's pictures at 24 fps, turned into RGB at full size and area-scaled to fit
// 80x80, as the harness's references are; so this measures the encoders alone. It needs ffmpeg,
// so it is a program, not a test:
//
//	go run ./bench/gifcompare [-inputs 'testdata/real/*.mp4'] [-sweep]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

const (
	size = 80 // output box, pixels
	fps  = 24 // output frame rate
)

func main() {
	inputs := flag.String("inputs", "testdata/real/*.mp4", "clips to compare on (a glob, or several separated by commas)")
	work := flag.String("work", filepath.Join(os.TempDir(), "gifcompare"), "directory for the frames and GIFs (reused)")
	colors := flag.Int("colors", 32, "colour table size, for both encoders")
	dither := flag.String("dither", "bayer", "gifenc dither: bayer, floyd-steinberg or none")
	strength := flag.Float64("bayer-strength", 0, "gifenc Bayer strength (0: default)")
	tolerance := flag.Int("tolerance", 0, "gifenc tolerance (0: default, -1: exact)")
	local := flag.Float64("local", 0, "gifenc LocalPaletteError, RMS levels (0: default, <0: no local tables)")
	window := flag.Duration("window", 0, "gifenc PaletteWindow (0: default, <0: first frame only)")
	sweep := flag.Bool("sweep", false, "also try a grid of palette windows and local palette limits")
	jsonOut := flag.String("json", "", "also write the results to this JSON file")
	flag.Parse()

	d, err := gifenc.ParseDither(*dither)
	if err != nil {
		fail(err)
	}
	opts := gifenc.Options{Colors: *colors, Dither: d, BayerStrength: *strength, Tolerance: *tolerance,
		LocalPaletteError: *local, PaletteWindow: *window}
	variants := []variant{{name: "gifenc", opts: opts}}
	if *sweep {
		for _, win := range []time.Duration{-1, time.Second, 2 * time.Second, 4 * time.Second, time.Minute} {
			for _, l := range []float64{-1, 6, 8, 10, 12, 16} {
				o := opts
				o.PaletteWindow, o.LocalPaletteError = win, l
				variants = append(variants, variant{name: fmt.Sprintf("window=%v local=%g", win, l), opts: o})
			}
		}
	}
	files, err := expand(*inputs)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*work, 0o755); err != nil {
		fail(err)
	}
	var all []row
	for _, f := range files {
		rows, err := compare(f, *work, *colors, variants)
		if err != nil {
			fail(err)
		}
		all = append(all, rows...)
	}
	report(all)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	slog.Error("gifcompare", "err", err)
	os.Exit(1)
}

type variant struct {
	name string
	opts gifenc.Options
}

// row is one encoder's result on one clip.
type row struct {
	Clip          string
	Encoder       string
	Frames        int // reference frames
	Bytes         int
	PSNR          float64 // mean over frames, dB
	BlurPSNR      float64
	Images        int
	LocalPalettes int     // local colour tables built
	LocalFrames   int     // images carrying a local colour table
	Built         int     // palettes built, unused candidates included
	EncodeMicros  float64 // per frame, CPU of the encoding goroutine (wall on an otherwise idle core)
	ffBytes       int
	ffPSNR        float64
}

func expand(inputs string) ([]string, error) {
	var files []string
	for _, pat := range strings.Split(inputs, ",") {
		m, err := filepath.Glob(pat)
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no input matches %q", pat)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// compare makes the clip's frames, the recipe's GIF of them, and each variant's.
func compare(file, work string, colors int, variants []variant) ([]row, error) {
	name := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	w, h, err := fitSize(file)
	if err != nil {
		return nil, err
	}
	raw := filepath.Join(work, fmt.Sprintf("%s-%dx%d.rgb", name, w, h))
	// The harness's references: full-size RGB with chroma interpolated to every pixel, then area.
	if err := ffmpeg("-t", "30", "-i", file, "-map", "0:v:0", "-vf",
		fmt.Sprintf("fps=%d,scale=flags=bicubic+full_chroma_int+accurate_rnd,format=rgb24,scale=%d:%d:flags=area", fps, w, h),
		"-pix_fmt", "rgb24", "-f", "rawvideo", raw); err != nil {
		return nil, err
	}
	f, err := os.Open(raw)
	if err != nil {
		return nil, err
	}
	ref, err := quality.ReadRGB24(f, w, h, fps)
	f.Close()
	if err != nil {
		return nil, err
	}

	ffGIF := filepath.Join(work, name+"-ffmpeg.gif")
	recipe := fmt.Sprintf("split[a][b];[a]palettegen=max_colors=%d[p];[b][p]paletteuse=dither=bayer", colors)
	if err := ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt.Sprintf("%dx%d", w, h), "-r", strconv.Itoa(fps),
		"-i", raw, "-filter_complex", recipe, "-loop", "0", ffGIF); err != nil {
		return nil, err
	}
	ffData, err := os.ReadFile(ffGIF)
	if err != nil {
		return nil, err
	}
	ff, err := measure(ffData, ref)
	if err != nil {
		return nil, fmt.Errorf("%s: ffmpeg's GIF: %w", name, err)
	}
	ff.Clip, ff.Encoder, ff.Bytes = name, "ffmpeg recipe", len(ffData)
	rows := []row{ff}
	for _, v := range variants {
		o := v.opts
		o.Width, o.Height = w, h
		data, stats, err := encode(o, ref.Frames)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, v.name, err)
		}
		r, err := measure(data, ref)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, v.name, err)
		}
		r.Clip, r.Encoder, r.Bytes = name, v.name, len(data)
		r.LocalPalettes, r.LocalFrames, r.Built = stats.LocalPalettes(), stats.LocalFrames(), stats.PalettesBuilt()
		r.EncodeMicros = stats.micros
		r.ffBytes, r.ffPSNR = ff.Bytes, ff.PSNR
		rows = append(rows, r)
		if v.name == "gifenc" {
			if err := os.WriteFile(filepath.Join(work, name+"-gifenc.gif"), data, 0o644); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

// fitSize is the size ffmpeg's recipe and ours give the clip: it fits in 80x80, aspect kept.
func fitSize(file string) (int, int, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
		"-of", "csv=p=0", file).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("ffprobe %s: %w", file, err)
	}
	var sw, sh int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "%d,%d", &sw, &sh); err != nil || sw <= 0 || sh <= 0 {
		return 0, 0, fmt.Errorf("ffprobe %s: size %q", file, out)
	}
	if sw >= sh {
		return size, max(1, (sh*size+sw/2)/sw), nil
	}
	return max(1, (sw*size+sh/2)/sh), size, nil
}

type encodeStats struct {
	*gifenc.Writer
	micros float64
}

func encode(o gifenc.Options, frames [][]byte) ([]byte, encodeStats, error) {
	var buf bytes.Buffer
	w, err := gifenc.NewWriter(&buf, o)
	if err != nil {
		return nil, encodeStats{}, err
	}
	start := time.Now()
	for i, f := range frames {
		if err := w.WriteFrame(gifenc.Frame{Timestamp: frameTime(i), RGB: f}); err != nil {
			return nil, encodeStats{}, err
		}
	}
	if err := w.Close(frameTime(len(frames))); err != nil {
		return nil, encodeStats{}, err
	}
	el := time.Since(start)
	return buf.Bytes(), encodeStats{Writer: w, micros: float64(el.Microseconds()) / float64(len(frames))}, nil
}

func frameTime(i int) time.Duration { return time.Duration(i) * time.Second / fps }

func measure(data []byte, ref *quality.Reference) (row, error) {
	a, err := quality.DecodeGIF(bytes.NewReader(data))
	if err != nil {
		return row{}, err
	}
	q, err := quality.Compare(a, ref)
	if err != nil {
		return row{}, err
	}
	return row{Frames: q.Frames, PSNR: q.MeanPSNR, BlurPSNR: q.BlurredMeanPSNR, Images: len(a.Frames)}, nil
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

func report(rows []row) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clip\tencoder\tframes\tbytes\tvs ffmpeg\tPSNR dB\tΔ dB\tblurred dB\tlocal tables\tframes with one\tbuilt\tµs/frame\t")
	for _, r := range rows {
		vs, delta, enc := "", "", ""
		if r.ffBytes > 0 {
			vs = fmt.Sprintf("%.2fx", float64(r.Bytes)/float64(r.ffBytes))
			delta = fmt.Sprintf("%+.2f", r.PSNR-r.ffPSNR)
			enc = fmt.Sprintf("%.0f", r.EncodeMicros)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%.2f\t%s\t%.2f\t%d\t%d\t%d\t%s\t\n", r.Clip, r.Encoder, r.Frames, r.Bytes, vs,
			r.PSNR, delta, r.BlurPSNR, r.LocalPalettes, r.LocalFrames, r.Built, enc)
	}
	tw.Flush()
}
