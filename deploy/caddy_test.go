package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// caddyEnv is the environment Caddy gets from compose, plus a private HOME and XDG folders so
// that a test run never touches the machine's own Caddy state.
func caddyEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CONFIG_HOME=" + home}
	return append(env, extra...)
}

func caddy(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, needCommand(t, "caddy"), args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestCaddyfileValidates: Caddy accepts the Caddyfile in both set-ups of .env: a domain
// (automatic HTTPS on 443) and the default :80 behind another TLS terminator; and the streaming
// proxy does not buffer.
func TestCaddyfileValidates(t *testing.T) {
	hash := exampleEnv(t)["METRICS_AUTH_PASSWORD_BCRYPT"]
	// Caddy warns at every start about a Caddyfile that `caddy fmt` would change.
	if formatted := caddy(t, caddyEnv(t), "fmt", repoFile(t, "Caddyfile")); string(formatted) != readRepoFile(t, "Caddyfile") {
		t.Errorf("Caddyfile is not as `caddy fmt` formats it")
	}
	for _, tc := range []struct {
		name, siteAddress, listen string
	}{
		{"behind a TLS terminator", "", ":80"},
		{"own domain", "api.example.com", ":443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := caddyEnv(t, "METRICS_AUTH_USERNAME=metrics", "METRICS_AUTH_PASSWORD_BCRYPT="+hash)
			if tc.siteAddress != "" {
				env = append(env, "SITE_ADDRESS="+tc.siteAddress)
			}
			caddy(t, env, "validate", "--adapter", "caddyfile", "--config", repoFile(t, "Caddyfile"))

			var cfg struct {
				Apps struct {
					HTTP struct {
						Servers map[string]struct {
							Listen []string `json:"listen"`
						} `json:"servers"`
					} `json:"http"`
				} `json:"apps"`
			}
			adapted := caddy(t, env, "adapt", "--adapter", "caddyfile", "--config", repoFile(t, "Caddyfile"))
			if err := json.Unmarshal(adapted, &cfg); err != nil {
				t.Fatal(err)
			}
			var listens []string
			for _, s := range cfg.Apps.HTTP.Servers {
				listens = append(listens, s.Listen...)
			}
			if len(listens) != 1 || listens[0] != tc.listen {
				t.Errorf("Caddy listens on %v, want [%s]", listens, tc.listen)
			}
			if !strings.Contains(string(adapted), `"flush_interval":-1`) {
				t.Errorf("no reverse_proxy with flush_interval -1: /convert's stream would be buffered")
			}
		})
	}
}

// stack is what compose runs, started on loopback by startStack.
type stack struct {
	caddy, video     string // base URLs: through Caddy, and the service directly
	source           string // base URL of the fixture server (the "origin")
	exporterPaths    func() []string
	release          func() // lets held source responses finish
	user, password   string // metrics account
	tokenUser, token string // /token account
}

