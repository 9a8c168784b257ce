package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/fetch"
	"github.com/musicpresence/animated-album-covers/httpapi/client"
	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// testdataOrigin serves the repository's fixtures over loopback HTTP, counting connections.
func testdataOrigin(t *testing.T) (*httptest.Server, *countingListener) {
	return startOrigin(t, http.FileServer(http.Dir("../testdata")))
}

func newClient(ts *testService) *client.Client {
	return &client.Client{Instances: []string{ts.http.URL}, Username: testUser, Password: testPassword}
}

// The real pipeline, through the client, on the fixtures: a progressive MP4 and an HLS master.
func TestEndToEndWithPipeline(t *testing.T) {
	origin, _ := testdataOrigin(t)
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			ts := startService(t, cfg, sk.make(t, cfg), nil)
			c := newClient(ts)
			for _, src := range []struct{ path, ifm string }{
				{"/media/baseline-160x160-60fps.mp4", "mp4"},
				{"/hls/master.m3u8", "m3u8"},
				{"/media/main-250x142-24fps.mp4", "auto"},
			} {
				tok, err := c.Token(t.Context(), origin.URL+src.path, src.ifm)
				if err != nil {
					t.Fatalf("%s: %v", src.path, err)
				}
				body, err := c.Convert(t.Context(), tok.URL)
				if err != nil {
					t.Fatalf("%s: %v", src.path, err)
				}
				data, err := io.ReadAll(body)
				body.Close()
				if err != nil {
					t.Fatalf("%s: %v", src.path, err)
				}
				g, err := gif.DecodeAll(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%s: not a GIF: %v", src.path, err)
				}
				b := g.Image[0].Bounds()
				if len(g.Image) < 2 || max(g.Config.Width, g.Config.Height) != 80 || b.Dx() > 80 || b.Dy() > 80 {
					t.Errorf("%s: %d frames of %dx%d, want an animation fitting 80x80", src.path, len(g.Image), g.Config.Width, g.Config.Height)
				}
				t.Logf("%s: %d frames, %dx%d, %d bytes", src.path, len(g.Image), g.Config.Width, g.Config.Height, len(data))
			}
		})
	}
}

// Sources the policy forbids are refused with 403, and nothing connects to the forbidden
// address: checked by counting the connections its listener accepts.
func TestSourcePolicyRefuses(t *testing.T) {
	forbidden, forbiddenConns := testdataOrigin(t)
	forbiddenPort := forbidden.Listener.Addr().(interface{ String() string }).String()
	forbiddenPort = forbiddenPort[strings.LastIndex(forbiddenPort, ":")+1:]
	// "localhost" resolves to loopback, so the forbidden origin is reached by that name.
	forbiddenBase := "http://localhost:" + forbiddenPort

	mux := http.NewServeMux()
	mux.HandleFunc("/redirect.mp4", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, forbiddenBase+"/media/baseline-160x160-60fps.mp4", http.StatusFound)
	})
	mux.HandleFunc("/master.m3u8", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=330000,CODECS=\"avc1.64000d\",RESOLUTION=160x160\n%s/hls/video_sdr_160x160.m3u8\n", forbiddenBase)
	})
	allowed, _ := startOrigin(t, mux)

	cases := []struct {
		name   string
		env    []string
		source string
	}{
		{"redirect to a host not whitelisted", []string{"SOURCE_HOSTNAME_WHITELIST=127.0.0.1"}, allowed.URL + "/redirect.mp4"},
		{"playlist entry on a host not whitelisted", []string{"SOURCE_HOSTNAME_WHITELIST=127.0.0.1"}, allowed.URL + "/master.m3u8"},
		{"whitelisted name resolving to loopback", []string{"SOURCE_HOSTNAME_WHITELIST=localhost", "ALLOW_PRIVATE_SOURCES=0"},
			forbiddenBase + "/media/baseline-160x160-60fps.mp4"},
		{"whitelisted address on loopback", []string{"SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "ALLOW_PRIVATE_SOURCES=0"},
			"http://127.0.0.1:" + forbiddenPort + "/media/baseline-160x160-60fps.mp4"},
	}
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			for _, c := range cases {
				cfg := testConfig(t, c.env...)
				ts := startService(t, cfg, sk.make(t, cfg), nil)
				before := forbiddenConns.n.Load()
				tok, err := newClient(ts).Token(t.Context(), c.source, "auto")
				if err != nil {
					t.Fatalf("%s: token: %v", c.name, err)
				}
				_, err = newClient(ts).Convert(t.Context(), tok.URL)
				var se *client.StatusError
				if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
					t.Errorf("%s: %v, want 403", c.name, err)
				} else {
					t.Logf("%s: %s", c.name, se.Message)
				}
				if n := forbiddenConns.n.Load() - before; n != 0 {
					t.Errorf("%s: %d connections reached the forbidden origin", c.name, n)
				}
			}
		})
	}
}

