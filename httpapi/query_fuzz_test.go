package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// FuzzTokenQuery sends /token and /convert arbitrary query strings and Authorization headers:
// the service never panics, answers only the contract's statuses, every error is the JSON body
// with nosniff, and a token is only ever handed out for an http(s) URL on a whitelisted host.
func FuzzTokenQuery(f *testing.F) {
	good := "Basic " + basicCredentials(testUser, testPassword)
	for _, seed := range []struct{ path, query, auth string }{
		{"/token", "ifm=mp4&ofm=gif&url=" + url.QueryEscape("https://origin.test/a.mp4"), good},
		{"/token", "ifm=hls&ofm=GIF&url=https%3A%2F%2FORIGIN.test.%2Fm.m3u8%3Fx%3D1", good},
		{"/token", "ifm=auto&ofm=gif&url=http://127.0.0.1:8080/a.mp4", good},
		{"/token", "ifm=mp4&ofm=gif&url=http://user:pw@origin.test@evil.test/a.mp4", good},
		{"/token", "ifm=mp4&ofm=gif&url=http://2130706433/a.mp4", "Basic Og=="},
		{"/token", "url=%zz&ifm=mp4", "Bearer x"},
		{"/token", "ifm=mp4&ofm=gif&url=file:///etc/passwd", good},
		{"/token", "ifm=mp4&ofm=gif&osz=40&ofr=60&out_gif_colors=2&rts=true&pre=false&url=" + url.QueryEscape("https://origin.test/a.mp4"), good},
		{"/token", "ifm=mp4&ofm=gif&osz=0&ofr=%2B1&out_gif_colors=1e2&rts=1&url=" + url.QueryEscape("https://origin.test/a.mp4"), good},
		{"/convert.gif", "token=" + strings.Repeat("A", 64), ""},
		{"/convert", "token=;token=%00", ""},
	} {
		f.Add(seed.path, seed.query, seed.auth)
	}
	cfg := testConfig(f, "SOURCE_HOSTNAME_WHITELIST=origin.test", "ALLOW_PRIVATE_SOURCES=0", "CONVERSION_QUEUE_SIZE=4")
	failing := func(context.Context, string, pipeline.Options, io.Writer) (pipeline.Stats, error) {
		return pipeline.Stats{}, errors.New("fuzz: no conversions")
	}
	srv, err := New(cfg, Deps{Store: store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), Convert: failing})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	allowed := map[int]bool{200: true, 400: true, 414: true, 401: true, 403: true, 404: true, 415: true, 500: true, 503: true}
	f.Fuzz(func(t *testing.T, path, query, auth string) {
		if path != "/token" && path != "/convert" && path != "/convert.gif" {
			path = "/token"
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL = &url.URL{Path: path, RawQuery: query}
		r.RequestURI = path + "?" + query
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		res := w.Result()
		if !allowed[res.StatusCode] {
			t.Fatalf("%s?%q: status %d", path, query, res.StatusCode)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s?%q: no nosniff", path, query)
		}
		if res.StatusCode >= 400 {
			var e apiError
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
				json.Unmarshal(w.Body.Bytes(), &e) != nil || e.StatusCode != res.StatusCode {
				t.Fatalf("%s?%q: error %d not the JSON body: %q", path, query, res.StatusCode, w.Body.String())
			}
			return
		}
		if path != "/token" {
			return
		}
		var a tokenAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("%q: 200 without a token: %v", query, err)
		}
		u, err := url.Parse(a.Key.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
			!slices.Contains(cfg.SourceHosts, strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")) {
			t.Fatalf("%q: token for %q", query, a.Key.URL)
		}
		if k := a.Key; k.OSZ < 0 || k.OFR < 0 || k.OFR > maxParamFrameRate || (k.Colors != 0 && (k.Colors < minParamColors || k.Colors > maxParamColors)) {
			t.Fatalf("%q: parameters out of range accepted: %+v", query, k)
		}
		if len(a.Token) < 64 {
			t.Fatalf("token %q is short", a.Token)
		}
	})
}
