package pipeline

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/cputime"
	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
)

// encodeQueue is how many resized frames may wait for the GIF encoder: enough to keep the
// decoder busy while the encoder works on a frame, small enough that memory stays flat.
const encodeQueue = 8

// Convert turns the video at input (a file path or an http(s) URL of an MP4 or HLS source) into
// a looping GIF written to w, each frame as soon as it is made. Its stages run at once: the
// source is fetched and demuxed while earlier pictures decode; pictures are resized on the
// decoding goroutines; the encoder works on its own goroutine behind a bounded queue.
//
// When ctx ends, every stage stops and every decoder is freed before Convert returns. Errors
// wrap the codec's error classes (codec.ErrUnsupported, …) or ErrOptions.
func Convert(ctx context.Context, input string, opts Options, w io.Writer) (Stats, error) {
	if err := opts.Validate(); err != nil {
		return Stats{}, err
	}
	opts = opts.withDefaults()
	c := &conversion{opts: opts, start: time.Now()}
	err := c.run(ctx, input, w)
	c.stats.Wall = time.Since(c.start)
	return c.stats, err
}

// conversion is the state of one Convert call.
type conversion struct {
	opts  Options
	start time.Time
	stats Stats // owned by the encoding goroutine until run returns
}

func (c *conversion) run(ctx context.Context, input string, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	srcOpts := c.opts.Source
	srcOpts.OutputSize = c.opts.Size
	srcOpts.MaxDuration = c.opts.MaxDuration
	opened := time.Now()
	in, err := codec.Open(ctx, input, srcOpts)
	if err != nil {
		return err
	}
	src := &timedSource{Source: in, waited: time.Since(opened)}
	defer src.Close()
	defer func() {
		c.stats.FetchTime = src.total()
		c.stats.SourceBytes = in.Fetched().Bytes
		c.stats.Truncated = in.Truncated()
	}()
	info := src.Info()
	c.stats.SourceURL = info.URL
	if info.Duration > 0 {
		c.stats.Expected = min(info.Duration, c.opts.MaxDuration)
	}

	outW, outH := outputSize(info.Width, info.Height, info.SampleAspect, c.opts.Size)
	enc, err := gifenc.NewWriter(&countingWriter{w: w, n: &c.stats.OutputBytes}, gifenc.Options{
		Width: outW, Height: outH, Colors: c.opts.Colors, Dither: c.opts.Dither,
	})
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}

	frames := make(chan decodeworker.Frame, encodeQueue)
	encodeErr := make(chan error, 1)
	go func() { encodeErr <- c.encode(enc, frames, cancel) }()

	emit := func(f decodeworker.Frame) error {
		select {
		case frames <- f:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	decOpts := codec.DecodeOptions{FrameRate: c.opts.FrameRate, MaxDuration: c.opts.MaxDuration, Threads: c.opts.Threads}
	var ds codec.DecodeStats
	var decErr error
	if c.opts.Isolate {
		ds, decErr = decodeworker.Decode(ctx, src, decOpts, outW, outH, c.opts.Worker, emit)
	} else {
		ds, decErr = codec.Decode(ctx, src, decOpts, newFrameConverter(outW, outH), emit)
	}
	close(frames)
	encErr := <-encodeErr // the encoder is done with c.stats from here on
	c.stats.DecodeTime, c.stats.ResizeTime = ds.DecodeTime, ds.ConvertTime
	c.stats.Samples, c.stats.Decoded, c.stats.Skipped, c.stats.Dropped = ds.Samples, ds.Decoded, ds.Skipped, ds.Dropped

	// The encoder's own failure cancels ctx, so the decoder then reports only cancellation.
	if encErr != nil {
		return encErr
	}
	if decErr != nil {
		return decErr
	}
	if c.stats.Encoded == 0 {
		return fmt.Errorf("%w: %s: no picture to show", codec.ErrInvalid, input)
	}
	return nil
}

// encode writes every frame from frames into enc, then its end. On failure it cancels the
// conversion and drains frames so the decoder is never blocked.
func (c *conversion) encode(enc *gifenc.Writer, frames <-chan decodeworker.Frame, cancel context.CancelFunc) error {
	// EncodeTime is this thread's CPU time: the goroutine keeps its thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var end time.Duration
	var err error
	for f := range frames {
		if err != nil {
			continue
		}
		t := cputime.Thread()
		err = enc.WriteFrame(gifenc.Frame{Timestamp: f.Time, YCbCr: f.Value})
		c.stats.EncodeTime += cputime.Thread() - t
		if err != nil {
			err = fmt.Errorf("pipeline: encoding frame at %s: %w", f.Time, err)
			cancel()
			continue
		}
		if c.stats.FirstByte == 0 && c.stats.OutputBytes > 0 {
			c.stats.FirstByte = time.Since(c.start)
		}
		c.stats.Encoded++
		c.stats.LocalPalettes, c.stats.LocalFrames = enc.LocalPalettes(), enc.LocalFrames()
		end = f.Time + f.Duration
		c.stats.Duration = end
		if c.opts.Progress != nil {
			c.opts.Progress(c.stats)
		}
	}
	if err != nil {
		return err
	}
	if c.stats.Encoded == 0 {
		return nil // nothing to close: the caller reports the empty stream
	}
	t := cputime.Thread()
	err = enc.Close(end)
	c.stats.EncodeTime += cputime.Thread() - t
	c.stats.LocalPalettes, c.stats.LocalFrames = enc.LocalPalettes(), enc.LocalFrames()
	if c.stats.FirstByte == 0 {
		c.stats.FirstByte = time.Since(c.start)
	}
	if err != nil {
		return fmt.Errorf("pipeline: finishing the GIF: %w", err)
	}
	return nil
}

// countingWriter counts the bytes that reach w, and passes Flush through so that a streaming
// destination sends each frame at once.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	*cw.n += int64(n)
	return n, err
}

func (cw *countingWriter) Flush() error {
	switch f := cw.w.(type) {
	case interface{ Flush() error }:
		return f.Flush()
	case interface{ Flush() }:
		f.Flush()
	}
	return nil
}

// timedSource counts the time its user waits for samples: the fetch-and-demux stage's share of
// the conversion as the decoder sees it.
type timedSource struct {
	codec.Source
	waited time.Duration // guarded by mu: Next may run on a reading goroutine
	mu     sync.Mutex
}

func (s *timedSource) Next(ctx context.Context) (codec.Sample, error) {
	start := time.Now()
	sample, err := s.Source.Next(ctx)
	s.mu.Lock()
	s.waited += time.Since(start)
	s.mu.Unlock()
	return sample, err
}

func (s *timedSource) total() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waited
}