// A redirect chain is cut at fetch.MaxRedirects, the one limit, and the source policy checks
// each URL of it once per conversion: the origin sees fetch.MaxRedirects requests a conversion
// (the first, then each redirect followed), the host check as many URLs, and the client a 502
// that names the limit. A failure is not cached, so the conversion /token starts and the one
// /convert starts after it ended are two: the test waits for the first, so that /convert never
// joins it by chance of timing.
func TestRedirectLimit(t *testing.T) {
	var hops atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		http.Redirect(w, r, "/hop/"+strconv.Itoa(n+1), http.StatusFound)
	})
	origin, _ := startOrigin(t, mux)
	var mu sync.Mutex
	var checked []string
	convert := func(ctx context.Context, input string, opts pipeline.Options, w io.Writer) (pipeline.Stats, error) {
		check := opts.Source.Fetch.CheckURL
		opts.Source.Fetch.CheckURL = func(ctx context.Context, u *url.URL) error {
			mu.Lock()
			checked = append(checked, u.Path)
			mu.Unlock()
			return check(ctx, u)
		}
		return pipeline.Convert(ctx, input, opts, w)
	}
	cfg := testConfig(t)
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), convert)
	tok, err := newClient(ts).Token(t.Context(), origin.URL+"/hop/0", "mp4")
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, ts)
	_, err = newClient(ts).Convert(t.Context(), tok.URL)
	var se *client.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadGateway || !strings.Contains(se.Message, fmt.Sprintf("more than %d redirects", fetch.MaxRedirects)) {
		t.Fatalf("%v, want a 502 naming the limit of %d redirects", err, fetch.MaxRedirects)
	}
	waitIdle(t, ts)
	var want []string
	for range 2 { // the conversion /token started, then the one /convert started
		for i := range fetch.MaxRedirects {
			want = append(want, "/hop/"+strconv.Itoa(i))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n := hops.Load(); int(n) != len(want) || !slices.Equal(checked, want) {
		t.Errorf("origin saw %d requests, the host check %q; want %d, %q", n, checked, len(want), want)
	}
}

func TestExpiredToken(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t, "TOKEN_TTL=1", "TOKEN_TTL_RESOLUTION=1")
			conv := newGatedConverter(t, 2)
			conv.open()
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)
			a := ts.token(t, "https://origin.test/short.mp4")
			// A token of 1 ms: wait until the store lets it go (a readiness wait, bounded).
			deadline := time.Now().Add(5 * time.Second)
			for {
				res := ts.get(t, "/convert.gif?token="+a.Token)
				body, _ := readAll(res)
				if res.StatusCode == http.StatusNotFound {
					checkErrorBody(t, "expired", body, http.StatusNotFound)
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("token still answers %d", res.StatusCode)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// Two instances sharing one Redis convert a source once: the one that claims it converts and
// publishes; the other streams its output from Redis as it grows.
func TestTwoInstancesShareOneConversion(t *testing.T) {
	redisURL := redistest.Start(t)
	cfg := testConfig(t)
	convA, convB := newGatedConverter(t, 5), newGatedConverter(t, 5)
	a := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convA.convert)
	b := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convB.convert)

	const source = "https://origin.test/shared.mp4"
	tokA := a.token(t, source)
	<-convA.started // A holds the claim
	tokB := b.token(t, source)

	resB := b.get(t, "/convert.gif?token="+tokB.Token)
	if resB.StatusCode != http.StatusOK {
		t.Fatalf("B: status %d", resB.StatusCode)
	}
	first := make([]byte, len(convA.pieces[0]))
	if _, err := io.ReadFull(resB.Body, first); err != nil {
		t.Fatalf("B got no bytes while A converts: %v", err)
	}
	resA := a.get(t, "/convert.gif?token="+tokA.Token)
	convA.open()
	restB, errB := readAll(resB)
	bodyA, errA := readAll(resA)
	if errA != nil || errB != nil {
		t.Fatalf("A: %v, B: %v", errA, errB)
	}
	bodyB := append(first, restB...)
	if !bytes.Equal(bodyA, convA.whole()) || !bytes.Equal(bodyB, convA.whole()) {
		t.Fatalf("A %d bytes, B %d bytes, want both the GIF's %d", len(bodyA), len(bodyB), len(convA.whole()))
	}
	if ca, cb := convA.calls.Load(), convB.calls.Load(); ca+cb != 1 {
		t.Errorf("conversions: A %d, B %d; want 1 in all", ca, cb)
	}
	waitIdle(t, a)
	waitIdle(t, b)
	// Finished: both serve it from the shared cache.
	res := b.get(t, "/convert.gif?token="+tokB.Token)
	body, _ := readAll(res)
	if res.ContentLength != int64(len(convA.whole())) || !bytes.Equal(body, convA.whole()) {
		t.Errorf("B from the cache: Content-Length %d, %d bytes", res.ContentLength, len(body))
	}
	// Tokens are shared too: B serves A's token.
	res = b.get(t, "/convert.gif?token="+tokA.Token)
	_, _ = readAll(res)
	if res.StatusCode != http.StatusOK {
		t.Errorf("A's token on B: status %d", res.StatusCode)
	}
}

