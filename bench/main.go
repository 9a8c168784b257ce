// Command bench compares our conversion (bin/server convert) with the earlier service's ffmpeg
// recipe, side by side in one run, on a corpus it makes under bench/work/, files and URLs on a
// throttled local origin; it writes its section of bench/RESULTS.md and bench/results.svg.
//
//	make bench                      # everything, 3 runs each
//	go run ./bench -quick           # 1 run, the "lo" 1280 input only, prints without writing
//	go run ./bench -cases 'HLS' -reps 5
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	reps     int
	quick    bool
	cases    string
	rateMbit float64
	timeout  time.Duration
	server   string
	work     string
	results  string
	chart    string
	write    bool
	prepare  bool
}

func run() error {
	var cfg config
	flag.IntVar(&cfg.reps, "reps", 3, "runs of every case and tool (the median is reported); -quick makes it 1")
	flag.BoolVar(&cfg.quick, "quick", false, "short mode for iteration: 1 run, the 1280 \"lo\" input only, results printed, not written")
	flag.StringVar(&cfg.cases, "cases", "", "run only the cases whose name matches this `regexp`")
	flag.Float64Var(&cfg.rateMbit, "rate", 16, "bandwidth of the local origin, `Mbit/s` (0: unlimited)")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "limit for every conversion and download")
	flag.StringVar(&cfg.server, "server", "", "the server binary (default: bin/server of the repository)")
	flag.StringVar(&cfg.work, "work", "", "corpus and outputs (default: bench/work of the repository)")
	flag.StringVar(&cfg.results, "results", "", "results file whose harness section is replaced (default: bench/RESULTS.md)")
	flag.StringVar(&cfg.chart, "chart", "", "SVG chart to write (default: bench/results.svg)")
	flag.BoolVar(&cfg.write, "write", true, "write the results file and chart (-quick: only when given explicitly)")
	flag.BoolVar(&cfg.prepare, "prepare", false, "make the corpus of the selected cases and stop")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	explicit := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if cfg.quick {
		if !explicit["reps"] {
			cfg.reps = 1
		}
		if !explicit["write"] {
			cfg.write = false
		}
	}
	if cfg.reps < 1 {
		return fmt.Errorf("-reps %d: want at least 1", cfg.reps)
	}
	var filter *regexp.Regexp
	if cfg.cases != "" {
		var err error
		if filter, err = regexp.Compile(cfg.cases); err != nil {
			return fmt.Errorf("-cases: %w", err)
		}
	}

	repo, err := repoRoot()
	if err != nil {
		return err
	}
	def := func(p *string, rel string) {
		if *p == "" {
			*p = filepath.Join(repo, rel)
		}
	}
	def(&cfg.server, "bin/server")
	def(&cfg.work, "bench/work")
	def(&cfg.results, "bench/RESULTS.md")
	def(&cfg.chart, "bench/results.svg")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ff, err := findFFmpeg(ctx)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.server); err != nil {
		return fmt.Errorf("no server binary at %s: build it first (make build, or go build -o bin/server ./cmd/server): %w", cfg.server, err)
	}
	// Others rebuild bin/server while they work; a private copy keeps every run of this bench
	// on the same binary.
	if cfg.server, err = snapshotBinary(cfg.server, filepath.Join(cfg.work, "bin")); err != nil {
		return err
	}
	serverVersion, err := runTool(ctx, 30*time.Second, cfg.server, "version")
	if err != nil {
		return fmt.Errorf("server version: %w", err)
	}

	selected := selectCases(cfg.quick, filter)
	if len(selected) == 0 {
		return errors.New("no case selected (see -cases and -quick)")
	}

	info := runInfo{
		Date: time.Now(), CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Load: loadAverage(),
		FFmpeg: ff.version, Server: strings.Join(strings.Fields(strings.ReplaceAll(string(serverVersion), "\n", ", ")), " "),
		Command: command(), Reps: cfg.reps, RateMbit: cfg.rateMbit,
	}
	info.Server = strings.TrimSuffix(info.Server, ",") + " (" + filepath.Base(cfg.server) + ")"

	// The corpus first, all of it, so that making it (minutes, the first time) never overlaps a
	// measurement.
	corp := newCorpus(repo, cfg.work, ff, log)
	inputs := map[string]*input{}
	for _, c := range selected {
		in, err := corp.get(ctx, c.Input)
		if err != nil {
			return err
		}
		inputs[c.Input] = in
	}
	info.CorpusSummary = corpusSummary(corp, inputs)
	if cfg.prepare {
		for _, l := range info.CorpusSummary {
			fmt.Println(l)
		}
		return nil
	}

	org, err := startOrigin(corp.origin, cfg.rateMbit*1e6, corp.firstMediaMarks())
	if err != nil {
		return err
	}
	defer org.close()
	fast, err := startOrigin(corp.origin, 0, corp.firstMediaMarks())
	if err != nil {
		return err
	}
	defer fast.close()
	outDir := filepath.Join(cfg.work, "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	rn := &runner{server: cfg.server, ff: ff, origin: org, fast: fast, timeout: cfg.timeout, outDir: outDir}

	// Repetitions outermost and tools interleaved, so that a slow spell of the machine (other
	// work on it) spreads over all tools instead of landing on one.
	samples := map[*benchCase]map[tool][]sample{}
	for rep := 1; rep <= cfg.reps; rep++ {
		for _, c := range selected {
			if samples[c] == nil {
				samples[c] = map[tool][]sample{}
			}
			for _, t := range toolsFor(c) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s := rn.run(ctx, c, inputs[c.Input], t, rep)
				samples[c][t] = append(samples[c][t], s)
				logSample(log, rep, c, t, s)
			}
		}
	}

	refs := &references{ff: ff, dir: filepath.Join(cfg.work, "ref"), mem: map[string]*quality.Reference{}}
	var rs resultSet
	for _, c := range selected {
		for _, t := range toolsFor(c) {
			r := summarise(c, t, inputs[c.Input], samples[c][t])
			if r.Err == nil && t.Kind != toolDecode {
				last := lastGood(samples[c][t])
				r.Quality, r.QualityErr = refs.measureQuality(ctx, inputs[c.Input], last.Output)
				if r.QualityErr != nil {
					log.Warn("quality", "case", c.Name, "tool", t.Kind, "err", r.QualityErr)
				}
			}
			rs = append(rs, r)
		}
	}

	sec := section(info, rs, filepath.Base(cfg.chart))
	fmt.Println(sec)
	if err := writeJSON(filepath.Join(cfg.work, "results.json"), info, rs); err != nil {
		log.Warn("results.json", "err", err)
	}
	if !cfg.write {
		fmt.Fprintln(os.Stderr, "bench: not writing", cfg.results, "or", cfg.chart, "(-quick; add -write to)")
		return nil
	}
	if err := writeSection(cfg.results, sec); err != nil {
		return err
	}
	if err := writeFileAtomic(cfg.chart, []byte(chart(rs))); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	fmt.Fprintln(os.Stderr, "bench: wrote", cfg.results, "and", cfg.chart)
	return nil
}

