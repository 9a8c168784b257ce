package fetch

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// ParseInput makes a location from what the user gave: an http(s) URL or a file path (made
// absolute, as a file URL).
func ParseInput(input string) (*url.URL, error) {
	if input == "" {
		return nil, fmt.Errorf("%w: empty input", sourceerr.ErrUnsupported)
	}
	if strings.HasPrefix(input, "http://") || strings.HasPrefix(input, "https://") {
		u, err := url.Parse(input)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%w: bad URL %q", sourceerr.ErrUnsupported, input)
		}
		return u, nil
	}
	if strings.Contains(input, "://") {
		return nil, fmt.Errorf("%w: %q: only http, https and file paths are read", sourceerr.ErrUnsupported, input)
	}
	abs, err := filepath.Abs(input)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", sourceerr.ErrUnsupported, input, err)
	}
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, nil
}

// Check asks the host check about u. Only http(s) may be fetched from the network; file URLs
// come only from a local input (see Resolve).
func (f *Fetcher) Check(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: %w: scheme %q of %s", sourceerr.ErrForbidden, sourceerr.ErrOrigin, u.Scheme, Redact(u))
	}
	if f.opts.CheckURL == nil {
		return nil
	}
	if err := f.opts.CheckURL(ctx, u); err != nil {
		return fmt.Errorf("%w: %w: %s: %v", sourceerr.ErrForbidden, sourceerr.ErrOrigin, Redact(u), err)
	}
	return nil
}

// Resolve resolves a playlist entry against the playlist's location. A playlist fetched over
// the network may only name network resources (RFC 8216 section 4.1: URIs are relative to the
// playlist's URI; a file: entry would read the server's disk).
func Resolve(base *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, fmt.Errorf("%w: bad URI %q: %v", sourceerr.ErrInvalid, ref, err)
	}
	u := base.ResolveReference(r)
	if base.Scheme != "file" && u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %w: URI %q has scheme %q", sourceerr.ErrForbidden, sourceerr.ErrOrigin, ref, u.Scheme)
	}
	if u.Scheme == "file" && base.Scheme != "file" {
		return nil, fmt.Errorf("%w: %w: URI %q", sourceerr.ErrForbidden, sourceerr.ErrOrigin, ref)
	}
	return u, nil
}

// DisplayName is how a location is shown where the whole of it belongs (the URL a conversion
// read): the path for files, the URL otherwise.
func DisplayName(u *url.URL) string {
	if u.Scheme == "file" {
		return filepath.FromSlash(u.Path)
	}
	return u.String()
}

// Redact shows a URL in messages: without its query and credentials (signed URLs carry
// tokens).
func Redact(u *url.URL) string {
	if u.Scheme == "file" {
		return DisplayName(u)
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}