// A failure on the converting replica reaches the other's readers with its status.
func TestTwoInstancesShareFailure(t *testing.T) {
	redisURL := redistest.Start(t)
	cfg := testConfig(t)
	convA, convB := newGatedConverter(t, 3), newGatedConverter(t, 3)
	convA.failNow = fmt.Errorf("%w: HEVC only", codec.ErrUnsupported)
	convB.failNow = fmt.Errorf("%w: B must not convert", codec.ErrOrigin)
	convB.open()
	a := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convA.convert)
	b := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convB.convert)
	a.token(t, "https://origin.test/hevc.mp4")
	<-convA.started // A holds the claim and waits at its gate
	tokB := b.token(t, "https://origin.test/hevc.mp4")
	waitFollowing(t, b)
	// B's reader must join the followed job before A fails: a failure is not kept, so a
	// later reader would start a new conversion.
	got := make(chan *http.Response, 1)
	go func() { got <- b.get(t, "/convert.gif?token="+tokB.Token) }()
	for counterValue(t, b.metrics.cacheRequests.WithLabelValues("joined")) < 1 {
		runtime.Gosched()
	}
	convA.open()
	res := <-got
	body, _ := readAll(res)
	if res.StatusCode != http.StatusUnsupportedMediaType || !bytes.Contains(body, []byte("HEVC only")) {
		t.Fatalf("B: status %d, want 415 with A's message: %s", res.StatusCode, body)
	}
	if n := convB.calls.Load(); n != 0 {
		t.Errorf("B converted %d times, want 0", n)
	}
}

// waitFollowing waits until ts has one job and it follows another replica's conversion (it
// gave up its queue place). A readiness wait on the job's state, not on time.
func waitFollowing(t *testing.T, ts *testService) {
	t.Helper()
	for {
		ts.jobs.mu.Lock()
		following := len(ts.jobs.jobs) == 1 && ts.jobs.pending == 0
		ts.jobs.mu.Unlock()
		if following {
			return
		}
		runtime.Gosched()
	}
}

// Two instances with the real pipeline, asked for one source at once: one conversion in all,
// as conversions_total of both says.
func TestTwoInstancesWithPipeline(t *testing.T) {
	origin, _ := testdataOrigin(t)
	redisURL := redistest.Start(t)
	cfg := testConfig(t)
	a := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), nil)
	b := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), nil)
	src := origin.URL + "/media/high-bframes-320x320-30fps.mp4"
	var wg sync.WaitGroup
	bodies := make([][]byte, 2)
	errs := make([]error, 2)
	for i, ts := range []*testService{a, b} {
		wg.Go(func() {
			c := newClient(ts)
			tok, err := c.Token(context.Background(), src, "mp4")
			if err != nil {
				errs[i] = err
				return
			}
			rc, err := c.Convert(context.Background(), tok.URL)
			if err != nil {
				errs[i] = err
				return
			}
			defer rc.Close()
			bodies[i], errs[i] = io.ReadAll(rc)
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
	}
	if !bytes.Equal(bodies[0], bodies[1]) || len(bodies[0]) == 0 {
		t.Fatalf("different GIFs: %d and %d bytes", len(bodies[0]), len(bodies[1]))
	}
	waitIdle(t, a)
	waitIdle(t, b)
	total := metricValue(scrapeMetrics(t, a, "", ""), "conversions_total", "result", "success") +
		metricValue(scrapeMetrics(t, b, "", ""), "conversions_total", "result", "success")
	if total != 1 {
		t.Errorf("conversions_total{result=success} over both instances = %v, want 1", total)
	}
}
