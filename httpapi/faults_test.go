package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/gif"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// boundedClient fails a request that hangs: the service must answer, not wait for Redis.
var boundedClient = &http.Client{Timeout: 20 * time.Second}

func boundedGet(t *testing.T, ts *testService, path string, auth bool) (int, []byte, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+path, nil)
	if auth {
		req.SetBasicAuth(testUser, testPassword)
	}
	start := time.Now()
	res, err := boundedClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v (the service hung or closed the connection)", path, err)
	}
	body, _ := readAll(res)
	return res.StatusCode, body, time.Since(start)
}

// Redis killed under a running service: /readyz says not ready, /token and /convert answer
// 503 JSON errors (with Retry-After) instead of hanging, and nothing crashes; once Redis is back
// (empty, as after a restart without persistence) the service recovers by itself.
func TestRedisKilledAndRestarted(t *testing.T) {
	redis := redistest.New(t)
	cfg := testConfig(t)
	conv := newGatedConverter(t, 3)
	conv.open()
	ts := startService(t, cfg, newTestRedisStore(t, redis.URL(), cfg), conv.convert)

	tok := ts.token(t, "https://origin.test/before.mp4")
	if code, body, _ := boundedGet(t, ts, "/convert.gif?token="+tok.Token, false); code != 200 || !bytes.Equal(body, conv.whole()) {
		t.Fatalf("before the fault: %d, %d bytes", code, len(body))
	}
	waitIdle(t, ts)

	redis.Kill()
	for _, c := range []struct {
		name, path string
		auth       bool
	}{
		{"readyz", "/readyz", false},
		{"token", "/token?ifm=mp4&ofm=gif&url=https%3A%2F%2Forigin.test%2Fduring.mp4", true},
		{"convert", "/convert.gif?token=" + tok.Token, false},
		{"healthz (alive)", "/healthz", false},
	} {
		code, body, took := boundedGet(t, ts, c.path, c.auth)
		want := http.StatusServiceUnavailable
		if c.name == "healthz (alive)" {
			want = http.StatusOK
		} else {
			checkErrorBody(t, c.name, body, want)
		}
		if code != want {
			t.Errorf("Redis down, %s: %d, want %d: %s", c.name, code, want, body)
		}
		t.Logf("Redis down, %s: %d in %v: %s", c.name, code, took.Round(time.Millisecond), bytes.TrimSpace(body))
	}
	waitIdle(t, ts) // the conversion /token started without its claim ends on its own

	redis.Start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, _ := boundedGet(t, ts, "/readyz", false)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 30 s after Redis came back", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tok = ts.token(t, "https://origin.test/after.mp4")
	if code, body, _ := boundedGet(t, ts, "/convert.gif?token="+tok.Token, false); code != 200 || !bytes.Equal(body, conv.whole()) {
		t.Fatalf("after Redis came back: %d, %d bytes", code, len(body))
	}
}

// faultyOrigin serves a real fixture correctly at /good/*, and fails in each way an origin on
// the internet does at the other paths. stalled requests are held until the test ends.
func faultyOrigin(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../testdata/media/high-bframes-320x320-30fps.mp4")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	mux := http.NewServeMux()
	// Small enough to arrive in one read buffer: the short request timeout of the test must
	// not cut a good conversion that decodes slowly (under -race).
	small, err := os.ReadFile("../testdata/media/high-bframes-128x128-30fps.mp4")
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/good/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "cover.mp4", time.Time{}, bytes.NewReader(small))
	})
	mux.HandleFunc("/error500.mp4", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	reset := func(w http.ResponseWriter, sendFirst int) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if sendFirst > 0 {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: %d\r\n\r\n", len(data))
			_, _ = buf.Write(data[:sendFirst])
			_ = buf.Flush()
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close sends RST
		_ = conn.Close()
	}
	mux.HandleFunc("/reset.mp4", func(w http.ResponseWriter, r *http.Request) { reset(w, 0) })
	mux.HandleFunc("/reset-midway.mp4", func(w http.ResponseWriter, r *http.Request) { reset(w, len(data)/2) })
	truncated := func(w http.ResponseWriter, n int) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:n])
		// Returning with fewer bytes than Content-Length: net/http closes the connection.
	}
	mux.HandleFunc("/truncated-head.mp4", func(w http.ResponseWriter, r *http.Request) { truncated(w, 2000) })
	mux.HandleFunc("/truncated-half.mp4", func(w http.ResponseWriter, r *http.Request) { truncated(w, len(data)/2) })
	mux.HandleFunc("/stall.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:4096])
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/stall-headers.mp4", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv, _ := startOrigin(t, mux)
	// Registered after startOrigin's Close, so it runs first: Close waits for the stalled handlers.
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	return srv.URL
}

