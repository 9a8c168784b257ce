package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// tokenAnswer is the body of a successful /token (docs/API.md, "GET /token").
type tokenAnswer struct {
	URL     string `json:"url"`
	Token   string `json:"token"`
	Expires int64  `json:"expires"` // unix seconds
	Key     Key    `json:"key"`
}

// handleToken checks the caller and the source, starts the conversion in the background (so
// that the /convert that follows is fast) and hands out a token for it.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.tokenAuth.allow(r) {
		s.tokenAuth.challenge(w)
		return
	}
	key, status, msg := s.parseKey(r)
	if status != 0 {
		writeError(w, status, msg)
		return
	}
	if err := s.startConversion(r, key); err != nil {
		writeError(w, conversionStatus(err), err.Error())
		return
	}
	token, err := newToken(s.cfg.TokenSize)
	if err != nil {
		s.logger(ctx).Error("making token failed", "err", err)
		writeError(w, http.StatusInternalServerError, "could not make a token")
		return
	}
	expires := tokenExpiry(s.now(), s.cfg.TokenTTL, s.cfg.TokenTTLResolution)
	if err := putToken(ctx, s.store, token, key, expires); err != nil {
		s.logger(ctx).Error("storing token failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "token store unavailable")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the URL is read by programs; keep its & and = readable
	_ = enc.Encode(tokenAnswer{
		URL:     s.cfg.BaseURL + "/convert." + key.OFM + "?token=" + token,
		Token:   token,
		Expires: expires.Unix(),
		Key:     key,
	})
}

// maxSourceURLBytes bounds the source URL a token may name: it is stored with every token and
// logged with every conversion; real sources' URLs are a few hundred bytes.
const maxSourceURLBytes = 4096

// parseKey reads and checks the parameters of /token; status is 0 when they are good.
func (s *Server) parseKey(r *http.Request) (key Key, status int, msg string) {
	q := r.URL.Query()
	raw := q.Get("url")
	if raw == "" {
		return Key{}, http.StatusBadRequest, "missing parameter url"
	}
	if len(raw) > maxSourceURLBytes {
		return Key{}, http.StatusRequestURITooLong, "parameter url: longer than " + strconv.Itoa(maxSourceURLBytes) + " bytes"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Key{}, http.StatusBadRequest, "parameter url: want an absolute http or https URL"
	}
	ifm, ok := inputFormats[strings.ToLower(q.Get("ifm"))]
	if !ok {
		return Key{}, http.StatusBadRequest, "parameter ifm: want mp4, m3u8 (or hls) or auto"
	}
	ofm := strings.ToLower(q.Get("ofm"))
	if !outputFormats[ofm] {
		return Key{}, http.StatusBadRequest, "parameter ofm: want gif"
	}
	key = Key{URL: u.String(), IFM: ifm, OFM: ofm}
	if msg := parseOptions(q, &key); msg != "" {
		return Key{}, http.StatusBadRequest, msg
	}
	if err := s.policy.checkURL(r.Context(), u); err != nil {
		return Key{}, http.StatusForbidden, err.Error()
	}
	return key, 0, ""
}

// startConversion makes sure the result of key is cached or on its way.
func (s *Server) startConversion(r *http.Request, key Key) error {
	opts := s.conversionOptions(key)
	id := ResultID(opts.Fingerprint(), key)
	_, err := s.store.Result(r.Context(), id)
	if err == nil {
		s.metrics.cacheRequests.WithLabelValues("hit").Inc()
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		s.logger(r.Context()).Warn("cache lookup failed", "err", err)
	}
	_, joined, err := s.jobs.join(id, key, opts)
	if err != nil {
		return err
	}
	s.countJoin(joined)
	return nil
}

func (s *Server) countJoin(joined bool) {
	if joined {
		s.metrics.cacheRequests.WithLabelValues("joined").Inc()
	} else {
		s.metrics.cacheRequests.WithLabelValues("miss").Inc()
	}
}
