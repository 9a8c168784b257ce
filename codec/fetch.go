package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of FetchOptions, the service's defaults (CONVERSION_STREAM_HTTP_TIMEOUT,
// CONVERSION_MAX_SOURCE_BYTES, CONVERSION_STREAM_BUFFER_SIZE).
const (
	DefaultTimeout     = 30 * time.Second
	DefaultIdleTimeout = 10 * time.Second
	DefaultMaxBytes    = 64 << 20
	DefaultBufferSize  = 64 << 10
)

// FetchOptions says how a source is fetched. The zero value fetches with the defaults, from any
// host.
type FetchOptions struct {
	// Client does the HTTP requests; nil: http.DefaultClient's transport. The service passes
	// one whose dialer refuses private addresses. Its CheckRedirect, if any, still runs after
	// CheckURL.
	Client *http.Client
	// Timeout bounds each request, from sending it to the last byte of its body read.
	Timeout time.Duration
	// IdleTimeout bounds each wait for the next bytes of a body, so that an origin that stops
	// sending is noticed before Timeout (capped at Timeout).
	IdleTimeout time.Duration
	// MaxBytes bounds the bytes read over all requests of one source (files included).
	MaxBytes int64
	// BufferSize is the read buffer put over each response body or file.
	BufferSize int
	// CheckURL, when set, is asked before every request: the first URL, every redirect and
	// every playlist entry. An error refuses the URL: nothing is sent to it.
	CheckURL func(ctx context.Context, u *url.URL) error
}

// FetchStats is implemented by the sources Open returns: what the source cost to fetch.
type FetchStats interface {
	BytesFetched() int64 // bytes read from origins and files, over all requests
	Requests() int64     // HTTP requests sent and files opened
}

var (
	errRequestTimeout = errors.New("request timed out")
	errStalled        = errors.New("origin stopped sending")
)

// statusError is an answer other than success, kept so that a caller can tell "this resource
// does not exist" (a rendition to skip) from other origin failures.
type statusError struct {
	code   int
	status string // as the response says it, e.g. "403 Forbidden"
}

func (e *statusError) Error() string { return "status " + e.status }

// fetcher opens the resources of one source and keeps its budget: the byte limit is counted over
// everything it opens.
type fetcher struct {
	opts     FetchOptions
	client   *http.Client
	fetched  atomic.Int64 // bytes read, all requests
	requests atomic.Int64 // requests sent and files opened
}

func newFetcher(opts FetchOptions) *fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	opts.IdleTimeout = min(opts.IdleTimeout, opts.Timeout)
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.BufferSize <= 0 {
		opts.BufferSize = DefaultBufferSize
	}
	f := &fetcher{opts: opts}
	base := opts.Client
	if base == nil {
		base = &http.Client{}
	}
	client := *base
	next := base.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= MaxRedirects {
			return fmt.Errorf("%w: more than %d redirects", ErrOrigin, MaxRedirects)
		}
		if err := f.check(req.Context(), req.URL); err != nil {
			return fmt.Errorf("redirect from %s: %w", redact(via[len(via)-1].URL), err)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	f.client = &client
	return f
}

// check asks the host check about u. Only http(s) may be fetched from the network; file URLs
// come only from a local input (see resolve).
func (f *fetcher) check(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: %w: scheme %q of %s", ErrForbidden, ErrOrigin, u.Scheme, redact(u))
	}
	if f.opts.CheckURL == nil {
		return nil
	}
	if err := f.opts.CheckURL(ctx, u); err != nil {
		return fmt.Errorf("%w: %w: %s: %v", ErrForbidden, ErrOrigin, redact(u), err)
	}
	return nil
}

// parseInput makes a location from what the user gave: an http(s) URL or a file path.
func parseInput(input string) (*url.URL, error) {
	if input == "" {
		return nil, fmt.Errorf("%w: empty input", ErrUnsupported)
	}
	if strings.HasPrefix(input, "http://") || strings.HasPrefix(input, "https://") {
		u, err := url.Parse(input)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%w: bad URL %q", ErrUnsupported, input)
		}
		return u, nil
	}
	if strings.Contains(input, "://") {
		return nil, fmt.Errorf("%w: %q: only http, https and file paths are read", ErrUnsupported, input)
	}
	abs, err := filepath.Abs(input)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrUnsupported, input, err)
	}
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, nil
}

// resolve resolves a playlist entry against the playlist's location. A playlist fetched over
// the network may only name network resources (RFC 8216 section 4.1: URIs are relative to the
// playlist's URI; a file: entry would read the server's disk).
func resolve(base *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, fmt.Errorf("%w: bad URI %q: %v", ErrInvalid, ref, err)
	}
	u := base.ResolveReference(r)
	if base.Scheme != "file" && u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %w: URI %q has scheme %q", ErrForbidden, ErrOrigin, ref, u.Scheme)
	}
	if u.Scheme == "file" && base.Scheme != "file" {
		return nil, fmt.Errorf("%w: %w: URI %q", ErrForbidden, ErrOrigin, ref)
	}
	return u, nil
}

// displayName is how a location is shown: the path for files, the URL otherwise.
func displayName(u *url.URL) string {
	if u.Scheme == "file" {
		return filepath.FromSlash(u.Path)
	}
	return u.String()
}

