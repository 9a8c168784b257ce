package deploy

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// contractDefaults is the configuration table of docs/API.md ("Configuration"), with the
// defaults the contract gives; "" where it has none. CONVERSION_JOB_CONCURRENCY's default is
// the CPU count, which .env.example must set explicitly (see compose_test.go).
var contractDefaults = map[string]string{
	"SERVER_BASE_URL":                "",
	"LISTEN_ADDR":                    ":8080",
	"SOURCE_HOSTNAME_WHITELIST":      "resources.tidal.com,mvod.itunes.apple.com",
	"ALLOW_PRIVATE_SOURCES":          "0",
	"TOKEN_AUTH_USERNAME":            "",
	"TOKEN_AUTH_PASSWORD":            "",
	"METRICS_AUTH_USERNAME":          "",
	"METRICS_AUTH_PASSWORD_BCRYPT":   "",
	"TOKEN_SIZE":                     "48",
	"TOKEN_TTL":                      "3600000",
	"TOKEN_TTL_RESOLUTION":           "60000",
	"CONVERSION_RESULT_TTL":          "3600000",
	"MAXIMUM_OUTPUT_SIZE":            "80",
	"MAXIMUM_OUTPUT_FRAMERATE":       "24",
	"CONVERSION_MAX_STREAM_DURATION": "30000",
	"CONVERSION_STREAM_BUFFER_SIZE":  "65536",
	"CONVERSION_STREAM_HTTP_TIMEOUT": "30000",
	"CONVERSION_MAX_SOURCE_BYTES":    "67108864",
	"CONVERSION_JOB_CONCURRENCY":     "",
	"CONVERSION_QUEUE_SIZE":          "64",
	"CONVERSION_THREADS":             "1",
	"REDIS_URL":                      "",
	"DEBUG":                          "0",
}

// TestEnvExample: every variable of the contract is in .env.example, in one of the three groups,
// with a comment line above it; those in "leave as is" carry the contract's default.
func TestEnvExample(t *testing.T) {
	groups := []string{"MUST CHANGE", "TUNE TO YOUR SERVER", "LEAVE AS IS"}
	groupOf := map[string]string{}
	group, prevComment := "", false
	for n, line := range strings.Split(readRepoFile(t, ".env.example"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#"):
			for _, g := range groups {
				if strings.HasPrefix(line, "# "+g) {
					group = g
				}
			}
			prevComment = len(strings.TrimLeft(line, "# -")) > 0
		case line == "":
			prevComment = false
		default:
			name, _, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf(".env.example:%d: %q is not NAME=VALUE", n+1, line)
			}
			if group == "" {
				t.Errorf(".env.example:%d: %s comes before the first group", n+1, name)
			}
			if !prevComment {
				t.Errorf(".env.example:%d: %s has no explanation above it", n+1, name)
			}
			groupOf[name] = group
			prevComment = false
		}
	}

	env := exampleEnv(t)
	for name, def := range contractDefaults {
		if _, ok := groupOf[name]; !ok {
			t.Errorf(".env.example lacks %s (docs/API.md's configuration table)", name)
			continue
		}
		if groupOf[name] == "LEAVE AS IS" && def != "" && env[name] != def {
			t.Errorf(".env.example: %s=%q under LEAVE AS IS, but the contract's default is %q", name, env[name], def)
		}
	}
	for _, name := range []string{"SITE_ADDRESS", "SERVER_BASE_URL", "TOKEN_AUTH_PASSWORD", "METRICS_AUTH_PASSWORD_BCRYPT"} {
		if groupOf[name] != "MUST CHANGE" {
			t.Errorf(".env.example: %s is under %q, want MUST CHANGE", name, groupOf[name])
		}
	}
	for _, name := range []string{"CONVERSION_JOB_CONCURRENCY", "VIDEO_CPUS", "VIDEO_MEMORY"} {
		if groupOf[name] != "TUNE TO YOUR SERVER" {
			t.Errorf(".env.example: %s is under %q, want TUNE TO YOUR SERVER", name, groupOf[name])
		}
	}
}

