package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server convert [flags] INPUT [OUTPUT]")
		fmt.Fprintln(stderr, "INPUT is a file or an http(s) URL of an MP4 or HLS source; OUTPUT a path, or - (the default) for stdout.")
		fs.PrintDefaults()
	}
	opts := pipeline.DefaultOptions()
	fs.IntVar(&opts.Size, "size", opts.Size, "the GIF fits in a `pixels` x pixels square")
	fs.Float64Var(&opts.FrameRate, "fps", opts.FrameRate, "frames per second at most")
	fs.DurationVar(&opts.MaxDuration, "max-duration", opts.MaxDuration, "longest part of the source converted")
	fs.IntVar(&opts.Colors, "colors", opts.Colors, "palette size, 2..256")
	fs.TextVar(&opts.Dither, "dither", opts.Dither, "bayer, floyd-steinberg or none")
	fs.IntVar(&opts.Threads, "threads", opts.Threads, "decoders running at once")
	fs.BoolVar(&opts.Isolate, "isolate", opts.Isolate, "decode in a child process with memory and CPU limits (as the service does)")
	var renditions renditionFlags
	renditions.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return exitUsage
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "server convert: %v\n", err)
		return exitUsage
	}
	rules, err := renditions.load()
	if err != nil {
		fmt.Fprintf(stderr, "server convert: %v\n", err)
		return exitUsage
	}
	opts.Source.Renditions = rules
	input, output := fs.Arg(0), fs.Arg(1)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var w io.Writer = stdout
	var file *os.File
	if output != "" && output != "-" {
		f, err := os.Create(output)
		if err != nil {
			fmt.Fprintf(stderr, "server convert: %v\n", err)
			return exitError
		}
		file, w = f, f
	}
	var bar *progressBar
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = &progressBar{w: stderr}
		opts.Progress = bar.update
	}

	stats, err := pipeline.Convert(ctx, input, opts, w)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(output) // a truncated GIF is worse than none
		}
	}
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		fmt.Fprintf(stderr, "server convert: %v\n", err)
		return exitError
	}
	if stats.Truncated != nil {
		fmt.Fprintf(stderr, "server convert: warning: %v; the GIF holds what comes before the cut\n", stats.Truncated)
	}
	fmt.Fprintln(stderr, summary(stats))
	return exitOK
}

// summary is the one line `server convert` prints when it is done.
func summary(s pipeline.Stats) string {
	fps := 0.0
	if s.Wall > 0 {
		fps = float64(s.Decoded) / s.Wall.Seconds()
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("frames in %d (decoded %d, skipped %d, dropped %d), frames out %d, duration %.2fs, %d bytes (source %d), local palettes %d (on %d images), wall %s (first byte %s; busy: fetch %s, decode %s, resize %s, encode %s), %.0f frames/s decoded, read from %s",
		s.Samples, s.Decoded, s.Skipped, s.Dropped, s.Encoded, s.Duration.Seconds(),
		s.OutputBytes, s.SourceBytes, s.LocalPalettes, s.LocalFrames, ms(s.Wall), ms(s.FirstByte),
		ms(s.FetchTime), ms(s.DecodeTime), ms(s.ResizeTime), ms(s.EncodeTime), fps, s.SourceURL)
}

// progressBar draws the media time converted so far on a terminal line.
type progressBar struct {
	w    io.Writer
	last time.Time
}

func (p *progressBar) update(s pipeline.Stats) {
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 0.0
	if s.Expected > 0 {
		frac = min(1, s.Duration.Seconds()/s.Expected.Seconds())
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %5.1fs %4d frames %7d bytes", strings.Repeat("=", n), strings.Repeat(" ", width-n),
		s.Duration.Seconds(), s.Encoded, s.OutputBytes)
}

func (p *progressBar) clear() { fmt.Fprint(p.w, "\r\033[K") }
