package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// ErrResultAborted is what readers of a Result get when the conversion failed without saying why.
var ErrResultAborted = errclass.ErrResultAborted

// Result holds the output of one conversion while it is produced and after. Any number of
// readers each get every byte from the first, then wait for more, until the end or the error.
// Writes never wait for readers: a slow client costs memory only as large as the output, which
// is bounded by the conversion limits.
type Result struct {
	mu     sync.Mutex
	data   []byte        // everything written so far; only ever appended to
	grown  chan struct{} // closed and replaced whenever data grows or the result ends
	done   bool          // no more writes
	err    error         // why the result ended early; nil when it is complete
	closed chan struct{} // closed when done
}

// NewResult returns an empty, growing Result.
func NewResult() *Result {
	return &Result{grown: make(chan struct{}), closed: make(chan struct{})}
}

// Write appends p for every reader. It fails once the result has ended.
func (r *Result) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return 0, errors.New("pipeline: write to an ended result")
	}
	if len(p) == 0 {
		return 0, nil
	}
	r.data = append(r.data, p...)
	close(r.grown)
	r.grown = make(chan struct{})
	return len(p), nil
}

// Close ends the result: complete when err is nil, failed otherwise. Only the first call counts.
func (r *Result) Close(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finish(err)
}

func (r *Result) finish(err error) {
	if r.done {
		return
	}
	r.done = true
	r.err = err
	close(r.grown)
	close(r.closed)
}

// Done is closed when the result has ended, complete or not.
func (r *Result) Done() <-chan struct{} { return r.closed }

// Err is nil while the result grows or when it is complete, else why it ended early.
func (r *Result) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Len is the number of bytes written so far.
func (r *Result) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.data)
}

// Bytes returns the whole output once the result is complete, and false before or on failure.
// The slice must not be modified.
func (r *Result) Bytes() ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.done || r.err != nil {
		return nil, false
	}
	return r.data[:len(r.data):len(r.data)], true
}

// snapshot returns the bytes from off on, and when there are none yet, a channel that is closed
// when that changes, or the end.
func (r *Result) snapshot(off int) (chunk []byte, grown <-chan struct{}, done bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.data[off:len(r.data):len(r.data)], r.grown, r.done, r.err
}

// NewReader returns a reader of the whole result from its first byte. Its Read waits for more
// bytes while the result grows, returns io.EOF after the last byte of a complete result, and
// the result's error (or ctx's) when it failed (or ctx ends).
func (r *Result) NewReader(ctx context.Context) *ResultReader {
	return &ResultReader{r: r, ctx: ctx}
}

// ResultReader reads one Result from the start. It is not safe for concurrent use.
type ResultReader struct {
	r   *Result
	ctx context.Context
	off int
}

// Read reads the result's next bytes, waiting while the conversion makes them; after the last
// it returns io.EOF, or the conversion's error when it failed.
func (rr *ResultReader) Read(p []byte) (int, error) {
	for {
		chunk, grown, done, err := rr.r.snapshot(rr.off)
		if len(chunk) > 0 {
			n := copy(p, chunk)
			rr.off += n
			return n, nil
		}
		if done {
			if err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		select {
		case <-grown:
		case <-rr.ctx.Done():
			return 0, rr.ctx.Err()
		}
	}
}

// WriteTo sends every byte to w as it becomes available, calling flush (when not nil) after
// each chunk, so that a streaming HTTP response sends each frame as it is made. It returns when
// the result ends or ctx does.
func (rr *ResultReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	flusher, _ := w.(interface{ Flush() })
	for {
		chunk, grown, done, err := rr.r.snapshot(rr.off)
		if len(chunk) > 0 {
			n, werr := w.Write(chunk)
			rr.off += n
			total += int64(n)
			if werr != nil {
				return total, werr
			}
			if flusher != nil {
				flusher.Flush()
			}
			continue
		}
		if done {
			return total, err
		}
		select {
		case <-grown:
		case <-rr.ctx.Done():
			return total, rr.ctx.Err()
		}
	}
}
