package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

const (
	testUser     = "music"
	testPassword = "presence"
)

// testConfig is a valid configuration for tests, changed by env (NAME=VALUE pairs).
func testConfig(t testing.TB, env ...string) Config {
	t.Helper()
	vars := map[string]string{
		"TOKEN_AUTH_USERNAME":        testUser,
		"TOKEN_AUTH_PASSWORD":        testPassword,
		"SOURCE_HOSTNAME_WHITELIST":  "origin.test,127.0.0.1,localhost",
		"ALLOW_PRIVATE_SOURCES":      "1",
		"CONVERSION_JOB_CONCURRENCY": "4",
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cfg, err := LoadConfig(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// testGIF makes a real animated GIF of n frames with image/gif, in pieces as an encoder writes
// them: the header and first frame, then one piece per frame, then the trailer.
func testGIF(t *testing.T, n int) (whole []byte, pieces [][]byte) {
	t.Helper()
	var frames []*image.Paletted
	var delays []int
	for i := range n {
		img := image.NewPaletted(image.Rect(0, 0, 16, 16), palette.Plan9)
		for y := range 16 {
			for x := range 16 {
				img.Set(x, y, color.RGBA{uint8(i * 40), uint8(x * 16), uint8(y * 16), 255})
			}
		}
		frames = append(frames, img)
		delays = append(delays, 4)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: frames, Delay: delays}); err != nil {
		t.Fatal(err)
	}
	whole = buf.Bytes()
	// Split in n+1 pieces of about equal size; where does not matter to the readers.
	step := len(whole)/(n+1) + 1
	for off := 0; off < len(whole); off += step {
		pieces = append(pieces, whole[off:min(off+step, len(whole))])
	}
	return whole, pieces
}

// gatedConverter writes its first piece at once, then waits for the gate to open before the
// rest, so that a test sees readers get bytes while the conversion still runs, without any
// timing. fail, when set, ends the conversion with that error after the first piece.
type gatedConverter struct {
	pieces  [][]byte
	gate    chan struct{} // closed to let conversions finish
	started chan string   // receives each conversion's input as it starts (buffered)
	calls   atomic.Int32
	fail    error // after the first piece, once the gate opens
	failNow error // before any byte, once the gate opens
}

func newGatedConverter(t *testing.T, frames int) *gatedConverter {
	_, pieces := testGIF(t, frames)
	return &gatedConverter{pieces: pieces, gate: make(chan struct{}), started: make(chan string, 64)}
}

func (c *gatedConverter) open() { close(c.gate) }

func (c *gatedConverter) convert(ctx context.Context, input string, _ pipeline.Options, w io.Writer) (pipeline.Stats, error) {
	c.calls.Add(1)
	c.started <- input
	var st pipeline.Stats
	if c.failNow != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return st, ctx.Err()
		}
		return st, c.failNow
	}
	for i, p := range c.pieces {
		if i == 1 {
			select {
			case <-c.gate:
			case <-ctx.Done():
				return st, ctx.Err()
			}
			if c.fail != nil {
				return st, c.fail
			}
		}
		if _, err := w.Write(p); err != nil {
			return st, err
		}
		st.OutputBytes += int64(len(p))
		st.Encoded++
		st.Decoded++
	}
	return st, nil
}

func (c *gatedConverter) whole() []byte { return bytes.Join(c.pieces, nil) }

// testService is a Server on a real loopback listener.
type testService struct {
	*Server
	http *httptest.Server
}

func startService(t *testing.T, cfg Config, store Store, convert Converter) *testService {
	t.Helper()
	return startServiceWith(t, cfg, Deps{Store: store, Convert: convert})
}

// startServiceWith starts a Server made with deps on a real loopback listener.
func startServiceWith(t *testing.T, cfg Config, deps Deps) *testService {
	t.Helper()
	srv, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config = srv.HTTPServer()
	ts.Config.Handler = srv.Handler()
	ts.Start()
	srv.cfg.BaseURL = ts.URL
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ts.Close()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testService{Server: srv, http: ts}
}

func (ts *testService) get(t *testing.T, path string, header ...string) *http.Response {
	t.Helper()
	return ts.do(t, http.MethodGet, path, header...)
}

func (ts *testService) do(t *testing.T, method, path string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// askToken GETs /token?query with the test credentials: the status and the body.
func (ts *testService) askToken(t *testing.T, query string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/token?"+query, nil)
	req.SetBasicAuth(testUser, testPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(res)
	return res.StatusCode, body
}

// token asks for a token for source and returns the answer.
func (ts *testService) token(t *testing.T, source string) tokenAnswer {
	t.Helper()
	status, body := ts.askToken(t, "ifm=mp4&ofm=gif&url="+url.QueryEscape(source))
	if status != http.StatusOK {
		t.Fatalf("token: status %d: %s", status, body)
	}
	var a tokenAnswer
	if err := jsonUnmarshal(body, &a); err != nil {
		t.Fatalf("token: %v: %s", err, body)
	}
	return a
}

// storeKinds are the stores every store-dependent test runs against.
var storeKinds = []struct {
	name string
	make func(t *testing.T, cfg Config) Store
}{
	{"memory", func(t *testing.T, cfg Config) Store { return store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes) }},
	{"redis", func(t *testing.T, cfg Config) Store { return newTestRedisStore(t, redistest.Start(t), cfg) }},
}

func newTestRedisStore(t *testing.T, redisURL string, cfg Config) *store.Redis {
	t.Helper()
	s, err := store.NewRedis(context.Background(), redisURL, cfg.ResultTTL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// countingListener counts the connections accepted on a listener.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// startOrigin serves files and handlers on a loopback listener that counts connections.
func startOrigin(t *testing.T, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	cl := &countingListener{Listener: s.Listener}
	s.Listener = cl
	s.Start()
	t.Cleanup(s.Close)
	return s, cl
}

// readAll reads a response body and tells whether it ended cleanly.
func readAll(res *http.Response) ([]byte, error) {
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
