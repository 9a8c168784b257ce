package codec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// mediaStream is the bytes of one media resource read front to back, with what it takes to
// reach an offset behind or far ahead: a new range request when the origin serves ranges, or a
// region of the file held in memory when it does not (MP4 with the movie box after the media).
type mediaStream struct {
	ctx  context.Context
	f    *fetcher
	loc  *url.URL // what was read (after redirects)
	name string   // for messages
	src  io.ReadCloser
	r    *bufio.Reader
	pos  int64 // offset in the resource of r's next byte
	// reopen starts a new request at an offset; nil when the bytes come from a playlist's
	// pieces or the origin ignores ranges.
	reopen func(off int64) (io.ReadCloser, error)
	held   *heldRegion
}

// heldRegion is a stretch of the resource kept in memory.
type heldRegion struct {
	off  int64
	data []byte
}

// newBodyStream makes a stream over a response or file opened at offset 0.
func newBodyStream(ctx context.Context, f *fetcher, b *body) *mediaStream {
	m := &mediaStream{ctx: ctx, f: f, loc: b.loc, name: b.name, src: b, r: bufio.NewReaderSize(b, f.opts.BufferSize)}
	if b.ranges {
		loc := b.loc
		m.reopen = func(off int64) (io.ReadCloser, error) { return f.open(ctx, loc, off, -1) }
	}
	return m
}

// newPieceStream makes a stream over a playlist's pieces: positions are offsets in their
// concatenation, and there is no going back.
func newPieceStream(ctx context.Context, f *fetcher, pr *pieceReader, name string) *mediaStream {
	return &mediaStream{ctx: ctx, f: f, name: name, src: pr, r: bufio.NewReaderSize(pr, f.opts.BufferSize)}
}

func (m *mediaStream) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.pos += int64(n)
	return n, err
}

// seek moves to off: forward by reading through, else by a new request.
func (m *mediaStream) seek(off int64) error {
	d := off - m.pos
	if d == 0 {
		return nil
	}
	if d > 0 && (d <= maxSkip || m.reopen == nil) {
		n, err := m.r.Discard(int(min(d, int64(^uint(0)>>1))))
		m.pos += int64(n)
		if err != nil {
			return m.truncated(err, off)
		}
		return nil
	}
	return m.jump(off)
}

// jump moves to off with a new request (a range request, or a new read of a file).
func (m *mediaStream) jump(off int64) error {
	if off == m.pos {
		return nil
	}
	if m.reopen == nil {
		return fmt.Errorf("%w: %s: data at byte %d is behind the read position %d and the origin serves no ranges", ErrUnsupported, m.name, off, m.pos)
	}
	rc, err := m.reopen(off)
	if err != nil {
		return err
	}
	m.src.Close()
	m.src, m.pos = rc, off
	m.r.Reset(rc)
	return nil
}

// readAt reads n bytes at off.
func (m *mediaStream) readAt(off int64, n int) ([]byte, error) {
	if h := m.held; h != nil && off >= h.off && off+int64(n) <= h.off+int64(len(h.data)) {
		start := off - h.off
		return h.data[start : start+int64(n) : start+int64(n)], nil
	}
	if err := m.seek(off); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(m, buf); err != nil {
		return nil, m.truncated(err, off+int64(n))
	}
	return buf, nil
}

// truncated names an early end of the resource.
func (m *mediaStream) truncated(err error, want int64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w: %s ends before byte %d", ErrInvalid, ErrTruncated, m.name, want)
	}
	return err
}

func (m *mediaStream) Close() error {
	return m.src.Close()
}