// Every way an origin fails gives a clean error status (or, once GIF bytes went out, an
// aborted response, never a clean end), nothing is cached, and every job slot comes back: with
// CONVERSION_JOB_CONCURRENCY=2, two good conversions run afterwards and the metrics show no
// conversion still running.
func TestOriginFaults(t *testing.T) {
	origin := faultyOrigin(t)
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t, "CONVERSION_JOB_CONCURRENCY=2", "CONVERSION_STREAM_HTTP_TIMEOUT=1500")
			store := sk.make(t, cfg)
			ts := startService(t, cfg, store, nil)
			for _, c := range []struct {
				path string
				want []int // a clean status, or 0 for "aborted after the first bytes"
			}{
				{"/error500.mp4", []int{502}},
				{"/reset.mp4", []int{502}},
				// A transfer cut short is the origin's failure, never a truncated source (415
				// or a shorter GIF): 502, or an aborted stream once GIF bytes went out.
				{"/reset-midway.mp4", []int{502, 0}},
				{"/truncated-head.mp4", []int{502}},
				{"/truncated-half.mp4", []int{502, 0}},
				{"/stall.mp4", []int{504}},
				{"/stall-headers.mp4", []int{504}},
			} {
				source := origin + c.path
				tok := ts.token(t, source)
				start := time.Now()
				res, err := boundedClient.Get(ts.http.URL + "/convert.gif?token=" + tok.Token)
				if err != nil {
					t.Fatalf("%s: %v", c.path, err)
				}
				body, rerr := readAll(res)
				got := res.StatusCode
				if got == http.StatusOK && rerr != nil {
					got = 0 // aborted: the client saw no clean end
				}
				ok := false
				for _, w := range c.want {
					ok = ok || got == w
				}
				if !ok {
					t.Errorf("%s: status %d (read: %v), want one of %v: %.200q", c.path, res.StatusCode, rerr, c.want, body)
				}
				if got != 0 {
					checkErrorBody(t, c.path, body, got)
				}
				t.Logf("%-22s -> %d in %v: %.120s", c.path, got, time.Since(start).Round(time.Millisecond), bytes.TrimSpace(body))
				waitIdle(t, ts)
				id := ts.resultID(Key{URL: source, OFM: "gif"})
				if _, err := store.Result(context.Background(), id); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: a result is cached after the failure (%v)", c.path, err)
				}
			}
			if n := gaugeValue(t, ts.metrics.conversionsRunning); n != 0 {
				t.Errorf("conversions_in_progress = %v after the faults, want 0", n)
			}
			// As many good conversions as there are slots, at once: each slot came back.
			var wg sync.WaitGroup
			for i := range cfg.JobConcurrency {
				tok := ts.token(t, fmt.Sprintf("%s/good/%d.mp4", origin, i))
				wg.Go(func() {
					res, err := boundedClient.Get(ts.http.URL + "/convert.gif?token=" + tok.Token)
					if err != nil {
						t.Errorf("good %d: %v", i, err)
						return
					}
					body, err := readAll(res)
					if _, gerr := gif.DecodeAll(bytes.NewReader(body)); res.StatusCode != 200 || err != nil || gerr != nil {
						t.Errorf("good %d after the faults: %d, %v, %v", i, res.StatusCode, err, gerr)
					}
				})
			}
			wg.Wait()
		})
	}
}

func gaugeValue(t *testing.T, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