// snapshotBinary copies the binary at path into dir under a name made of its content hash.
func snapshotBinary(path, dir string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("server binary: %w", err)
	}
	sum := sha256.Sum256(data)
	dst := filepath.Join(dir, "server-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("server binary: %w", err)
	}
	if err := os.WriteFile(dst+".tmp", data, 0o755); err != nil {
		return "", fmt.Errorf("server binary: %w", err)
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		return "", fmt.Errorf("server binary: %w", err)
	}
	return dst, nil
}

func lastGood(ss []sample) sample {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i].Err == nil {
			return ss[i]
		}
	}
	return sample{}
}

func logSample(log *slog.Logger, rep int, c *benchCase, t tool, s sample) {
	if s.Err != nil {
		log.Warn("run failed", "rep", rep, "case", c.Name, "tool", t.Kind, "threads", t.threadsLabel(), "err", s.Err)
		return
	}
	log.Info("run", "rep", rep, "case", c.Name, "tool", t.Kind, "threads", t.threadsLabel(),
		"wall", s.Wall.Round(time.Millisecond), "cpu", s.CPU.Round(time.Millisecond),
		"first_byte", s.FirstByte.Round(time.Millisecond), "rss_mb", s.MaxRSS>>20, "bytes", s.Bytes, "origin_bytes", s.OriginBytes)
}

// repoRoot finds the module root from the working directory, so that `go run ./bench` works
// from the root and `go run .` from bench/.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/musicpresence/animated-album-covers") {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("not inside the animated-album-covers repository (no go.mod above %s)", dir)
		}
	}
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// command is how this run was started, for the report.
func command() string {
	return strings.TrimSpace("go run ./bench " + strings.Join(os.Args[1:], " "))
}

func corpusSummary(c *corpus, inputs map[string]*input) []string {
	var out []string
	for _, name := range []string{inLo, inHi, inTIDAL, inApple} {
		in, ok := inputs[name]
		if !ok {
			continue
		}
		fi, err := os.Stat(in.Reference)
		size := int64(0)
		if err == nil {
			size = fi.Size()
		}
		desc := fmt.Sprintf("%s: %s, %dx%d, %d frames, %.1f s", name, in.URLPath, in.Width, in.Height, in.Frames, in.Seconds)
		if size > 0 && in.Seconds > 0 {
			desc += fmt.Sprintf(", %.2f Mbit/s", float64(size*8)/in.Seconds/1e6)
		}
		switch name {
		case inApple:
			desc += "; reference/largest variant " + filepath.Base(in.Reference) + "; variants 360/486/768 x264 medium, 1080 fast, 2160 veryfast, HEVC 360 x265 fast; ~6 s byte-range segments of one fMP4 each"
		case inTIDAL:
			desc += "; 80/160/320/640 renditions beside it (x264 medium), 1280 is the lo file"
		default:
			desc += "; x264 medium, High, b-pyramid, 5 IDR"
		}
		out = append(out, desc)
	}
	return out
}

// writeJSON keeps every sample of the run (not committed), for a closer look than the table.
func writeJSON(path string, info runInfo, rs resultSet) error {
	type row struct {
		Case, Tool, Threads string
		Result              *result
		Err                 string `json:",omitempty"`
	}
	var rows []row
	for _, r := range rs {
		rw := row{Case: r.Case.Name, Tool: r.Tool.Kind, Threads: r.Tool.threadsLabel(), Result: r}
		if r.Err != nil {
			rw.Err = r.Err.Error()
		}
		rows = append(rows, rw)
	}
	data, err := json.MarshalIndent(struct {
		Info runInfo
		Rows []row
	}{info, rows}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}
