package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/cputime"
)

// DecodeOptions says which pictures Decode turns into frames and how.
type DecodeOptions struct {
	// FrameRate is the output frame rate (frames per second); 0 keeps every picture.
	FrameRate float64
	// MaxDuration ends the output: pictures presented at or after it are not decoded; 0: no limit.
	MaxDuration time.Duration
	// Threads is how many decoders run at once, each on its own IDR-to-IDR range; below 1: one.
	Threads int
	// MaxWidth and MaxHeight bound the picture size (after cropping); 0: yuv.MaxWidth and
	// yuv.MaxHeight.
	MaxWidth, MaxHeight int
}

// Frame is one output frame: a converted picture, when it is shown and for how long.
type Frame[T any] struct {
	Time     time.Duration // the output slot's time k/F, or the picture's PTS when F is 0
	Duration time.Duration // until the next frame (the GIF frame delay)
	PTS      time.Duration // the source picture's presentation time
	Value    T
}

// DecodeStats counts what happened to the samples of a source.
type DecodeStats struct {
	Samples int // read from the source
	Decoded int // pictures the decoder produced
	Skipped int // never decoded: non-reference pictures not shown, pictures past the limit
	Dropped int // decoded (other pictures refer to them) but not shown
	Emitted int // frames handed to emit
	Corrupt int // access units the decoder rejected (their damage is concealed in later pictures)

	// CPU time, summed over the decoding threads: inside the decoder, and inside convert.
	DecodeTime, ConvertTime time.Duration
}

// Buffers between the stages. Samples are compressed (a few KB to a few hundred KB), so a
// range's input holds a whole GOP of a typical cover (30 to 150 pictures) and the reader can move
// on to the next range while the first is decoded; outputs are converted values (for the GIF
// pipeline 80x80 thumbnails), buffered so that a later range can run ahead of the one being
// emitted.
const (
	rangeInputSamples = 256
	rangeOutputFrames = 64
)

// Decode reads samples from src, decodes those whose pictures a conversion with opts shows (and
// the reference pictures they need), and calls emit for every shown frame in presentation order,
// on the calling goroutine. convert runs on a decoding goroutine while the picture is valid; it
// turns it into the value emit gets (for example a resized copy).
//
// With Threads > 1 each IDR-to-IDR range of the stream gets its own decoder and ranges are
// decoded at the same time (a picture never refers across an IDR, clause 8.2.5.1). Samples are
// streamed into a range's decoder as they are read, so the first frame comes out without
// waiting for the range to end.
//
// Errors wrap ErrUnsupported (a size or profile not handled) or ErrInvalid (the decoder rejects
// the stream), or are the source's, convert's, emit's or the context's. A rejected access unit in
// the middle is counted in Corrupt and decoding goes on; a stream without one shown picture fails.
func Decode[T any](ctx context.Context, src Source, opts DecodeOptions, convert func(*yuv.Picture) (T, error), emit func(Frame[T]) error) (DecodeStats, error) {
	threads := max(opts.Threads, 1)
	maxW, maxH := opts.MaxWidth, opts.MaxHeight
	if maxW <= 0 {
		maxW = yuv.MaxWidth
	}
	if maxH <= 0 {
		maxH = yuv.MaxHeight
	}
	if info := src.Info(); info.Width > maxW || info.Height > maxH {
		return DecodeStats{}, fmt.Errorf("%w: %s: %dx%d is over the limit %dx%d", ErrUnsupported, info.URL, info.Width, info.Height, maxW, maxH)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := &decodeRun[T]{
		ctx: ctx, cancel: cancel, convert: convert, maxW: maxW, maxH: maxH, decoder: decoderFor(src.Info().Format),
		slots:  make(chan struct{}, threads),
		ranges: make(chan chan Frame[T], threads+1),
	}
	look := newLookahead(src, FrameSelector{FrameRate: opts.FrameRate, MaxDuration: opts.MaxDuration})
	run.wg.Add(1)
	go run.read(look)

	var stats DecodeStats
	var emitErr error
	var last time.Duration
	for out := range run.ranges {
		for f := range out {
			if emitErr != nil {
				continue // drain so the range's worker can end
			}
			if stats.Emitted > 0 && f.Time < last {
				// A range's pictures precede the next range's in a closed-GOP stream; a picture
				// that does not is dropped rather than breaking the GIF's timeline.
				run.stats.dropped.Add(1)
				continue
			}
			last = f.Time
			if err := emit(f); err != nil {
				emitErr = err
				run.fail(err)
				continue
			}
			stats.Emitted++
		}
	}
	run.wg.Wait()
	stats.Samples = look.read
	stats.Decoded = int(run.stats.decoded.Load())
	stats.Skipped = int(run.stats.skipped.Load())
	stats.Dropped = int(run.stats.dropped.Load())
	stats.Corrupt = int(run.stats.corrupt.Load())
	stats.DecodeTime = time.Duration(run.stats.decodeNanos.Load())
	stats.ConvertTime = time.Duration(run.stats.convertNanos.Load())
	if err := run.firstErr(); err != nil {
		return stats, err
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if stats.Emitted == 0 && stats.Samples > 0 {
		return stats, fmt.Errorf("%w: %s: no picture decoded from %d samples (%d rejected)", ErrInvalid, src.Info().URL, stats.Samples, stats.Corrupt)
	}
	return stats, nil
}

// decodeRun is the state shared by the goroutines of one Decode call.
type decodeRun[T any] struct {
	ctx     context.Context
	cancel  context.CancelFunc
	convert func(*yuv.Picture) (T, error)
	decoder decoderKind
	maxW    int
	maxH    int
	slots   chan struct{}      // one token per decoder running: Threads
	ranges  chan chan Frame[T] // output of each range, in stream order, for the merger
	wg      sync.WaitGroup     // the reader and every range worker

	mu    sync.Mutex
	err   error // the first failure
	stats struct{ decoded, skipped, dropped, corrupt, decodeNanos, convertNanos atomic.Int64 }
}

// fail records the first error and stops every goroutine of the run.
func (r *decodeRun[T]) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.cancel()
}

func (r *decodeRun[T]) firstErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// read runs the lookahead and starts one worker per IDR-to-IDR range. It owns run.ranges and
// every range's input channel.
func (r *decodeRun[T]) read(look *lookahead) {
	defer r.wg.Done()
	defer close(r.ranges)
	var in chan selectedSample
	defer func() {
		if in != nil {
			close(in)
		}
	}()
	for {
		s, err := look.next(r.ctx)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.fail(err)
			return
		}
		if !s.decode {
			r.stats.skipped.Add(1)
			continue
		}
		if in == nil || s.IDR {
			if in != nil {
				close(in)
				in = nil
			}
			// Waiting for a free decoder here keeps ranges assigned in stream order, so the
			// range the merger waits for always has one.
			select {
			case r.slots <- struct{}{}:
			case <-r.ctx.Done():
				return
			}
			in = make(chan selectedSample, rangeInputSamples)
			out := make(chan Frame[T], rangeOutputFrames)
			select {
			case r.ranges <- out:
			case <-r.ctx.Done():
				<-r.slots
				close(out)
				return
			}
			r.wg.Add(1)
			go r.decodeRange(in, out)
		}
		select {
		case in <- s:
		case <-r.ctx.Done():
			return
		}
	}
}

