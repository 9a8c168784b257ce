package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// origin serves the corpus over HTTP on loopback, like the CDNs the service fetches from: byte
// ranges (http.ServeContent), a bandwidth limit shared by all responses, TIDAL's 403 for
// renditions that do not exist, and a log of what it sent and when, so that the bench can tell
// how many bytes a converter fetched and when the first media segment had arrived.
type origin struct {
	root   string
	bucket *tokenBucket
	marks  map[string]int64 // URL path -> offset where its first media segment (or GOP) ends
	srv    *http.Server
	URL    string // http://127.0.0.1:port, no trailing slash

	mu         sync.Mutex
	requests   int
	bytes      int64
	firstMedia time.Time // when a marked offset was first passed since reset (zero: not yet)
}

// originStats is what the origin saw between reset and snapshot.
type originStats struct {
	Requests   int
	Bytes      int64
	FirstMedia time.Time
}

func startOrigin(root string, bitsPerSecond float64, marks map[string]int64) (*origin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("origin: %w", err)
	}
	o := &origin{root: root, bucket: newTokenBucket(bitsPerSecond), marks: marks, URL: "http://" + ln.Addr().String()}
	o.srv = &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "bench: origin: %v\n", err)
		}
	}()
	return o, nil
}

func (o *origin) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return o.srv.Shutdown(ctx)
}

func (o *origin) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests, o.bytes, o.firstMedia = 0, 0, time.Time{}
}

func (o *origin) snapshot() originStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return originStats{Requests: o.requests, Bytes: o.bytes, FirstMedia: o.firstMedia}
}

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	o.mu.Lock()
	o.requests++
	o.mu.Unlock()
	p := path.Clean("/" + r.URL.Path)
	f, err := os.Open(filepath.Join(o.root, filepath.FromSlash(p)))
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
		defer f.Close()
	}
	if err != nil || fi.IsDir() {
		if strings.HasPrefix(p, "/videos/") {
			// TIDAL answers 403, not 404, for a rendition it does not have.
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
		return
	}
	switch path.Ext(p) {
	case ".m3u8":
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	case ".mp4":
		w.Header().Set("Content-Type", "video/mp4")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	t := &transfer{origin: o, mark: -1, ctx: r.Context(), ResponseWriter: w}
	if m, ok := o.marks[p]; ok {
		t.mark = m
	}
	http.ServeContent(t, r, p, fi.ModTime(), &trackedFile{File: f, t: t})
}

// transfer is one response: it throttles the body and follows the file offset being sent, so
// the origin can note when the end of the first media segment went out.
type transfer struct {
	http.ResponseWriter
	origin *origin
	ctx    context.Context
	pos    int64 // file offset of the next body byte
	mark   int64 // -1: this file has none
}

// Write sends p in chunks, each after the bucket allows it. http.ServeContent writes only body
// bytes here (headers go through WriteHeader), so pos follows the file offset.
func (t *transfer) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), throttleChunk)
		if err := t.origin.bucket.wait(t.ctx, n); err != nil {
			return written, err
		}
		// Counted before the write: a large write goes straight to the socket, and the client
		// must not be able to read bytes the origin has not accounted for yet.
		t.advance(int64(n))
		m, err := t.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (t *transfer) advance(n int64) {
	before := t.pos
	t.pos += n
	o := t.origin
	o.mu.Lock()
	defer o.mu.Unlock()
	o.bytes += n
	if t.mark >= 0 && before < t.mark && t.pos >= t.mark && o.firstMedia.IsZero() {
		o.firstMedia = time.Now()
	}
}

// trackedFile tells the transfer where http.ServeContent seeks: the last seek before the body is
// copied is the start of the range being sent.
type trackedFile struct {
	*os.File
	t *transfer
}

func (f *trackedFile) Seek(offset int64, whence int) (int64, error) {
	pos, err := f.File.Seek(offset, whence)
	if err == nil {
		f.t.pos = pos
	}
	return pos, err
}

var _ io.ReadSeeker = (*trackedFile)(nil)
