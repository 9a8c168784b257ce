package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// Fetcher opens the resources of one source and keeps its budget: the byte limit is counted
// over everything it opens, and every URL it is asked for passes the host check first.
type Fetcher struct {
	opts     Options
	client   *http.Client
	fetched  atomic.Int64 // bytes read, all requests
	requests atomic.Int64 // requests sent and files opened
}

// Stats is what a source cost to fetch so far.
type Stats struct {
	Bytes    int64 // read from origins and files, over all requests
	Requests int64 // HTTP requests sent and files opened
}

// New makes the fetcher of one source.
func New(opts Options) *Fetcher {
	f := &Fetcher{opts: opts.withDefaults()}
	base := f.opts.Client
	if base == nil {
		base = &http.Client{}
	}
	client := *base
	next := base.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= MaxRedirects {
			return fmt.Errorf("%w: more than %d redirects", sourceerr.ErrOrigin, MaxRedirects)
		}
		if err := f.Check(req.Context(), req.URL); err != nil {
			return fmt.Errorf("redirect from %s: %w", Redact(via[len(via)-1].URL), err)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	f.client = &client
	return f
}

// Stats is what the source cost so far.
func (f *Fetcher) Stats() Stats {
	return Stats{Bytes: f.fetched.Load(), Requests: f.requests.Load()}
}

// open starts reading loc at byte off, n bytes (n < 0: to the end), within the budget.
func (f *Fetcher) open(ctx context.Context, loc *url.URL, off, n int64) (*body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if used := f.fetched.Load(); used >= f.opts.MaxBytes {
		return nil, fmt.Errorf("%w: %s: source larger than the limit of %d bytes", sourceerr.ErrOrigin, Redact(loc), f.opts.MaxBytes)
	}
	f.requests.Add(1)
	if loc.Scheme == "file" {
		return f.openFile(loc, off, n)
	}
	return f.openHTTP(ctx, loc, off, n)
}
