package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// runProbe prints, as JSON, what a source holds: container, codec, profile, level, size, frame
// rate, duration, frames; for an HLS master every variant and the one a conversion would read.
func runProbe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int("size", codec.DefaultOutputSize, "output size the HLS variant is chosen for, pixels")
	maxDuration := fs.Duration("max-duration", 0, "read only this much of the source (0: all)")
	timeout := fs.Duration("timeout", fetch.DefaultTimeout, "timeout of each request")
	maxBytes := fs.Int64("max-bytes", fetch.DefaultMaxBytes, "largest download, bytes")
	var renditions renditionFlags
	renditions.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server probe [-size N] [-max-duration D] [-timeout D] [-max-bytes N] [-renditions=false] [-rendition-rules JSON|FILE] INPUT")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 || *size <= 0 || *maxDuration < 0 || *timeout <= 0 || *maxBytes <= 0 {
		fmt.Fprintln(stderr, "server probe: want exactly one INPUT; -size, -timeout and -max-bytes positive")
		fs.Usage()
		return exitUsage
	}
	rules, err := renditions.load()
	if err != nil {
		fmt.Fprintf(stderr, "server probe: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := codec.OpenOptions{
		Fetch:       fetch.Options{Timeout: *timeout, MaxBytes: *maxBytes},
		OutputSize:  *size,
		MaxDuration: *maxDuration,
		Renditions:  rules,
	}
	res, err := codec.Probe(ctx, fs.Arg(0), opts)
	if err != nil {
		fmt.Fprintf(stderr, "server probe: %s: %v\n", fs.Arg(0), err)
		return exitError
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "server probe: %v\n", err)
		return exitError
	}
	return exitOK
}
