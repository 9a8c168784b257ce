package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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

// TestCaddyStack runs what compose runs, on loopback: redis-server with redis.conf, the
// service (the image's binary) on Redis, Caddy with the Caddyfile in front. The exporter's
// image cannot be run here, so a small HTTP server stands in for it to show where Caddy sends
// /metrics/cache; it checks Caddy's routing, not the exporter.
func TestCaddyStack(t *testing.T) {
	needCommand(t, "caddy")
	redisServer := needCommand(t, "redis-server")
	bin := serverBinary(t)

	const user, password = "metrics", "scrape-secret"
	// Cost 4 keeps the test fast; Caddy and the service accept any bcrypt cost.
	hashBytes, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	hash := string(hashBytes)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	redisPort := freePort(t)
	redis := start(t, "redis-server", exec.CommandContext(ctx, redisServer, repoFile(t, "redis.conf"),
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1"))

	videoAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	serve := exec.CommandContext(ctx, bin, "serve")
	serve.Dir = t.TempDir() // no stray .env
	serve.Env = []string{
		"LISTEN_ADDR=" + videoAddr,
		"REDIS_URL=redis://127.0.0.1:" + strconv.Itoa(redisPort) + "/0",
		"SERVER_BASE_URL=http://" + videoAddr,
		"TOKEN_AUTH_USERNAME=test",
		"TOKEN_AUTH_PASSWORD=test-password",
		"METRICS_AUTH_USERNAME=" + user,
		"METRICS_AUTH_PASSWORD_BCRYPT=" + hash,
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
	waitHTTP(t, video, "http://"+videoAddr+"/healthz", 200, 20*time.Second)

	var exporterMu sync.Mutex
	var exporterPaths []string
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exporterMu.Lock()
		exporterPaths = append(exporterPaths, r.URL.Path)
		exporterMu.Unlock()
		io.WriteString(w, "redis_up 1\n")
	}))
	t.Cleanup(exporter.Close)

	caddyAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	caddyCmd := exec.CommandContext(ctx, "caddy", "run", "--adapter", "caddyfile", "--config", repoFile(t, "Caddyfile"))
	caddyCmd.Env = caddyEnv(t,
		"SITE_ADDRESS=http://"+caddyAddr,
		"VIDEO_UPSTREAM="+videoAddr,
		"REDIS_METRICS_UPSTREAM="+strings.TrimPrefix(exporter.URL, "http://"),
		"CADDY_ADMIN=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"METRICS_AUTH_USERNAME="+user,
		"METRICS_AUTH_PASSWORD_BCRYPT="+hash,
	)
	proxy := start(t, "caddy", caddyCmd)
	base := "http://" + caddyAddr
	waitHTTP(t, proxy, base+"/healthz", 200, 20*time.Second)

	get := func(path, user, password string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

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
		resp, body := get(tc.path, tc.user, tc.password)
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s (user %q): %d, want %d: %.200s", tc.path, tc.user, resp.StatusCode, tc.want, body)
			continue
		}
		if tc.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("GET %s: 401 without a Basic challenge", tc.path)
		}
	}

	// The service's own metrics, in Prometheus' text format, through the rewrite to /metrics.
	resp, body := get("/metrics/video", user, password)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics/video: Content-Type %q, want Prometheus text (text/plain)", ct)
	}
	for _, want := range []string{"# TYPE go_goroutines gauge", "# HELP "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics/video does not contain %q:\n%.500s", want, body)
		}
	}

	exporterMu.Lock()
	defer exporterMu.Unlock()
	for _, p := range exporterPaths {
		if p != "/metrics" {
			t.Errorf("/metrics/cache reached the exporter as %q, want /metrics", p)
		}
	}
	if len(exporterPaths) != 1 {
		t.Errorf("the exporter got %d requests, want 1 (the authenticated one)", len(exporterPaths))
	}
}