// TestDockerignore: as Docker's matcher reads .dockerignore, the credentials and whatever else an
// operator keeps beside the compose file stay out of the build context (so they neither end up
// in a layer nor invalidate `COPY . .`), and what the build needs goes in.
func TestDockerignore(t *testing.T) {
	excluded, err := dockerignore(repoFile(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		in   bool
	}{
		{".env", false},
		{".env.production", false},
		{"httpapi/.env", false},
		{"docker-compose.override.yaml", false},
		{"docker-compose.override.yml", false},
		{"compose.override.yaml", false},
		{"compose.yaml", false},
		{"docker-compose.yaml", false},
		{"Caddyfile", false},
		{"redis.conf", false},
		{"backup-2025-01-01.tar.gz", false},
		{"certs/api.example.com.key", false},
		{"prometheus.yml", false},
		{".git/config", false},
		{"bin/server", false},
		{"testdata/media/high-bframes-320x320-30fps.mp4", false},
		{"deploy/grafana-dashboard.json", false},
		{"bench/RESULTS.md", false},
		{"README.md", false},
		{"httpapi/httpapi.test", false},
		{"go.mod", true},
		{"go.sum", true},
		{"cmd/server/main.go", true},
		{"codec/h264/decoder.go", true},
		{"codec/testdata/fuzz/FuzzMP4/x", true},
		{"gifenc/writer.go", true},
		{"pipeline/result.go", true},
		{"httpapi/config.go", true},
		{"httpapi/client/client.go", true},
		{"scripts/build-static.sh", true},
		{"scripts/install-deps.sh", true},
	} {
		out, err := excluded(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if out == tc.in {
			want := "left out of"
			if tc.in {
				want = "in"
			}
			t.Errorf(".dockerignore: %s is not %s the build context", tc.path, want)
		}
	}

	// Every package the binary is built from is in the context (a new top-level one must be let
	// in by name).
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "../cmd/server").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	repo := repoFile(t, "")
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(repo, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, downloaded in the build stage
		}
		if out, _ := excluded(filepath.Join(rel, "x.go")); out {
			t.Errorf(".dockerignore leaves out %s, which cmd/server imports", rel)
		}
	}
}

// TestRedisConf runs redis-server with redis.conf (only port and bind moved to loopback, as
// on the command line of a test) and reads back what matters: no persistence, a memory cap,
// and an eviction policy that keeps writes working.
func TestRedisConf(t *testing.T) {
	server := needCommand(t, "redis-server")
	cli := needCommand(t, "redis-cli")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	port := strconv.Itoa(freePort(t))
	p := start(t, "redis-server", exec.CommandContext(ctx, server, repoFile(t, "redis.conf"), "--port", port, "--bind", "127.0.0.1"))

	redis := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, cli, append([]string{"-h", "127.0.0.1", "-p", port, "--raw"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out, _ := exec.CommandContext(ctx, cli, "-h", "127.0.0.1", "-p", port, "ping").Output(); strings.TrimSpace(string(out)) == "PONG" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server with redis.conf did not answer:\n%s", p.out.String())
		}
	}
	for key, want := range map[string]string{
		"save":             "",
		"appendonly":       "no",
		"maxmemory":        strconv.Itoa(256 << 20),
		"maxmemory-policy": "volatile-ttl",
		"protected-mode":   "no",
	} {
		got := redis("CONFIG", "GET", key)
		_, value, _ := strings.Cut(got, "\n")
		if strings.TrimSpace(value) != want {
			t.Errorf("CONFIG GET %s: %q, want %q", key, value, want)
		}
	}
}

// contractMetrics are the service's metric names docs/API.md lists.
var contractMetrics = []string{
	"http_requests_total", "http_handler_duration_seconds", "http_request_duration_seconds",
	"http_request_summary_seconds", "conversions_total", "conversion_duration_seconds",
	"conversion_frames_total", "conversion_queue_wait_seconds", "conversions_in_progress",
	"cache_requests_total", "cache_entries", "source_bytes_total", "source_truncated_total",
	"output_bytes_total",
}

// TestGrafanaDashboard: the dashboard is JSON Grafana can import, charts every metric of the
// contract, and names no metric the service, the Go/process collectors or redis_exporter do
// not export.
func TestGrafanaDashboard(t *testing.T) {
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(readRepoFile(t, "deploy/grafana-dashboard.json")), &dash); err != nil {
		t.Fatalf("deploy/grafana-dashboard.json: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("dashboard without title or uid")
	}

	functions := map[string]bool{"sum": true, "by": true, "rate": true, "histogram_quantile": true, "min": true, "max": true, "le": true}
	ident := regexp.MustCompile(`[a-zA-Z_][a-zA-Z0-9_]*`)
	labels := regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]|\([a-z_, ]*\)|"[^"]*"`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			// Label matchers, ranges, "by (…)" lists and strings hold no metric names.
			for _, name := range ident.FindAllString(labels.ReplaceAllString(target.Expr, " "), -1) {
				if functions[name] {
					continue
				}
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
				switch {
				case slices.Contains(contractMetrics, base):
					used[base] = true
				case strings.HasPrefix(name, "go_"), strings.HasPrefix(name, "process_"), strings.HasPrefix(name, "redis_"):
				default:
					t.Errorf("panel %q: %q is not a metric of the contract, the Go collectors or redis_exporter", p.Title, name)
				}
			}
		}
	}
	for _, m := range contractMetrics {
		if !used[m] {
			t.Errorf("the dashboard does not chart %s", m)
		}
	}
}
