// Package fetch reads the bytes of a source: files, and http(s) resources whole or in byte
// ranges, under one budget per source (a Fetcher: bytes, timeouts, the host check on every URL
// asked for, redirects included).
//
// A Stream is what a demuxer reads: one resource, or a playlist's pieces, front to back, with
// what it takes to reach an offset behind or far ahead (a new range request, or bytes held in
// memory when the origin serves no ranges). Its errors carry codec's error classes
// (codec.ErrOrigin, codec.ErrTimeout, codec.ErrForbidden, codec.ErrTruncated, …), declared in
// codec/internal/sourceerr so that both packages return the same values.
//
// The files: options.go (Options and their defaults), limits.go, fetcher.go (the budget and
// the HTTP client), urlpolicy.go (which URLs may be read and how they are shown), http.go and
// contentrange.go (one request), file.go (one file), body.go (reading a body against its
// timers and the budget), pieces.go (a playlist's byte ranges as one read), stream.go.
package fetch