// decodeRange decodes one range with its own decoder and sends its shown frames to out.
func (r *decodeRun[T]) decodeRange(in <-chan selectedSample, out chan<- Frame[T]) {
	defer r.wg.Done()
	defer close(out)
	defer func() { <-r.slots }()
	// The range's decoding and converting are counted in CPU time of this thread (a loaded
	// machine's waits are not the decoder's): the goroutine keeps its thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dec, err := r.decoder.open()
	if err != nil {
		r.fail(err)
		return
	}
	defer dec.Close()
	// Decisions of samples given to the decoder whose picture has not come out yet, by PTS.
	pending := make(map[time.Duration]selectedSample)
	// CPU time spent in emit during the current decoder call: it runs inside the call, on this
	// thread, and is not the decoder's.
	var inEmit time.Duration
	decoding := func(call func() error) error {
		inEmit = 0
		start := cputime.Thread()
		err := call()
		r.stats.decodeNanos.Add(int64(cputime.Thread() - start - inEmit))
		return err
	}
	emit := func(p *yuv.Picture) error {
		start := cputime.Thread()
		defer func() { inEmit += cputime.Thread() - start }()
		r.stats.decoded.Add(1)
		s, ok := pending[p.PTS]
		delete(pending, p.PTS)
		if !ok || !s.show {
			r.stats.dropped.Add(1)
			return nil
		}
		if p.Width > r.maxW || p.Height > r.maxH {
			return fmt.Errorf("%w: picture at %v is %dx%d, over the limit %dx%d", ErrUnsupported, p.PTS, p.Width, p.Height, r.maxW, r.maxH)
		}
		converting := cputime.Thread()
		v, err := r.convert(p)
		r.stats.convertNanos.Add(int64(cputime.Thread() - converting))
		if err != nil {
			return err
		}
		select {
		case out <- Frame[T]{Time: s.at, Duration: s.length, PTS: p.PTS, Value: v}:
			return nil
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
	}
	for {
		var s selectedSample
		var ok bool
		select {
		case s, ok = <-in:
		case <-r.ctx.Done():
			return
		}
		if !ok {
			break
		}
		pending[s.PTS] = s
		if err := decoding(func() error { return dec.Decode(s.AnnexB, s.PTS, emit) }); err != nil {
			if errors.Is(err, r.decoder.invalid) {
				r.stats.corrupt.Add(1)
				continue
			}
			r.fail(r.decoder.classify(err))
			return
		}
	}
	if err := decoding(func() error { return dec.Flush(emit) }); err != nil && !errors.Is(err, r.decoder.invalid) {
		r.fail(r.decoder.classify(err))
	}
}

// pictureDecoder is what the decode stage needs of a video decoder: whole access units in,
// pictures out in presentation order through emit (codec/h264 and codec/h265 both are one).
type pictureDecoder interface {
	Decode(accessUnit []byte, pts time.Duration, emit func(*yuv.Picture) error) error
	Flush(emit func(*yuv.Picture) error) error
	Close() error
}

// decoderKind is how to make the decoder of one format, and its error classes.
type decoderKind struct {
	open                 func() (pictureDecoder, error)
	unsupported, invalid error
}

// decoderFor is the decoder of a stream's format. Each decoder decodes on its own goroutine's
// thread: Threads parallelises whole IDR ranges instead, for either format.
func decoderFor(f VideoFormat) decoderKind {
	if f == FormatHEVC {
		return decoderKind{
			open:        func() (pictureDecoder, error) { return h265.NewDecoder(1) },
			unsupported: h265.ErrUnsupported, invalid: h265.ErrInvalid,
		}
	}
	return decoderKind{
		open:        func() (pictureDecoder, error) { return h264.NewDecoder() },
		unsupported: h264.ErrUnsupported, invalid: h264.ErrInvalid,
	}
}

// classify puts the decoder's error classes under the codec package's.
func (k decoderKind) classify(err error) error {
	switch {
	case errors.Is(err, k.unsupported):
		return fmt.Errorf("%w: %w", ErrUnsupported, err)
	case errors.Is(err, k.invalid):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return err
}
