package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// openHTTP sends a GET for n bytes of loc from off (n < 0: to the end), with a Range header
// unless the whole resource is wanted. An origin that ignores the Range header is read from the
// start and the first off bytes are dropped (within the budget).
func (f *Fetcher) openHTTP(ctx context.Context, loc *url.URL, off, n int64) (*body, error) {
	if err := f.Check(ctx, loc); err != nil {
		return nil, err
	}
	reqCtx, cancel := context.WithCancelCause(ctx)
	b := &body{f: f, loc: loc, name: Redact(loc), remaining: -1, ctx: reqCtx, cancel: cancel}
	b.deadline = time.AfterFunc(f.opts.Timeout, func() { cancel(errRequestTimeout) })
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, loc.String(), nil)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("%w: %s: %v", sourceerr.ErrUnsupported, b.name, err)
	}
	if off > 0 || n >= 0 {
		end := ""
		if n >= 0 {
			end = strconv.FormatInt(off+n-1, 10)
		}
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+end)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// Classified before Close, whose cancellation would otherwise pass for the caller's and
		// turn a refused or unresolvable origin into an unclassed "context canceled".
		err = b.classify(fmt.Errorf("GET %s: %w", b.name, err))
		b.Close()
		return nil, err
	}
	b.rc = resp.Body
	b.loc = resp.Request.URL
	b.name = Redact(b.loc)
	b.ranges = resp.Header.Get("Accept-Ranges") == "bytes"
	switch resp.StatusCode {
	case http.StatusOK:
		if off > 0 {
			if _, err := io.CopyN(io.Discard, b, off); err != nil {
				b.Close()
				return nil, b.endOfRange(err)
			}
		}
	case http.StatusPartialContent:
		b.ranges = true
		if start, ok := parseContentRange(resp.Header.Get("Content-Range")); !ok || start != off {
			b.Close()
			return nil, fmt.Errorf("%w: GET %s: asked for bytes from %d, got Content-Range %q", sourceerr.ErrOrigin, b.name, off, resp.Header.Get("Content-Range"))
		}
	case http.StatusRequestedRangeNotSatisfiable:
		b.Close()
		return nil, fmt.Errorf("%w: %w: GET %s: bytes from %d are past the end", sourceerr.ErrInvalid, sourceerr.ErrTruncated, b.name, off)
	default:
		b.Close()
		return nil, fmt.Errorf("%w: GET %s: %w", sourceerr.ErrOrigin, b.name, &StatusError{Code: resp.StatusCode, Status: resp.Status})
	}
	b.remaining = n
	return b, nil
}