// startStack runs redis-server with redis.conf, the service (the image's binary) on Redis,
// and Caddy with the Caddyfile in front, as docker-compose.yaml wires them. The exporter's
// image cannot be run here, so a small HTTP server stands in for it to show where Caddy sends
// /metrics/cache (this checks Caddy's routing, not the exporter). A second small server plays
// the origin of the covers: it serves testdata/media, and with ?hold=1 sends the first three
// quarters of the file and the rest only after release, so that a test can look at a stream in
// flight (the GIF's first bytes wait for the encoder's palette window, about 1.3 s of the 3 s
// fixture).
func startStack(t *testing.T, ctx context.Context) *stack {
	t.Helper()
	needCommand(t, "caddy")
	redisServer := needCommand(t, "redis-server")
	bin := serverBinary(t)

	st := &stack{user: "metrics", password: "scrape-secret", tokenUser: "test", token: "test-password"}
	// Cost 4 keeps the test fast; Caddy and the service accept any bcrypt cost.
	hashBytes, err := bcrypt.GenerateFromPassword([]byte(st.password), 4)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(hashBytes)

	held := make(chan struct{})
	var releaseOnce sync.Once
	st.release = func() { releaseOnce.Do(func() { close(held) }) }
	media := http.FileServer(http.Dir(repoFile(t, "testdata/media")))
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") == "" {
			media.ServeHTTP(w, r)
			return
		}
		b, err := os.ReadFile(repoFile(t, filepath.Join("testdata/media", filepath.Base(r.URL.Path))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b[:len(b)*3/4])
		w.(http.Flusher).Flush()
		select {
		case <-held:
			w.Write(b[len(b)*3/4:])
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(origin.Close)
	// Cleanups run last-in first-out: held responses are let go before Close waits for them.
	t.Cleanup(st.release)
	st.source = origin.URL

	redisPort := freePort(t)
	redis := start(t, "redis-server", exec.CommandContext(ctx, redisServer, repoFile(t, "redis.conf"),
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1"))

	videoAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	caddyAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	st.video, st.caddy = "http://"+videoAddr, "http://"+caddyAddr
	serve := exec.CommandContext(ctx, bin, "serve")
	serve.Dir = t.TempDir() // no stray .env
	serve.Env = []string{
		"LISTEN_ADDR=" + videoAddr,
		"REDIS_URL=redis://127.0.0.1:" + strconv.Itoa(redisPort) + "/0",
		"SERVER_BASE_URL=" + st.caddy,
		"TOKEN_AUTH_USERNAME=" + st.tokenUser,
		"TOKEN_AUTH_PASSWORD=" + st.token,
		"METRICS_AUTH_USERNAME=" + st.user,
		"METRICS_AUTH_PASSWORD_BCRYPT=" + hash,
		// The origin is this test's server on loopback.
		"SOURCE_HOSTNAME_WHITELIST=127.0.0.1",
		"ALLOW_PRIVATE_SOURCES=1",
	}
	video := start(t, "server serve", serve)
	select {
	case <-video.done:
		if notBuiltYet([]byte(video.out.String())) {
			t.Skip("cmd/server/serve.go is still the \"not built yet\" placeholder")
		}
		t.Fatalf("server serve exited at once:\n%s", video.out.String())
	case <-redis.done:
		t.Fatalf("redis-server exited:\n%s", redis.out.String())
	case <-time.After(200 * time.Millisecond):
	}
	waitHTTP(t, video, st.video+"/healthz", 200, 20*time.Second)

	var exporterMu sync.Mutex
	var exporterPaths []string
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exporterMu.Lock()
		exporterPaths = append(exporterPaths, r.URL.Path)
		exporterMu.Unlock()
		io.WriteString(w, "redis_up 1\n")
	}))
	t.Cleanup(exporter.Close)
	st.exporterPaths = func() []string {
		exporterMu.Lock()
		defer exporterMu.Unlock()
		return slices.Clone(exporterPaths)
	}

	caddyCmd := exec.CommandContext(ctx, "caddy", "run", "--adapter", "caddyfile", "--config", repoFile(t, "Caddyfile"))
	caddyCmd.Env = caddyEnv(t,
		"SITE_ADDRESS="+st.caddy,
		"VIDEO_UPSTREAM="+videoAddr,
		"REDIS_METRICS_UPSTREAM="+strings.TrimPrefix(exporter.URL, "http://"),
		"CADDY_ADMIN=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"METRICS_AUTH_USERNAME="+st.user,
		"METRICS_AUTH_PASSWORD_BCRYPT="+hash,
	)
	proxy := start(t, "caddy", caddyCmd)
	waitHTTP(t, proxy, st.caddy+"/healthz", 200, 20*time.Second)
	return st
}

func get(t *testing.T, ctx context.Context, url, user, password string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// TestCaddyStack: through Caddy, the metrics paths are behind the metrics account (401
// without it), bare /metrics is 403 with or without it, the rest reaches the service.
func TestCaddyStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	st := startStack(t, ctx)
	user, password := st.user, st.password

	for _, tc := range []struct {
		path, user, password string
		want                 int
	}{
		{"/healthz", "", "", 200},
		{"/readyz", "", "", 200}, // the service reaches redis-server running redis.conf
		{"/metrics/video", "", "", 401},
		{"/metrics/video", user, "wrong", 401},
		{"/metrics/video", "someone", password, 401},
		{"/metrics/video", user, password, 200},
		{"/metrics/cache", "", "", 401},
		{"/metrics/cache", user, password, 200},
		{"/metrics", "", "", 403},
		{"/metrics", user, password, 403},
		{"/metrics/", user, password, 403},
		{"/metrics/other", user, password, 403},
	} {
		resp, body := get(t, ctx, st.caddy+tc.path, tc.user, tc.password)
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s (user %q): %d, want %d: %.200s", tc.path, tc.user, resp.StatusCode, tc.want, body)
			continue
		}
		if tc.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("GET %s: 401 without a Basic challenge", tc.path)
		}
	}

	// The service's own metrics, in Prometheus' text format, through the rewrite to /metrics.
	resp, body := get(t, ctx, st.caddy+"/metrics/video", user, password)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics/video: Content-Type %q, want Prometheus text (text/plain)", ct)
	}
	for _, want := range []string{"# TYPE go_goroutines gauge", "# HELP "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics/video does not contain %q:\n%.500s", want, body)
		}
	}

	paths := st.exporterPaths()
	for _, p := range paths {
		if p != "/metrics" {
			t.Errorf("/metrics/cache reached the exporter as %q, want /metrics", p)
		}
	}
	if len(paths) != 1 {
		t.Errorf("the exporter got %d requests, want 1 (the authenticated one)", len(paths))
	}
}

