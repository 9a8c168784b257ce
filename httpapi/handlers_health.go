package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// readyTimeout bounds the store's answer to /readyz.
const readyTimeout = 2 * time.Second

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// handleReadyz answers 200 when the cache store answers: without it nothing can be served.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logger(ctx).Warn("store not ready", "err", err)
		writeError(w, http.StatusServiceUnavailable, "cache store not answering")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metricsAuth != nil && !s.metricsAuth.allow(r) {
		s.metricsAuth.challenge(w)
		return
	}
	s.metrics.handler.ServeHTTP(w, r)
}

// handleOther answers what no route matches: /convert with an extension other than an output
// format is a bad request (the contract's 400), anything else unknown.
func (s *Server) handleOther(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// The routes are GET only; ServeMux would send this catch-all every other method, and
		// a plain-text 405 of its own is no JSON error.
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+strconv.Quote(r.Method)+" not allowed (want GET or HEAD)")
		return
	}
	if ext, ok := strings.CutPrefix(r.URL.Path, "/convert."); ok {
		writeError(w, http.StatusBadRequest, "extension ."+ext+" is not an output format (want .gif)")
		return
	}
	writeError(w, http.StatusNotFound, "no such endpoint")
}
