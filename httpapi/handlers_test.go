package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
)

func TestTokenAPI(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			conv := newGatedConverter(t, 3)
			conv.open()
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)

			q := "/token?ifm=mp4&ofm=gif&url=" + url.QueryEscape("https://origin.test/a.mp4")
			cases := []struct {
				name       string
				path       string
				user, pass string
				want       int
			}{
				{"no credentials", q, "", "", http.StatusUnauthorized},
				{"wrong password", q, testUser, "wrong", http.StatusUnauthorized},
				{"wrong user", q, "someone", testPassword, http.StatusUnauthorized},
				{"missing url", "/token?ifm=mp4&ofm=gif", testUser, testPassword, http.StatusBadRequest},
				{"relative url", "/token?ifm=mp4&ofm=gif&url=a.mp4", testUser, testPassword, http.StatusBadRequest},
				{"ftp url", "/token?ifm=mp4&ofm=gif&url=" + url.QueryEscape("ftp://origin.test/a.mp4"), testUser, testPassword, http.StatusBadRequest},
				{"bad ifm", "/token?ifm=avi&ofm=gif&url=" + url.QueryEscape("https://origin.test/a.mp4"), testUser, testPassword, http.StatusBadRequest},
				{"bad ofm", "/token?ifm=mp4&ofm=webp&url=" + url.QueryEscape("https://origin.test/a.mp4"), testUser, testPassword, http.StatusBadRequest},
				{"host not whitelisted", "/token?ifm=mp4&ofm=gif&url=" + url.QueryEscape("https://evil.test/a.mp4"), testUser, testPassword, http.StatusForbidden},
				{"whitelist is exact", "/token?ifm=mp4&ofm=gif&url=" + url.QueryEscape("https://x.origin.test/a.mp4"), testUser, testPassword, http.StatusForbidden},
				{"hls alias", "/token?ifm=hls&ofm=gif&url=" + url.QueryEscape("https://ORIGIN.test/b.m3u8"), testUser, testPassword, http.StatusOK},
				{"ok", q, testUser, testPassword, http.StatusOK},
			}
			for _, c := range cases {
				req, _ := http.NewRequest(http.MethodGet, ts.http.URL+c.path, nil)
				if c.user != "" {
					req.SetBasicAuth(c.user, c.pass)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := readAll(res)
				if res.StatusCode != c.want {
					t.Errorf("%s: status %d, want %d: %s", c.name, res.StatusCode, c.want, body)
					continue
				}
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("%s: X-Content-Type-Options %q", c.name, got)
				}
				if c.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("%s: WWW-Authenticate %q", c.name, res.Header.Get("WWW-Authenticate"))
				}
				if c.want != http.StatusOK {
					checkErrorBody(t, c.name, body, c.want)
					continue
				}
				var a tokenAnswer
				if err := json.Unmarshal(body, &a); err != nil {
					t.Fatalf("%s: %v: %s", c.name, err, body)
				}
				if want := ts.http.URL + "/convert.gif?token=" + a.Token; a.URL != want {
					t.Errorf("%s: url %q, want %q", c.name, a.URL, want)
				}
				if n := len(a.Token); n != 64 { // 48 bytes in base64url
					t.Errorf("%s: token of %d characters, want 64", c.name, n)
				}
				if a.Expires <= 0 || a.Expires%60 != 0 {
					t.Errorf("%s: expires %d, want a whole minute", c.name, a.Expires)
				}
				if a.Key.OFM != "gif" || a.Key.URL == "" {
					t.Errorf("%s: key %+v", c.name, a.Key)
				}
				if c.name == "hls alias" && a.Key.IFM != "m3u8" {
					t.Errorf("hls alias: ifm %q, want m3u8", a.Key.IFM)
				}
			}
		})
	}
}

func checkErrorBody(t *testing.T, name string, body []byte, status int) {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: error body is not JSON: %v: %s", name, err, body)
		return
	}
	if e.StatusCode != status || e.Error != http.StatusText(status) || e.Message == "" {
		t.Errorf("%s: error body %+v, want status %d", name, e, status)
	}
}

