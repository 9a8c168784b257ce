package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// firstReadSize is the buffer of a stream's first read, which waits for the first bytes.
const firstReadSize = 64 << 10

// writeSlack is added to a stream's write deadline beyond the job's, for the last bytes to
// reach a slow client.
const writeSlack = 30 * time.Second

// handleConvert serves the GIF of a token: from the cache when finished, else streamed from the
// running conversion (joined, or started now). ext is the extension of the path, "" for none.
func (s *Server) handleConvert(ext string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		token := r.URL.Query().Get("token")
		if token == "" {
			writeError(w, http.StatusBadRequest, "missing parameter token")
			return
		}
		key, err := lookupToken(ctx, s.store, token)
		if errors.Is(err, ErrNotFound) {
			writeError(w, http.StatusNotFound, "unknown or expired token")
			return
		}
		if err != nil {
			s.logger(ctx).Error("token lookup failed", "err", err)
			writeError(w, http.StatusServiceUnavailable, "token store unavailable")
			return
		}
		if ext != "" && ext != key.OFM {
			writeError(w, http.StatusBadRequest, "extension ."+ext+" does not match the token's output format "+key.OFM)
			return
		}
		opts := s.conversionOptions(key)
		id := ResultID(opts.Fingerprint(), key)
		data, err := s.store.Result(ctx, id)
		if err == nil {
			s.metrics.cacheRequests.WithLabelValues("hit").Inc()
			s.serveComplete(w, r, token, id, data)
			return
		}
		if !errors.Is(err, ErrNotFound) {
			s.logger(ctx).Warn("cache lookup failed", "err", err)
		}
		res, joined, err := s.jobs.join(id, key, opts)
		if err != nil {
			writeError(w, conversionStatus(err), err.Error())
			return
		}
		s.countJoin(joined)
		s.serveStream(w, r, token, id, res)
	}
}

func setGIFHeaders(h http.Header, token string) {
	h.Set("Content-Type", "image/gif")
	name := token
	if len(name) > 8 {
		name = name[:8]
	}
	h.Set("Content-Disposition", `inline; filename="cover-`+name+`.gif"`)
}

// serveComplete serves a finished result. Its id names the bytes exactly (the source and the
// options' fingerprint), so it is a strong ETag. http.ServeContent answers HEAD,
// If-None-Match and ranges.
func (s *Server) serveComplete(w http.ResponseWriter, r *http.Request, token, id string, data []byte) {
	h := w.Header()
	setGIFHeaders(h, token)
	h.Set("ETag", `"`+id+`"`)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.ResultTTL/time.Second))+", immutable")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// serveStream sends a running conversion's output from its first byte as it grows, flushing
// every chunk (the encoder writes a frame at a time).
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, token, id string, res *pipeline.Result) {
	ctx := r.Context()
	rr := res.NewReader(ctx)
	// Waiting for the first bytes (or the end) before answering lets a conversion that fails
	// early be answered with its status and message instead of a 200 that breaks off.
	buf := make([]byte, firstReadSize)
	n, err := rr.Read(buf)
	if n == 0 {
		if ctx.Err() != nil {
			return // the client left
		}
		if err == nil || errors.Is(err, io.EOF) {
			err = errors.New("conversion produced no output")
		}
		writeError(w, conversionStatus(err), publicMessage(err))
		return
	}
	if data, ok := res.Bytes(); ok {
		s.serveComplete(w, r, token, id, data)
		return
	}
	setGIFHeaders(w.Header(), token)
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.ResultTTL/time.Second)))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Now().Add(s.jobs.timeout + s.writeSlack)); err != nil {
		s.logger(ctx).Debug("cannot extend write deadline", "err", err)
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(buf[:n]); err != nil {
		return
	}
	_ = rc.Flush()
	if sent, err := rr.WriteTo(w); err != nil {
		if ctx.Err() != nil {
			return
		}
		// Bytes went out with a 200: ending the chunked body cleanly would leave clients and
		// proxies with a truncated GIF they might keep. Aborting resets the stream instead.
		s.logger(ctx).Warn("conversion failed while streaming; aborting response", "err", err, "bytes_sent", int64(n)+sent)
		panic(http.ErrAbortHandler)
	}
}