// redact shows a URL without its query and credentials (signed URLs carry tokens).
func redact(u *url.URL) string {
	if u.Scheme == "file" {
		return displayName(u)
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// body is one response body or file, read from some offset: it counts bytes against the
// budget and turns the request's timers and failures into the error classes.
type body struct {
	f         *fetcher
	rc        io.ReadCloser
	loc       *url.URL // what was actually read (after redirects)
	name      string   // for messages
	remaining int64    // bytes left of the wanted range; <0: to the end
	ranges    bool     // the origin serves byte ranges (files always do)
	size      int64    // size of the whole resource; <0 unknown

	ctx      context.Context // the request's; its cause says which timer fired
	cancel   context.CancelCauseFunc
	deadline *time.Timer
	idle     *time.Timer
	err      error // first error; every later Read returns it
}

// open starts reading loc at byte off, n bytes (n < 0: to the end). An origin that ignores the
// Range header is read from the start and the first off bytes are dropped (within the budget).
func (f *fetcher) open(ctx context.Context, loc *url.URL, off, n int64) (*body, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if used := f.fetched.Load(); used >= f.opts.MaxBytes {
		return nil, fmt.Errorf("%w: %s: source larger than the limit of %d bytes", ErrOrigin, redact(loc), f.opts.MaxBytes)
	}
	f.requests.Add(1)
	if loc.Scheme == "file" {
		return f.openFile(loc, off, n)
	}
	if err := f.check(ctx, loc); err != nil {
		return nil, err
	}
	reqCtx, cancel := context.WithCancelCause(ctx)
	b := &body{f: f, loc: loc, name: redact(loc), remaining: -1, size: -1, ctx: reqCtx, cancel: cancel}
	b.deadline = time.AfterFunc(f.opts.Timeout, func() { cancel(errRequestTimeout) })
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, loc.String(), nil)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrUnsupported, b.name, err)
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
	b.name = redact(b.loc)
	b.ranges = resp.Header.Get("Accept-Ranges") == "bytes"
	switch resp.StatusCode {
	case http.StatusOK:
		b.size = resp.ContentLength
		if off > 0 {
			if _, err := io.CopyN(io.Discard, b, off); err != nil {
				b.Close()
				return nil, b.endOfRange(err)
			}
		}
	case http.StatusPartialContent:
		b.ranges = true
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != off {
			b.Close()
			return nil, fmt.Errorf("%w: GET %s: asked for bytes from %d, got Content-Range %q", ErrOrigin, b.name, off, resp.Header.Get("Content-Range"))
		}
		b.size = size
	case http.StatusRequestedRangeNotSatisfiable:
		b.Close()
		return nil, fmt.Errorf("%w: %w: GET %s: bytes from %d are past the end", ErrInvalid, ErrTruncated, b.name, off)
	default:
		b.Close()
		return nil, fmt.Errorf("%w: GET %s: %w", ErrOrigin, b.name, &statusError{code: resp.StatusCode, status: resp.Status})
	}
	b.remaining = n
	return b, nil
}

func (f *fetcher) openFile(loc *url.URL, off, n int64) (*body, error) {
	name := displayName(loc)
	file, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOrigin, err)
	}
	b := &body{f: f, rc: file, loc: loc, name: name, remaining: n, ranges: true, size: -1}
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		b.size = st.Size()
	} else if err == nil && st.IsDir() {
		file.Close()
		return nil, fmt.Errorf("%w: %s is a directory", ErrUnsupported, name)
	}
	if off > 0 {
		if b.size >= 0 && off >= b.size {
			file.Close()
			return nil, fmt.Errorf("%w: %w: %s: bytes from %d are past the end", ErrInvalid, ErrTruncated, name, off)
		}
		if _, err := file.Seek(off, io.SeekStart); err != nil {
			file.Close()
			return nil, fmt.Errorf("%w: %s: %v", ErrOrigin, name, err)
		}
	}
	return b, nil
}

// parseContentRange reads "bytes START-END/SIZE" (RFC 9110 section 14.4); SIZE may be "*".
func parseContentRange(v string) (start, size int64, ok bool) {
	v, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(v, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	size = -1
	if total != "*" {
		if size, err = strconv.ParseInt(total, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, size, true
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
			b.err = fmt.Errorf("%w: %s: source larger than the limit of %d bytes", ErrOrigin, b.name, b.f.opts.MaxBytes)
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
	if errors.Is(err, ErrForbidden) || errors.Is(err, ErrOrigin) {
		return err
	}
	if b.ctx != nil {
		switch cause := context.Cause(b.ctx); {
		case errors.Is(cause, errRequestTimeout):
			return fmt.Errorf("%w: %s: no complete answer within %v", ErrTimeout, b.name, b.f.opts.Timeout)
		case errors.Is(cause, errStalled):
			return fmt.Errorf("%w: %s: nothing received for %v", ErrTimeout, b.name, b.f.opts.IdleTimeout)
		case cause != nil:
			return cause // the caller's cancellation
		}
	}
	// A transport's own timer (a dial or response-header timeout) is a timeout too: the origin
	// did not answer in time, however the race with our timers went.
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return fmt.Errorf("%w: %v", ErrOrigin, err)
}

// endOfRange names an early end of the body: the resource is shorter than the ranges say.
func (b *body) endOfRange(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %w: %s ends early", ErrInvalid, ErrTruncated, b.name)
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