// TestCaddyStreamsConversion: a cover converted through the whole stack. While the origin
// still holds back part of the source, the GIF's first bytes already reach the client through
// Caddy (flush_interval -1), as they do straight from the service; the finished GIF is whole,
// and the next request is answered from Redis with Content-Length and ETag.
func TestCaddyStreamsConversion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	st := startStack(t, ctx)
	const fixture = "/high-bframes-320x320-30fps.mp4" // moov first: decodable from the start

	token := func(base, source string) string {
		t.Helper()
		u := base + "/token?ifm=mp4&ofm=gif&url=" + url.QueryEscape(source)
		resp, body := get(t, ctx, u, st.tokenUser, st.token)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /token via %s: %d %s", base, resp.StatusCode, body)
		}
		var answer struct {
			URL   string `json:"url"`
			Token string `json:"token"`
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil || answer.Token == "" {
			t.Fatalf("/token answered %q: %v", body, err)
		}
		return answer.Token
	}
	// firstBytes starts a /convert.gif and reports whether its first bytes came within d; the
	// rest of the body is read by the returned function.
	firstBytes := func(base, tok string, d time.Duration) (bool, func() []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/convert.gif?token="+tok, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET /convert.gif via %s: %v", base, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET /convert.gif via %s: %d %s", base, resp.StatusCode, b)
		}
		got := make(chan []byte, 1)
		go func() {
			b := make([]byte, 6)
			n, _ := io.ReadFull(resp.Body, b)
			got <- b[:n]
		}()
		var head []byte
		arrived := false
		select {
		case head = <-got:
			arrived = len(head) == 6
		case <-time.After(d):
		}
		return arrived, func() []byte {
			if !arrived {
				head = <-got
			}
			rest, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading /convert.gif via %s: %v", base, err)
			}
			return append(head, rest...)
		}
	}

	direct, directRest := firstBytes(st.video, token(st.video, st.source+fixture+"?hold=1&via=service"), 15*time.Second)
	viaCaddy, caddyRest := firstBytes(st.caddy, token(st.caddy, st.source+fixture+"?hold=1&via=caddy"), 15*time.Second)
	switch {
	case direct && !viaCaddy:
		t.Errorf("the service streams the GIF before its source is complete, but nothing came through Caddy: Caddy buffers /convert")
	case !direct:
		t.Logf("the service sends nothing before its source is complete, so Caddy's buffering cannot be told apart here (flush_interval -1 is checked in TestCaddyfileValidates)")
	}
	st.release()

	for name, gif := range map[string][]byte{"service": directRest(), "caddy": caddyRest()} {
		if !bytes.HasPrefix(gif, []byte("GIF89a")) || !bytes.HasSuffix(gif, []byte{0x3b}) {
			t.Errorf("GIF via %s: %d bytes, not a complete GIF (head %q)", name, len(gif), gif[:min(len(gif), 6)])
		}
	}

	// A finished result comes from the cache (Redis), whole, with Content-Length and ETag.
	tok := token(st.caddy, st.source+fixture+"?hold=1&via=caddy")
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := get(t, ctx, st.caddy+"/convert.gif?token="+tok, "", "")
		if resp.StatusCode == 200 && resp.ContentLength == int64(len(body)) && resp.Header.Get("ETag") != "" {
			if !strings.HasPrefix(body, "GIF89a") {
				t.Errorf("cached GIF via Caddy does not start with GIF89a")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cached answer via Caddy within 10 s: %d, Content-Length %d, ETag %q",
				resp.StatusCode, resp.ContentLength, resp.Header.Get("ETag"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
