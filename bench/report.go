package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
)

// Other people write other sections of bench/RESULTS.md at the same time; this harness owns only
// what lies between these markers and leaves the rest of the file as it finds it.
const (
	sectionBegin = "<!-- bench-harness:begin (written by `go run ./bench`; edit the harness, not this) -->"
	sectionEnd   = "<!-- bench-harness:end -->"
)

// runInfo says where and how the numbers were made.
type runInfo struct {
	Date          time.Time
	CPUs          int
	CPUModel      string
	Load          string // /proc/loadavg at the start: other work on the machine skews timings
	FFmpeg        string
	Server        string // `bin/server version`
	Command       string
	Reps          int
	RateMbit      float64
	CorpusSummary []string
}

// section renders the whole section, markers included.
func section(info runInfo, rs resultSet, chartFile string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n## Conversion (bench harness)\n\n", sectionBegin)
	w("Made by `%s` (`make bench` runs `go run ./bench`) on %s: %d CPUs (%s), load average at start %s; %s; %s.\n",
		info.Command, info.Date.UTC().Format("2006-01-02 15:04 MST"), info.CPUs, info.CPUModel, info.Load, info.FFmpeg, info.Server)
	w("Every case ran %d time(s), tools interleaved; the numbers are medians. URL cases read from an in-process HTTP origin on loopback throttled to %g Mbit/s (all responses together), or from a second one without a limit where the case says \"unthrottled\". Timings move by 10%% and more from run to run on these machines: compare ratios within one run.\n\n", info.Reps, info.RateMbit)

	w("### Goals (issue 4)\n\n| goal | measured | target | verdict |\n|---|---|---|---|\n")
	for _, g := range rs.goals() {
		w("| %s | %s | %s | %s |\n", g.Goal, g.Measured, g.Target, strings.ToUpper(g.Verdict))
	}

	w("\n### Goals (issue 11: real footage, the production paths)\n\n| goal | measured | target | verdict |\n|---|---|---|---|\n")
	for _, g := range rs.realGoals() {
		w("| %s | %s | %s | %s |\n", g.Goal, g.Measured, g.Target, strings.ToUpper(g.Verdict))
	}

	w("\n### All rows\n\n")
	w("| case | tool | threads | wall | CPU | fps | first byte | peak RSS | bytes | PSNR | blurred PSNR | wall ours/ffmpeg | bytes ours/ffmpeg |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.Err != nil {
			w("| %s | %s | %s | error: %s |||||||||\n", r.Case.Name, r.Tool.Kind, r.Tool.threadsLabel(), mdEscape(tail(r.Err.Error(), 200)))
			continue
		}
		psnr, blurred := "—", "—"
		if r.QualityErr == nil {
			psnr, blurred = fmt.Sprintf("%.2f dB", r.Quality.MeanPSNR), fmt.Sprintf("%.2f dB", r.Quality.BlurredMeanPSNR)
		}
		wallRatio, bytesRatio := "", ""
		if r.Tool.Kind == toolOurs {
			if f := rs.find(r.Case.Name, toolFFmpeg, threadClass(r.Tool)); ok(f) {
				wallRatio = fmt.Sprintf("%.2f×", r.Wall.Seconds()/f.Wall.Seconds())
				bytesRatio = fmt.Sprintf("%.2f×", float64(r.Bytes)/float64(f.Bytes))
			}
		}
		w("| %s | %s | %s | %s | %s | %.0f | %s | %s | %d | %s | %s | %s | %s |\n",
			r.Case.Name, r.Tool.Kind, r.Tool.threadsLabel(), secs(r.Wall), secs(r.CPU), r.FPS, ms(r.FirstByte),
			mb(r.MaxRSS), r.Bytes, psnr, blurred, wallRatio, bytesRatio)
	}

	w("\n### Where ours' CPU goes (one thread)\n\n")
	w("Busy time of each stage, from ours' summary line (`server convert` prints it), as a share of the process' CPU time; " +
		"\"other\" is the rest: the process' start, the Go runtime, demuxing, page faults. \"decode alone\" is `server decode -fps 24 -o /dev/null` on what ours reads.\n\n")
	w("| case | CPU | fetch | decode | resize | encode | other | local tables (images with one / all) | decode alone CPU | ours / decode alone |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.Tool.Kind != toolOurs || r.Tool.Threads != 1 || !ok(r) {
			continue
		}
		st := parseStages(r.Summary)
		if !st.ok || r.CPU <= 0 {
			continue
		}
		share := func(d time.Duration) string { return fmt.Sprintf("%.0f%%", 100*d.Seconds()/r.CPU.Seconds()) }
		other := r.CPU - st.Fetch - st.Decode - st.Resize - st.Encode
		dec, ratio := "—", "—"
		if d := rs.find(r.Case.Name, toolDecode, threadsOne); ok(d) {
			dec, ratio = ms(d.CPU), fmt.Sprintf("%.2f×", r.CPU.Seconds()/d.CPU.Seconds())
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %d (%d / %d) | %s | %s |\n", r.Case.Name, ms(r.CPU), share(st.Fetch), share(st.Decode),
			share(st.Resize), share(st.Encode), share(max(0, other)), st.LocalPalettes, st.LocalImages, st.Images, dec, ratio)
	}

	w("\n### Through the origin\n\n")
	w("| case | tool | threads | fetched | requests | download alone | first GIF byte after the first segment / GOP was sent |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if !r.Case.URL || r.Err != nil {
			continue
		}
		after := "—"
		if r.HasFirstSeg {
			after = fmt.Sprintf("%+d ms", r.AfterFirstSeg.Milliseconds())
		}
		dl := "—"
		if r.Download > 0 {
			dl = secs(r.Download)
		}
		w("| %s | %s | %s | %s | %d | %s | %s |\n", r.Case.Name, r.Tool.Kind, r.Tool.threadsLabel(), mb(r.OriginBytes), r.OriginRequests, dl, after)
	}

	w("\n![Wall time per case, ours vs ffmpeg](%s)\n\n", chartFile)
	w(`How it is measured:
- **wall**: from starting the process to its exit, the GIF read from its stdout as it comes; for
  the earlier service, from the start of the whole-file download to ffmpeg's exit. **CPU**: user +
  system time of the converting process (rusage; the earlier service's download is not counted).
  **peak RSS**: ru_maxrss of the process. **fps**: source pictures within 30 s / wall.
  **first byte**: start to the first GIF byte on stdout (ffmpeg's palettegen needs the whole clip
  first).
- **ours**: ` + "`bin/server convert -threads N INPUT -`" + `. **decode alone**: ` + "`bin/server decode -fps 24 -o /dev/null`" + ` on the rendition or master ours reads. **ffmpeg**: the earlier service's recipe
  (` + "`fps=24`, `scale` to fit 80x80, `split`, `palettegen=max_colors=32`, `paletteuse=dither=bayer`, `-loop 0`" + `),
  with ` + "`-threads 1 -filter_complex_threads 1`" + ` or ffmpeg's defaults, on the same file or URL
  (given a master playlist, ffmpeg probes every variant and converts the largest).
- **PSNR**: the GIF is decoded and composed as a browser shows it (bench/quality: disposal,
  transparency, delays); each reference frame, FFmpeg's decode of the source at 24 fps scaled with
  ` + "`flags=area`" + ` to the GIF's size, is compared with the GIF frame on screen at its time; the
  table gives the mean over frames of each frame's RGB PSNR, then the same after a 3x3 box blur of
  both. The reference of the HLS cases is the largest H.264 variant.
- **first GIF byte after the first segment**: the origin notes when it finished sending the first
  media segment (HLS; any variant) or the first GOP (MP4: moov and the first IDR-to-IDR range);
  negative means the GIF started before that.
`)
	if len(info.CorpusSummary) > 0 {
		w("\nCorpus (bench/work/, made by the harness, not committed):\n")
		for _, l := range info.CorpusSummary {
			w("- %s\n", l)
		}
	}
	w("%s\n", sectionEnd)
	return b.String()
}

func threadClass(t tool) string {
	if t.Threads == 1 {
		return threadsOne
	}
	return threadsAllCore
}

func ms(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// writeSection replaces this harness's section of the results file, or appends it when the
// file has none yet. The file is reread just before writing and replaced by a rename, so that
// the window in which another writer's change could be lost is as short as it can be.
func writeSection(path, sec string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("results: %w", err)
	}
	var out []byte
	begin := bytes.Index(old, []byte(sectionBegin))
	end := bytes.Index(old, []byte(sectionEnd))
	switch {
	case begin >= 0 && end > begin:
		out = append(out, old[:begin]...)
		out = append(out, sec...)
		rest := old[end+len(sectionEnd):]
		rest = bytes.TrimPrefix(rest, []byte("\n"))
		out = append(out, rest...)
	case len(old) == 0:
		out = []byte("# Benchmark results\n\n" + sec)
	default:
		out = append(bytes.TrimRight(old, "\n"), "\n\n"...)
		out = append(out, sec...)
	}
	return writeFileAtomic(path, out)
}
