// Command hevc measures the HEVC goals of issue 14 in one run and prints them as the Markdown
// of bench/RESULTS.md's "HEVC" section:
//
//   - libde265 against FFmpeg's HEVC decoder on the same 8-bit and 10-bit 1280x1280 files, one
//     thread and all cores (libde265's worker threads, FFmpeg's -threads 0);
//   - our conversion (bin/server convert, one thread, in process) of an HEVC-only 1280x1280
//     cover against FFmpeg's recipe on one thread (goal: within 1.5x), and of an HEVC-only HLS
//     master (goal: within 0.2x; ours reads the smallest large enough variant, FFmpeg the first);
//   - peak resident memory of every conversion.
//
// CPU time (user + system, from rusage) is what is compared: the machine is shared, and wall
// times move with what else runs; the load average before and after is printed with the table.
// Inputs are made once under bench/work/hevc (about five minutes of x265 on two cores).
//
//	go run ./bench/hevc [-reps 3]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

const (
	size    = 1280
	rate    = 30
	seconds = 10
	gop     = 60 // 2 s, as TIDAL's and Apple's encodes
)

func main() {
	reps := flag.Int("reps", 3, "runs of every measurement; the median is reported")
	work := flag.String("work", "bench/work/hevc", "where the inputs and outputs go")
	flag.Parse()
	if err := run(*reps, *work); err != nil {
		fmt.Fprintf(os.Stderr, "bench/hevc: %v\n", err)
		os.Exit(1)
	}
}

