package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// requestIDHeader carries a request id from a proxy in front (Caddy sets one when asked), or
// back to the client from us.
const requestIDHeader = "X-Request-Id"

type loggerKey struct{}

// logger returns the request's logger (with its id), or the server's.
func (s *Server) logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return s.log
}

// common wraps every response: a request id in the logger and the answer, and nosniff, so that
// no browser reads a JSON error or a GIF as something else.
func (s *Server) common(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		h := w.Header()
		h.Set(requestIDHeader, id)
		h.Set("X-Content-Type-Options", "nosniff")
		ctx := context.WithValue(r.Context(), loggerKey{}, s.log.With("request_id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// instrument counts and times the requests of one handler, and logs them. route is the
// pattern the earlier service's route metrics label them with; "" leaves them out.
func (s *Server) instrument(name, route string, next http.Handler) http.Handler {
	duration := s.metrics.handlerDuration.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		// Deferred, not after ServeHTTP: an aborted stream panics through here (and on to
		// net/http, which resets the connection) and must be counted too.
		defer func() {
			elapsed := time.Since(start)
			code := rec.code()
			s.metrics.requests.WithLabelValues(name, strconv.Itoa(code)).Inc()
			duration.Observe(elapsed.Seconds())
			s.metrics.observeRoute(r.Method, route, code, elapsed)
			s.logger(r.Context()).LogAttrs(r.Context(), accessLevel(name, code), "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", code),
				slog.Int64("bytes", rec.bytes), slog.Duration("duration", elapsed))
		}()
		next.ServeHTTP(rec, r)
	})
}

// accessLevel keeps probes and scrapes out of the info log.
func accessLevel(handler string, code int) slog.Level {
	switch {
	case code >= 500:
		return slog.LevelWarn
	case handler == "healthz" || handler == "readyz" || handler == "metrics":
		return slog.LevelDebug
	default:
		return slog.LevelInfo
	}
}

// statusRecorder notes the status and size of an answer. It passes Flush on, and Unwrap lets
// http.ResponseController reach the connection (for per-response write deadlines).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// validRequestID accepts ids a proxy might send, short and printable, so that a client cannot
// put anything into the logs through it.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
