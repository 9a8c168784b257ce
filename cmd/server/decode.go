package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/y4m"
)

// runDecode writes the decoded frames of a source, in presentation order and at native size,
// as YUV4MPEG2 4:2:0: every picture, or with -fps only those a conversion at that rate shows.
func runDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxDuration := fs.Duration("max-duration", 0, "decode only pictures presented before this time (0: all)")
	fps := fs.Float64("fps", 0, "keep only the frames a conversion at this frame rate shows (0: every picture)")
	out := fs.String("o", "", "output file, YUV4MPEG2 (- for stdout)")
	threads := fs.Int("threads", 1, "decoders running at once, one per IDR-to-IDR range")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server decode [-max-duration D] [-fps F] [-threads N] -o OUT.y4m INPUT")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case fs.NArg() != 1:
		fmt.Fprintln(stderr, "server decode: want exactly one INPUT")
	case *out == "":
		fmt.Fprintln(stderr, "server decode: -o OUT.y4m is required")
	case *fps < 0 || *maxDuration < 0 || *threads < 1:
		fmt.Fprintln(stderr, "server decode: -fps and -max-duration must not be negative, -threads at least 1")
	default:
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := decodeToY4M(ctx, fs.Arg(0), *out, stdout, stderr, codec.DecodeOptions{FrameRate: *fps, MaxDuration: *maxDuration, Threads: *threads}); err != nil {
			fmt.Fprintf(stderr, "server decode: %v\n", err)
			return exitError
		}
		return exitOK
	}
	fs.Usage()
	return exitUsage
}

func decodeToY4M(ctx context.Context, input, output string, stdout, stderr io.Writer, opts codec.DecodeOptions) (err error) {
	start := time.Now()
	src, err := codec.Open(ctx, input, codec.OpenOptions{MaxDuration: opts.MaxDuration})
	if err != nil {
		return err
	}
	defer src.Close()
	info := src.Info()

	w := stdout
	if output != "-" {
		f, err := os.Create(output)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				os.Remove(output) // a partial file would pass for a short source
			}
		}()
		w = f
	}
	rate := opts.FrameRate
	if rate == 0 {
		rate = info.FrameRate
	}
	out := y4m.NewWriter(w, rate, info.SampleAspect.Width, info.SampleAspect.Height)
	stats, err := codec.Decode(ctx, src, opts,
		func(p *yuv.Picture) (y4m.Frame, error) { return y4m.CopyFrame(p), nil },
		func(f codec.Frame[y4m.Frame]) error { return out.WriteFrame(f.Value) })
	if err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", output, err)
	}
	if err := src.Truncated(); err != nil {
		fmt.Fprintf(stderr, "decode: warning: %v; decoded what comes before the cut\n", err)
	}
	fmt.Fprintf(stderr, "decode: %s %dx%d: %d frames out; samples %d, decoded %d, skipped %d, dropped %d, corrupt %d; %v\n",
		info.URL, info.Width, info.Height, stats.Emitted, stats.Samples, stats.Decoded, stats.Skipped, stats.Dropped, stats.Corrupt, time.Since(start).Round(time.Millisecond))
	return nil
}