func run(reps int, work string) error {
	ctx := context.Background()
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	server := filepath.Join(work, "server")
	if out, err := exec.Command("go", "build", "-o", server, "./cmd/server").CombinedOutput(); err != nil {
		return fmt.Errorf("building the server: %v: %s", err, out)
	}
	in, err := makeInputs(ctx, work)
	if err != nil {
		return err
	}
	loadBefore := loadAverage()
	var b strings.Builder
	// Conversions first: a child's peak RSS (rusage) starts from this process's own peak, which
	// os/exec's vfork hands over at exec, so it must still be small here (it is printed).
	floor := peakRSS()
	fmt.Fprintf(&b, "Conversions to an 80 px, 24 fps GIF on one thread (ours: `server convert -threads 1 -isolate=false`; "+
		"FFmpeg: the earlier service's recipe with `-threads 1`), median of %d runs:\n\n", reps)
	b.WriteString("| source | tool | reads | CPU s | wall s | peak RSS MB | CPU vs FFmpeg | goal |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range []struct {
		name, input, goal string
		limit             float64
	}{
		{"HEVC-only 1280x1280 MP4, 8-bit", in.main8, "<= 1.5x", 1.5},
		{"HEVC-only 1280x1280 MP4, Main 10", in.main10, "<= 1.5x", 1.5},
		{"HEVC-only HLS master (360, 768, 1280, Main 10)", in.master, "<= 0.2x", 0.2},
	} {
		gif := filepath.Join(work, "out.gif")
		ours := median(reps, func() (measure, error) {
			return runChild(ctx, server, "convert", "-threads", "1", "-isolate=false", c.input, gif)
		})
		ff := median(reps, func() (measure, error) {
			return runChild(ctx, "ffmpeg", recipe(c.input)...)
		})
		if ours.err != nil || ff.err != nil {
			return errors.Join(ours.err, ff.err)
		}
		ratio := ours.cpu.Seconds() / ff.cpu.Seconds()
		verdict := "met"
		if ratio > c.limit {
			verdict = "missed"
		}
		reads := ours.readFrom
		fmt.Fprintf(&b, "| %s | ours | %s | %.2f | %.2f | %.0f | %.2fx | %s: %s |\n", c.name, reads, ours.cpu.Seconds(), ours.wall.Seconds(), mb(ours.maxRSS), ratio, c.goal, verdict)
		fmt.Fprintf(&b, "| %s | FFmpeg | %s | %.2f | %.2f | %.0f | 1 | |\n", c.name, ffReads(c.input), ff.cpu.Seconds(), ff.wall.Seconds(), mb(ff.maxRSS))
	}
	fmt.Fprintf(&b, "\nDecoding every picture of a %d s, %d fps, %dx%d x265 stream (preset fast, 1 Mbit/s, "+
		"B-pyramid, open GOP every %d pictures), median of %d runs:\n\n", seconds, rate, size, size, gop, reps)
	b.WriteString("| stream | decoder | threads | frames/s (wall) | CPU ms/frame | CPU vs FFmpeg |\n|---|---|---|---|---|---|\n")
	for _, f := range []struct{ name, file string }{{"8-bit Main", in.main8}, {"10-bit Main 10", in.main10}} {
		samples, err := readSamples(ctx, f.file)
		if err != nil {
			return err
		}
		for _, threads := range []int{1, 0} {
			label := "1"
			if threads == 0 {
				label = fmt.Sprintf("all (%d)", runtime.NumCPU())
			}
			ours := median(reps, func() (measure, error) { return decodeOurs(samples, threads) })
			ff := median(reps, func() (measure, error) {
				return runChild(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", strconv.Itoa(threads), "-i", f.file, "-f", "null", "-")
			})
			if ours.err != nil || ff.err != nil {
				return errors.Join(ours.err, ff.err)
			}
			n := float64(len(samples))
			fmt.Fprintf(&b, "| %s | libde265 %s | %s | %.0f | %.2f | %.2fx |\n", f.name, h265.Version(), label, n/ours.wall.Seconds(), ms(ours.cpu)/n, ours.cpu.Seconds()/ff.cpu.Seconds())
			fmt.Fprintf(&b, "| %s | FFmpeg hevc | %s | %.0f | %.2f | 1 |\n", f.name, label, n/ff.wall.Seconds(), ms(ff.cpu)/n)
		}
	}

	fmt.Fprintf(&b, "\nLoad average (1, 5, 15 min) before: %s; after: %s; %d CPUs. FFmpeg: %s. Peak RSS counts from "+
		"the launching process's own, %.0f MB.\n", loadBefore, loadAverage(), runtime.NumCPU(), ffmpegVersion(), mb(floor))
	fmt.Print(b.String())
	return nil
}

// inputs are the files measured.
type inputs struct{ main8, main10, master string }

// makeInputs makes (once) the synthetic 1280x1280 source, its x265 encodes, and an Apple-like
// HEVC-only master of byte-range fMP4 variants, the largest first.
func makeInputs(ctx context.Context, work string) (inputs, error) {
	src := filepath.Join(work, "source.mkv")
	in := inputs{main8: filepath.Join(work, "hevc-main-1280.mp4"), main10: filepath.Join(work, "hevc-main10-1280.mp4"), master: filepath.Join(work, "master.m3u8")}
	s := fmt.Sprintf("size=%dx%d:rate=%d", size, size, rate)
	yuv := "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
	graph := fmt.Sprintf("mandelbrot=%s,%s[m];testsrc2=%s,%s[t];[m][t]blend=all_mode=average,noise=alls=6:allf=t,trim=duration=%d", s, yuv, s, yuv, seconds)
	if err := once(src, func(tmp string) error {
		return ffmpeg(ctx, "-f", "lavfi", "-i", graph, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p", "-f", "matroska", tmp)
	}); err != nil {
		return in, err
	}
	x265 := func(pixfmt string, kbps int, closed bool) []string {
		params := fmt.Sprintf("log-level=error:keyint=%d:min-keyint=%d:scenecut=0:bframes=4:b-pyramid=1:open-gop=%d", gop, gop, map[bool]int{false: 1, true: 0}[closed])
		return []string{"-c:v", "libx265", "-preset", "fast", "-b:v", strconv.Itoa(kbps) + "k", "-pix_fmt", pixfmt, "-x265-params", params,
			"-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-tag:v", "hvc1", "-an"}
	}
	for _, e := range []struct{ file, pixfmt string }{{in.main8, "yuv420p"}, {in.main10, "yuv420p10le"}} {
		if err := once(e.file, func(tmp string) error {
			return ffmpeg(ctx, append(append([]string{"-i", src}, x265(e.pixfmt, 1000, false)...), "-movflags", "+faststart", "-f", "mp4", tmp)...)
		}); err != nil {
			return in, err
		}
	}
	var master strings.Builder
	master.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, v := range []struct{ size, kbps int }{{1280, 1000}, {768, 450}, {360, 150}} {
		name := fmt.Sprintf("video_hevc_sdr_%dx%d", v.size, v.size)
		playlist := filepath.Join(work, name+".m3u8")
		if err := once(playlist, func(tmp string) error {
			args := append([]string{"-i", src, "-vf", fmt.Sprintf("scale=%d:%d:flags=area", v.size, v.size)}, x265("yuv420p10le", v.kbps, true)...)
			// The hls muxer names the segment file itself: it is written beside the playlist's
			// temporary name and renamed with it.
			seg := filepath.Join(work, name+"-.mp4")
			return ffmpeg(ctx, append(args, "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
				"-hls_flags", "single_file", "-hls_segment_filename", seg, tmp+".m3u8")...)
		}); err != nil {
			return in, err
		}
		fmt.Fprintf(&master, "#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,VIDEO-RANGE=SDR,CODECS=\"hvc1.2.4.L%d.B0\",RESOLUTION=%dx%d,FRAME-RATE=30.000\n%s.m3u8\n",
			v.kbps*1500, v.kbps*1000, map[bool]int{true: 123, false: 93}[v.size > 720], v.size, v.size, name)
	}
	return in, os.WriteFile(in.master, []byte(master.String()), 0o644)
}

// once makes path with build(tmp) unless it exists, renaming the temporary file into place.
func once(path string, build func(tmp string) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	fmt.Fprintf(os.Stderr, "bench/hevc: making %s\n", path)
	tmp := path + ".tmp"
	if err := build(tmp); err != nil {
		return err
	}
	if _, err := os.Stat(tmp + ".m3u8"); err == nil {
		tmp += ".m3u8"
	}
	return os.Rename(tmp, path)
}

func ffmpeg(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// recipe is the earlier service's conversion with ffmpeg on one thread, as bench/ffmpeg.go has
// it: at most 24 fps, fit in 80x80, a 32-colour palette of the whole clip, Bayer dither.
func recipe(input string) []string {
	graph := "[0:v:0]fps=24,scale=80:80:force_original_aspect_ratio=decrease,split[a][b];" +
		"[a]palettegen=max_colors=32[p];[b][p]paletteuse=dither=bayer"
	return []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "1", "-filter_complex_threads", "1",
		"-t", "30", "-i", input, "-filter_complex", graph, "-loop", "0", "-threads", "1", "-f", "gif", "-"}
}

// ffReads says what FFmpeg's recipe decodes: a master's first variant ([0:v:0]).
func ffReads(input string) string {
	if strings.HasSuffix(input, ".m3u8") {
		return "1280x1280 (first variant)"
	}
	return "1280x1280"
}

// measure is one run of something.
type measure struct {
	wall, cpu time.Duration
	maxRSS    int64  // bytes
	readFrom  string // ours: the size of the file the conversion read
	err       error
}

// runChild runs a program to its end, its output discarded, and measures it from its rusage.
func runChild(ctx context.Context, name string, args ...string) (measure, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	m := measure{wall: time.Since(start)}
	if err != nil {
		return m, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.maxRSS = ru.Maxrss << 10
	if _, from, ok := strings.Cut(stderr.String(), "read from "); ok {
		m.readFrom = readSize(strings.TrimSpace(from))
	}
	return m, nil
}

// readSize names a file read by its size ("video_hevc_sdr_360x360-.mp4" is "360x360").
func readSize(path string) string {
	base := filepath.Base(path)
	for _, f := range strings.FieldsFunc(base, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if w, h, ok := strings.Cut(f, "x"); ok && w != "" && h != "" {
			if _, err := strconv.Atoi(w); err == nil {
				return f
			}
		}
	}
	return base
}

// readSamples demuxes a file with the codec package, as a conversion does.
func readSamples(ctx context.Context, file string) ([]codec.Sample, error) {
	src, err := codec.Open(ctx, file, codec.OpenOptions{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var out []codec.Sample
	for {
		s, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
}

// decodeOurs decodes every sample with one libde265 decoder, on threads worker threads (0: one
// per CPU), and measures this process's CPU time over it.
func decodeOurs(samples []codec.Sample, threads int) (measure, error) {
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	d, err := h265.NewDecoder(threads)
	if err != nil {
		return measure{}, err
	}
	defer d.Close()
	pictures := 0
	count := func(*yuv.Picture) error { pictures++; return nil }
	for _, s := range samples {
		if err := d.Decode(s.AnnexB, s.PTS, count); err != nil {
			return measure{}, err
		}
	}
	if err := d.Flush(count); err != nil {
		return measure{}, err
	}
	m := measure{wall: time.Since(start)}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	m.cpu = time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	if pictures != len(samples) {
		return m, fmt.Errorf("%d pictures of %d samples", pictures, len(samples))
	}
	return m, nil
}

// median runs f reps times and keeps the run of median CPU time (with its other numbers).
func median(reps int, f func() (measure, error)) measure {
	var runs []measure
	for range reps {
		m, err := f()
		if err != nil {
			return measure{err: err}
		}
		runs = append(runs, m)
	}
	slices.SortFunc(runs, func(a, b measure) int { return int(a.cpu - b.cpu) })
	return runs[(len(runs)-1)/2]
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(data))[:3], ", ")
}

func ffmpegVersion() string {
	out, err := exec.Command("ffmpeg", "-hide_banner", "-version").Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return line
}

// peakRSS is this process's peak resident set (VmHWM), bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(b int64) float64         { return float64(b) / (1 << 20) }