func TestConvertStreamsThenCaches(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			conv := newGatedConverter(t, 4)
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)
			a := ts.token(t, "https://origin.test/cover.mp4")

			res := ts.get(t, "/convert.gif?token="+a.Token)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if res.ContentLength != -1 || len(res.TransferEncoding) == 0 {
				t.Errorf("running conversion: Content-Length %d, Transfer-Encoding %v, want chunked", res.ContentLength, res.TransferEncoding)
			}
			first := make([]byte, len(conv.pieces[0]))
			if _, err := io.ReadFull(res.Body, first); err != nil {
				t.Fatalf("first bytes before the conversion ended: %v", err)
			}
			conv.open()
			rest, err := readAll(res)
			if err != nil {
				t.Fatal(err)
			}
			if got := append(first, rest...); !bytes.Equal(got, conv.whole()) {
				t.Fatalf("streamed %d bytes, want the %d of the GIF", len(got), len(conv.whole()))
			}
			checkGIFHeaders(t, res.Header, a.Token)

			// Once finished, the result is served whole from the cache.
			waitIdle(t, ts)
			res = ts.get(t, "/convert?token="+a.Token)
			body, _ := readAll(res)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, conv.whole()) {
				t.Fatalf("cached: status %d, %d bytes", res.StatusCode, len(body))
			}
			if res.ContentLength != int64(len(body)) {
				t.Errorf("cached: Content-Length %d, want %d", res.ContentLength, len(body))
			}
			etag := res.Header.Get("ETag")
			if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=3600") {
				t.Errorf("cached: ETag %q, Cache-Control %q", etag, res.Header.Get("Cache-Control"))
			}
			checkGIFHeaders(t, res.Header, a.Token)

			res = ts.do(t, http.MethodHead, "/convert.gif?token="+a.Token)
			body, _ = readAll(res)
			if res.StatusCode != http.StatusOK || len(body) != 0 || res.ContentLength != int64(len(conv.whole())) {
				t.Errorf("HEAD: status %d, body %d bytes, Content-Length %d", res.StatusCode, len(body), res.ContentLength)
			}
			res = ts.get(t, "/convert.gif?token="+a.Token, "If-None-Match", etag)
			body, _ = readAll(res)
			if res.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("If-None-Match: status %d, body %d bytes", res.StatusCode, len(body))
			}
			if n := conv.calls.Load(); n != 1 {
				t.Errorf("%d conversions, want 1", n)
			}
		})
	}
}

func checkGIFHeaders(t *testing.T, h http.Header, token string) {
	t.Helper()
	if h.Get("Content-Type") != "image/gif" {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	if want := `inline; filename="cover-` + token[:8] + `.gif"`; h.Get("Content-Disposition") != want {
		t.Errorf("Content-Disposition %q, want %q", h.Get("Content-Disposition"), want)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", h.Get("X-Content-Type-Options"))
	}
}

// waitIdle waits for the service's jobs to end (they store the result before they do).
func waitIdle(t *testing.T, ts *testService) {
	t.Helper()
	ts.jobs.mu.Lock()
	var done []<-chan struct{}
	for _, res := range ts.jobs.jobs {
		done = append(done, res.Done())
	}
	ts.jobs.mu.Unlock()
	for _, d := range done {
		<-d
	}
	// A job leaves the map right after its Result ends.
	for ts.jobs.running() > 0 {
		runtime.Gosched()
	}
}

func TestConvertErrors(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			store := sk.make(t, cfg)
			conv := newGatedConverter(t, 2)
			conv.open()
			ts := startService(t, cfg, store, conv.convert)
			a := ts.token(t, "https://origin.test/ok.mp4")
			cases := []struct {
				name string
				path string
				want int
			}{
				{"missing token", "/convert.gif", http.StatusBadRequest},
				{"empty token", "/convert.gif?token=", http.StatusBadRequest},
				{"unknown token", "/convert.gif?token=nope", http.StatusNotFound},
				{"other extension", "/convert.png?token=" + a.Token, http.StatusBadRequest},
				{"no such endpoint", "/nothing", http.StatusNotFound},
			}
			for _, c := range cases {
				res := ts.get(t, c.path)
				body, _ := readAll(res)
				if res.StatusCode != c.want {
					t.Errorf("%s: status %d, want %d: %s", c.name, res.StatusCode, c.want, body)
					continue
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: no nosniff", c.name)
				}
				checkErrorBody(t, c.name, body, c.want)
			}
		})
	}
}

func TestConversionFailureStatus(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("%w: HEVC only", codec.ErrUnsupported), http.StatusUnsupportedMediaType},
		{fmt.Errorf("%w: truncated", codec.ErrInvalid), http.StatusUnsupportedMediaType},
		{fmt.Errorf("%w: status 500", codec.ErrOrigin), http.StatusBadGateway},
		{fmt.Errorf("%w: no answer", codec.ErrTimeout), http.StatusGatewayTimeout},
		{fmt.Errorf("%w: %w: redirect to evil.test", codec.ErrForbidden, codec.ErrOrigin), http.StatusForbidden},
		{errors.New("cgo pointer 0xc000"), http.StatusInternalServerError},
	}
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			store := sk.make(t, cfg)
			for i, c := range cases {
				conv := newGatedConverter(t, 2)
				conv.failNow = c.err
				conv.open()
				ts := startService(t, cfg, store, conv.convert)
				a := ts.token(t, fmt.Sprintf("https://origin.test/fail-%d.mp4", i))
				res := ts.get(t, "/convert.gif?token="+a.Token)
				body, _ := readAll(res)
				if res.StatusCode != c.want {
					t.Errorf("%v: status %d, want %d: %s", c.err, res.StatusCode, c.want, body)
					continue
				}
				checkErrorBody(t, c.err.Error(), body, c.want)
				if c.want == http.StatusInternalServerError && bytes.Contains(body, []byte("0xc000")) {
					t.Errorf("internal error leaked: %s", body)
				}
				// A failure is not cached: the next request converts again.
				waitIdle(t, ts)
				if _, err := store.Result(t.Context(), ts.resultID(a.Key)); !errors.Is(err, ErrNotFound) {
					t.Errorf("%v: failed result stored (%v)", c.err, err)
				}
			}
		})
	}
}

