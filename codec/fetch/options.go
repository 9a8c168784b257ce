package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Defaults of Options, the service's defaults (CONVERSION_STREAM_HTTP_TIMEOUT,
// CONVERSION_MAX_SOURCE_BYTES, CONVERSION_STREAM_BUFFER_SIZE).
const (
	DefaultTimeout     = 30 * time.Second
	DefaultIdleTimeout = 10 * time.Second
	DefaultMaxBytes    = 64 << 20
	DefaultBufferSize  = 64 << 10
)

// Options says how a source is fetched. The zero value fetches with the defaults, from any
// host.
type Options struct {
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

// DefaultOptions are the options the zero Options stand for, written out: what a caller that
// shows the defaults or overrides some of them (the service's configuration) starts from.
func DefaultOptions() Options { return Options{}.withDefaults() }

// Validate says what is wrong with o: a negative duration or size (zero stands for the
// default).
func (o Options) Validate() error {
	var errs []error
	if o.Timeout < 0 || o.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("fetch: timeouts %s and %s, want 0 (default) or more", o.Timeout, o.IdleTimeout))
	}
	if o.MaxBytes < 0 || o.BufferSize < 0 {
		errs = append(errs, fmt.Errorf("fetch: %d bytes at most, a buffer of %d, want 0 (default) or more", o.MaxBytes, o.BufferSize))
	}
	return errors.Join(errs...)
}

// withDefaults fills in what the options leave at zero.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	o.IdleTimeout = min(o.IdleTimeout, o.Timeout)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	return o
}
