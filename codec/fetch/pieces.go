package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// Piece is one part of a source, read in order: a whole resource, or a byte range of it
// (RFC 8216 section 4.3.2.2, EXT-X-BYTERANGE; section 4.3.2.5, EXT-X-MAP BYTERANGE).
type Piece struct {
	URL    *url.URL
	Offset int64
	Length int64 // <0: the whole resource (Offset is then 0)
}

// End is the offset just past the piece's bytes.
func (p Piece) End() int64 { return p.Offset + p.Length }

// span is one request: pieces [first, last] of a plan, bytes [off, off+n) of their resource
// (n < 0: to the end).
type span struct {
	first, last int
	off, n      int64
}

// maxRangeGap is the largest hole between two byte ranges of one resource read through and
// dropped rather than asked for with a new request; maxRangeOverlap the largest overlap served
// from bytes already read.
const (
	maxRangeGap     = 64 << 10
	maxRangeOverlap = 1 << 20
)

// planSpans groups consecutive pieces into requests. Apple's media playlists name the init
// section and every segment as adjacent byte ranges of one file: they all become one request,
// read front to back.
func planSpans(pieces []Piece) (spans []span, overlap int64) {
	for i := 0; i < len(pieces); {
		p := pieces[i]
		s := span{first: i, last: i, off: p.Offset, n: p.Length}
		if p.Length >= 0 {
			end := p.End()
			for j := i + 1; j < len(pieces); j++ {
				q := pieces[j]
				if q.Length < 0 || q.URL.String() != p.URL.String() || q.Offset > end+maxRangeGap || q.Offset < pieces[j-1].Offset || end-q.Offset > maxRangeOverlap {
					break
				}
				overlap = max(overlap, end-q.Offset)
				end = max(end, q.End())
				s.last = j
			}
			s.n = end - s.off
		}
		spans = append(spans, s)
		i = s.last + 1
	}
	return spans, overlap
}

// pieceReader reads a plan of pieces as one stream of bytes, one request per span.
type pieceReader struct {
	ctx    context.Context
	f      *Fetcher
	pieces []Piece
	spans  []span
	keep   int64 // bytes of history kept for overlapping ranges (0: none overlap)

	span    int   // current span
	i       int   // current piece; len(pieces) at the end
	started bool  // piece i has been positioned
	left    int64 // bytes of piece i still to give; <0: to the end of the resource
	cur     *body // the current span's response
	pos     int64 // offset in the resource of cur's next byte
	hist    []byte
	replay  []byte // overlap of piece i with bytes already read, given first
	first   *url.URL
	err     error
}

func newPieceReader(ctx context.Context, f *Fetcher, pieces []Piece) *pieceReader {
	spans, overlap := planSpans(pieces)
	return &pieceReader{ctx: ctx, f: f, pieces: pieces, spans: spans, keep: overlap}
}

// firstURL is the location the first piece was actually read from (after redirects).
func (r *pieceReader) firstURL() *url.URL { return r.first }

func (r *pieceReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.i >= len(r.pieces) {
			r.err = io.EOF
			break
		}
		if !r.started {
			if err := r.position(); err != nil {
				r.err = err
				break
			}
		}
		if len(r.replay) > 0 {
			n := copy(p, r.replay)
			r.replay = r.replay[n:]
			return n, nil
		}
		if r.left == 0 {
			r.i++
			r.started = false
			continue
		}
		want := p
		if r.left > 0 && int64(len(want)) > r.left {
			want = want[:r.left]
		}
		n, err := r.cur.Read(want)
		r.pos += int64(n)
		if r.left > 0 {
			r.left -= int64(n)
		}
		r.remember(want[:n])
		if err == io.EOF && r.left < 0 {
			r.left = 0
			err = nil
		}
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("%w: %w: %s ends before byte %d", sourceerr.ErrInvalid, sourceerr.ErrTruncated, r.cur.name, r.pieces[r.i].End())
			}
			r.err = err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, r.err
}

// position gets piece i ready: a new request at the start of a span, else a skip over a gap or
// a replay of an overlap within the span's response.
func (r *pieceReader) position() error {
	pc := r.pieces[r.i]
	r.started = true
	r.left = pc.Length
	if r.span < len(r.spans) && r.spans[r.span].first == r.i {
		s := r.spans[r.span]
		r.span++
		if r.cur != nil {
			r.cur.Close()
			r.cur = nil
		}
		b, err := r.f.open(r.ctx, pc.URL, s.off, s.n)
		if err != nil {
			return err
		}
		r.cur, r.pos, r.hist = b, s.off, r.hist[:0]
		if r.first == nil {
			r.first = b.loc
		}
		return nil
	}
	switch d := pc.Offset - r.pos; {
	case d > 0:
		if _, err := io.CopyN(io.Discard, r.cur, d); err != nil {
			return r.cur.endOfRange(err)
		}
		r.pos = pc.Offset
	case d < 0:
		if -d > int64(len(r.hist)) {
			return fmt.Errorf("%w: byte range at %d overlaps more than was kept", sourceerr.ErrInvalid, pc.Offset)
		}
		r.replay = r.hist[int64(len(r.hist))+d:]
		if int64(len(r.replay)) > pc.Length {
			r.replay = r.replay[:pc.Length]
		}
		r.left = pc.Length - int64(len(r.replay))
	}
	return nil
}

// remember keeps the last bytes read when the plan has overlapping ranges.
func (r *pieceReader) remember(b []byte) {
	if r.keep == 0 || len(b) == 0 {
		return
	}
	r.hist = append(r.hist, b...)
	if extra := int64(len(r.hist)) - r.keep; extra > 0 {
		r.hist = append(r.hist[:0], r.hist[extra:]...)
	}
}

func (r *pieceReader) Close() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	if r.err == nil {
		r.err = errors.New("read after close")
	}
	return nil
}
