package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// Stream is the bytes of one media resource, or of a playlist's pieces, read front to back,
// with what it takes to reach an offset behind or far ahead: a new range request when the
// origin serves ranges, or a region held in memory when it does not (an MP4 whose movie box
// comes after its media data). A demuxer reads it; one goroutine at a time.
type Stream struct {
	f      *Fetcher
	loc    *url.URL     // what was read (after redirects); nil for pieces before the first read
	pieces *pieceReader // the playlist's pieces, when the stream is made of them
	name   string       // for messages
	src    io.ReadCloser
	r      *bufio.Reader
	pos    int64 // offset in the resource of r's next byte
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

// Open starts reading the resource at loc from its first byte. The stream's requests hang on
// ctx: cancelling it ends them.
func (f *Fetcher) Open(ctx context.Context, loc *url.URL) (*Stream, error) {
	b, err := f.open(ctx, loc, 0, -1)
	if err != nil {
		return nil, err
	}
	s := &Stream{f: f, loc: b.loc, name: b.name, src: b, r: bufio.NewReaderSize(b, f.opts.BufferSize)}
	if b.ranges {
		loc := b.loc
		s.reopen = func(off int64) (io.ReadCloser, error) { return f.open(ctx, loc, off, -1) }
	}
	return s, nil
}

// OpenPieces makes a stream of pieces read in order as one (the media of an HLS playlist):
// offsets are those of their concatenation, and there is no going back. Adjacent byte ranges
// of one resource are read with one request. Nothing is requested before the first read; the
// stream is named after its first piece.
func (f *Fetcher) OpenPieces(ctx context.Context, pieces []Piece) *Stream {
	pr := newPieceReader(ctx, f, pieces)
	s := &Stream{f: f, pieces: pr, src: pr, r: bufio.NewReaderSize(pr, f.opts.BufferSize)}
	if len(pieces) > 0 {
		s.name = Redact(pieces[0].URL)
	}
	return s
}

// Name is the stream's resource as messages show it (see Redact).
func (s *Stream) Name() string { return s.name }

// URL is where the stream's bytes come from, after redirects: for pieces, the first piece's
// location once it has been read (nil before).
func (s *Stream) URL() *url.URL {
	if s.pieces != nil {
		return s.pieces.firstURL()
	}
	return s.loc
}

// Offset is where the next Read reads.
func (s *Stream) Offset() int64 { return s.pos }

// Read reads the resource's next bytes (io.Reader), moving Offset on.
func (s *Stream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.pos += int64(n)
	return n, err
}

// Peek returns the next n bytes without reading them (fewer, with the error, at the end).
func (s *Stream) Peek(n int) ([]byte, error) { return s.r.Peek(n) }

// SkipTo moves the read position to off: forward by reading through, else by a new request.
func (s *Stream) SkipTo(off int64) error {
	d := off - s.pos
	if d == 0 {
		return nil
	}
	if d > 0 && (d <= maxSkip || s.reopen == nil) {
		n, err := s.r.Discard(int(min(d, int64(^uint(0)>>1))))
		s.pos += int64(n)
		if err != nil {
			return s.truncated(err, off)
		}
		return nil
	}
	return s.jump(off)
}

// SkipForLater moves the read position forward to off over bytes the reader will come back to
// with ReadAt: with a new request from off when the origin serves ranges, even when off is near
// (those bytes are asked for again when wanted), else by holding them in memory, within the
// source's byte limit.
func (s *Stream) SkipForLater(off int64) error {
	if s.reopen != nil {
		return s.jump(off)
	}
	n := off - s.pos
	if n > s.f.opts.MaxBytes {
		return fmt.Errorf("%w: %s: %d bytes to come back to are over the limit of %d, and the origin serves no ranges",
			sourceerr.ErrOrigin, s.name, n, s.f.opts.MaxBytes)
	}
	start := s.pos
	data := make([]byte, n)
	if _, err := io.ReadFull(s, data); err != nil {
		return s.truncated(err, off)
	}
	s.held = &heldRegion{off: start, data: data}
	return nil
}

// jump moves to off with a new request (a range request, or a new read of a file).
func (s *Stream) jump(off int64) error {
	if off == s.pos {
		return nil
	}
	if s.reopen == nil {
		return fmt.Errorf("%w: %s: data at byte %d is behind the read position %d and the origin serves no ranges", sourceerr.ErrUnsupported, s.name, off, s.pos)
	}
	rc, err := s.reopen(off)
	if err != nil {
		return err
	}
	s.src.Close()
	s.src, s.pos = rc, off
	s.r.Reset(rc)
	return nil
}

// ReadAt reads n bytes at off: from the bytes held in memory, or where the read position gets
// to with SkipTo. Unlike io.ReaderAt's, it moves the read position past what it read (held
// bytes aside). The slice is the caller's, except for held bytes, which the stream keeps and
// may hand out again: those must not be changed.
func (s *Stream) ReadAt(off int64, n int) ([]byte, error) {
	if h := s.held; h != nil && off >= h.off && off+int64(n) <= h.off+int64(len(h.data)) {
		start := off - h.off
		return h.data[start : start+int64(n) : start+int64(n)], nil
	}
	if err := s.SkipTo(off); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(s, buf); err != nil {
		return nil, s.truncated(err, off+int64(n))
	}
	return buf, nil
}

// truncated names an early end of the resource.
func (s *Stream) truncated(err error, want int64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w: %s ends before byte %d", sourceerr.ErrInvalid, sourceerr.ErrTruncated, s.name, want)
	}
	return err
}

// Close ends the stream's request.
func (s *Stream) Close() error {
	return s.src.Close()
}