func TestFailureAfterFirstByteAborts(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			store := sk.make(t, cfg)
			conv := newGatedConverter(t, 4)
			conv.fail = fmt.Errorf("%w: corrupt slice", codec.ErrInvalid)
			ts := startService(t, cfg, store, conv.convert)
			a := ts.token(t, "https://origin.test/breaks.mp4")
			res := ts.get(t, "/convert.gif?token="+a.Token)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			first := make([]byte, len(conv.pieces[0]))
			if _, err := io.ReadFull(res.Body, first); err != nil {
				t.Fatal(err)
			}
			conv.open()
			_, err := readAll(res)
			if err == nil {
				t.Fatal("the body ended cleanly after the conversion failed; want an aborted stream")
			}
			waitIdle(t, ts)
			if _, err := store.Result(t.Context(), ts.resultID(a.Key)); !errors.Is(err, ErrNotFound) {
				t.Errorf("failed result stored (%v)", err)
			}
		})
	}
}

// Twenty readers of one new token share one conversion; each gets its first bytes while the
// conversion still runs (the converter waits until all have them), and all get the same GIF.
func TestConcurrentReadersShareOneConversion(t *testing.T) {
	const readers = 20
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			conv := newGatedConverter(t, 6)
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)
			a := ts.token(t, "https://origin.test/popular.mp4")

			var firstBytes, done sync.WaitGroup
			bodies := make([][]byte, readers)
			errs := make([]error, readers)
			firstBytes.Add(readers)
			for i := range readers {
				done.Go(func() {
					res, err := http.Get(ts.http.URL + "/convert.gif?token=" + a.Token)
					if err != nil {
						errs[i] = err
						firstBytes.Done()
						return
					}
					first := make([]byte, len(conv.pieces[0]))
					_, err = io.ReadFull(res.Body, first)
					firstBytes.Done()
					if err != nil {
						errs[i] = err
						res.Body.Close()
						return
					}
					rest, err := readAll(res)
					bodies[i], errs[i] = append(first, rest...), err
				})
			}
			firstBytes.Wait()
			conv.open() // every reader got bytes before the conversion could end
			done.Wait()
			for i := range readers {
				if errs[i] != nil {
					t.Fatalf("reader %d: %v", i, errs[i])
				}
				if !bytes.Equal(bodies[i], conv.whole()) {
					t.Fatalf("reader %d: %d bytes, want the GIF's %d", i, len(bodies[i]), len(conv.whole()))
				}
			}
			if n := conv.calls.Load(); n != 1 {
				t.Errorf("%d conversions, want 1", n)
			}
			m := scrapeMetrics(t, ts, "", "")
			if got := metricValue(m, "conversions_total", "result", "success"); got != 1 {
				t.Errorf("conversions_total{result=success} = %v, want 1", got)
			}
			// The token started the conversion (a miss); every /convert joined it.
			if got := metricValue(m, "cache_requests_total", "result", "joined"); got != readers {
				t.Errorf("cache_requests_total{result=joined} = %v, want %d", got, readers)
			}
		})
	}
}

func TestQueueFull(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t, "CONVERSION_JOB_CONCURRENCY=1", "CONVERSION_QUEUE_SIZE=1")
			conv := newGatedConverter(t, 2)
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)
			defer conv.open()
			ts.token(t, "https://origin.test/one.mp4") // runs
			<-conv.started
			ts.token(t, "https://origin.test/two.mp4") // waits
			req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/token?ifm=mp4&ofm=gif&url="+url.QueryEscape("https://origin.test/three.mp4"), nil)
			req.SetBasicAuth(testUser, testPassword)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := readAll(res)
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503: %s", res.StatusCode, body)
			}
			if res.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			checkErrorBody(t, "queue full", body, http.StatusServiceUnavailable)
			// Joining a running conversion needs no queue place.
			ts.token(t, "https://origin.test/one.mp4")
		})
	}
}

func TestHealth(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			ts := startService(t, cfg, sk.make(t, cfg), newGatedConverter(t, 1).convert)
			for _, p := range []string{"/healthz", "/readyz"} {
				res := ts.get(t, p)
				_, _ = readAll(res)
				if res.StatusCode != http.StatusOK || res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: status %d", p, res.StatusCode)
				}
			}
		})
	}
}
