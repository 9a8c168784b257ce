package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// The causes a request's context is cancelled with by its own timers.
var (
	errRequestTimeout = errors.New("request timed out")
	errStalled        = errors.New("origin stopped sending")
)

// body is one response body or file, read from some offset: it counts bytes against the
// budget and turns the request's timers and failures into the error classes.
type body struct {
	f         *Fetcher
	rc        io.ReadCloser
	loc       *url.URL // what was actually read (after redirects)
	name      string   // for messages
	remaining int64    // bytes left of the wanted range; <0: to the end
	ranges    bool     // the origin serves byte ranges (files always do)

	ctx      context.Context // the request's; its cause says which timer fired
	cancel   context.CancelCauseFunc
	deadline *time.Timer
	idle     *time.Timer
	err      error // first error; every later Read returns it
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.remaining == 0 {
		return 0, io.EOF
	}
	if b.remaining > 0 && int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	if b.ctx != nil {
		// Only the time spent waiting for the origin counts as a stall, not the time the
		// reader spends decoding between two reads.
		b.idle = resetTimer(b.idle, b.f.opts.IdleTimeout, func() { b.cancel(errStalled) })
	}
	n, err := b.rc.Read(p)
	if b.idle != nil {
		b.idle.Stop()
	}
	if n > 0 {
		if b.remaining > 0 {
			b.remaining -= int64(n)
		}
		if total := b.f.fetched.Add(int64(n)); total > b.f.opts.MaxBytes {
			b.err = fmt.Errorf("%w: %s: source larger than the limit of %d bytes", sourceerr.ErrOrigin, b.name, b.f.opts.MaxBytes)
			return n, nil
		}
	}
	switch {
	case err == io.EOF && b.remaining > 0:
		b.err = io.ErrUnexpectedEOF
	case err == io.EOF:
		b.err = io.EOF
	case err != nil:
		b.err = b.classify(fmt.Errorf("reading %s: %w", b.name, err))
	}
	if n > 0 {
		return n, nil
	}
	return 0, b.err
}

// classify gives a transport error its class: which timer fired, the caller's cancellation, or
// an origin failure.
func (b *body) classify(err error) error {
	if errors.Is(err, sourceerr.ErrForbidden) || errors.Is(err, sourceerr.ErrOrigin) {
		return err
	}
	if b.ctx != nil {
		switch cause := context.Cause(b.ctx); {
		case errors.Is(cause, errRequestTimeout):
			return fmt.Errorf("%w: %s: no complete answer within %v", sourceerr.ErrTimeout, b.name, b.f.opts.Timeout)
		case errors.Is(cause, errStalled):
			return fmt.Errorf("%w: %s: nothing received for %v", sourceerr.ErrTimeout, b.name, b.f.opts.IdleTimeout)
		case cause != nil:
			return cause // the caller's cancellation
		}
	}
	// A transport's own timer (a dial or response-header timeout) is a timeout too: the origin
	// did not answer in time, however the race with our timers went.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %v", sourceerr.ErrTimeout, err)
	}
	return fmt.Errorf("%w: %v", sourceerr.ErrOrigin, err)
}

// endOfRange names an early end of the body: the resource is shorter than the ranges say.
func (b *body) endOfRange(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %w: %s ends early", sourceerr.ErrInvalid, sourceerr.ErrTruncated, b.name)
	}
	return err
}

func (b *body) Close() error {
	if b.deadline != nil {
		b.deadline.Stop()
	}
	if b.idle != nil {
		b.idle.Stop()
	}
	var err error
	if b.rc != nil {
		err = b.rc.Close()
	}
	if b.cancel != nil {
		b.cancel(context.Canceled)
	}
	if b.err == nil {
		b.err = errors.New("read after close")
	}
	return err
}

func resetTimer(t *time.Timer, d time.Duration, fire func()) *time.Timer {
	if t == nil {
		return time.AfterFunc(d, fire)
	}
	t.Reset(d)
	return t
}
