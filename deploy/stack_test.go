package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/gif"
	"io"
	"net/http"
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

// The stack test runs docker-compose.yaml for real: it needs a Docker daemon (DOCKER_HOST or
// the default socket) with the Compose v2 plugin, and the base images the Dockerfile and the
// compose file name, pulled or already there: on a machine without registry access they must
// exist locally under their upstream names (golang:1.26-bookworm,
// gcr.io/distroless/cc-debian12:nonroot, caddy:2.10, redis:7.4, oliver006/redis_exporter).
// `make test-stack` runs it; `make test` runs it too when a daemon answers, and skips it
// otherwise.

// stackImageLimit is the size the service image must stay within, per platform.
const stackImageLimit = 40 << 20

// stackTestVersion is VERSION in the test's .env, so the image is animated-album-covers:stack-test
// and never replaces an operator's tag.
const stackTestVersion = "stack-test"

// needDocker skips the test unless a Docker daemon answers and the docker CLI has Compose v2.
func needDocker(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the stack test builds an image and starts containers")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI: the stack test runs docker-compose.yaml on a Docker daemon (make test-stack)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		t.Skipf("no Docker daemon reachable (DOCKER_HOST=%q): the stack test needs one; %s", os.Getenv("DOCKER_HOST"), firstLine(out))
	}
	compose, err := exec.CommandContext(ctx, "docker", "compose", "version", "--short").CombinedOutput()
	if err != nil {
		t.Skipf("Docker Engine %s, but no Compose v2 plugin (docker compose): %s", strings.TrimSpace(string(out)), firstLine(compose))
	}
	t.Logf("Docker Engine %s, Compose %s", strings.TrimSpace(string(out)), strings.TrimSpace(string(compose)))
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// composeProject is one run of docker-compose.yaml under a name of its own.
type composeProject struct {
	t       *testing.T
	project string
	files   []string // -f arguments
	envFile string   // the test's .env: interpolation (--env-file) and the service's env_file
	env     []string // the process environment of docker compose
}

// compose runs `docker compose` on the stack and returns its combined output; a failure ends
// the test, with the output and a hint when an image could not be had.
func (s *composeProject) compose(ctx context.Context, stdin io.Reader, args ...string) []byte {
	s.t.Helper()
	out, err := s.composeErr(ctx, stdin, args...)
	if err != nil {
		hint := ""
		if bytes.Contains(out, []byte("pull access denied")) || bytes.Contains(out, []byte("failed to resolve")) ||
			bytes.Contains(out, []byte("failed to do request")) {
			hint = "\n(a base image could not be pulled: without registry access the images must exist locally under their upstream names)"
		}
		s.t.Fatalf("docker compose %s: %v\n%s%s", strings.Join(args, " "), err, out, hint)
	}
	return out
}

func (s *composeProject) composeErr(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	full := []string{"compose", "--project-name", s.project, "--env-file", s.envFile}
	for _, f := range s.files {
		full = append(full, "--file", f)
	}
	cmd := exec.CommandContext(ctx, "docker", append(full, args...)...)
	cmd.Env = s.env
	cmd.Stdin = stdin
	cmd.WaitDelay = 10 * time.Second
	return cmd.CombinedOutput()
}

// docker runs a docker command and returns its trimmed output; a failure ends the test.
func docker(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// containerOf is the id of a service's container.
func (s *composeProject) containerOf(ctx context.Context, service string) string {
	s.t.Helper()
	id := strings.TrimSpace(string(s.compose(ctx, nil, "ps", "--all", "--quiet", service)))
	if id == "" || strings.Contains(id, "\n") {
		s.t.Fatalf("service %s: container ids %q", service, id)
	}
	return id
}

// waitHealthy waits until every container of the project runs and every health check says
// healthy, and returns how long that took from since.
func (s *composeProject) waitHealthy(ctx context.Context, since time.Time, within time.Duration) time.Duration {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ids := strings.Fields(string(s.compose(ctx, nil, "ps", "--all", "--quiet")))
		var waiting []string
		for _, id := range ids {
			state := docker(s.t, ctx, "inspect", "--format",
				"{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}}", id)
			if f := strings.Fields(state); len(f) != 3 || f[1] != "running" || (f[2] != "healthy" && f[2] != "-") {
				waiting = append(waiting, state)
			}
		}
		if len(ids) > 0 && len(waiting) == 0 {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("not healthy within %v: %v\n%s", within, waiting, s.compose(ctx, nil, "logs", "--no-color", "--tail", "50"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestStack builds the image from the checkout, brings the compose stack up with a test
// override, and checks what a volunteer's instance must do: health, /token, a converted cover
// and its cached second read, the metrics routes, the video container's confinement, a Redis
// restart under requests, the service run with `docker run --env-file .env`, and down -v.
func TestStack(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()

	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	dir := t.TempDir()
	port := freePort(t)
	s := &composeProject{
		t:       t,
		project: "aac-stack-test-" + hex.EncodeToString(suffix),
		files:   []string{repoFile(t, "docker-compose.yaml"), repoFile(t, "deploy/testdata/stack-test.compose.yaml")},
		envFile: filepath.Join(dir, ".env"),
	}
	s.env = append(os.Environ(), "STACK_TEST_HTTP_PORT="+strconv.Itoa(port), "STACK_TEST_ENV_FILE="+s.envFile)
	image := "animated-album-covers:" + stackTestVersion
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if t.Failed() {
			out, _ := s.composeErr(ctx, nil, "logs", "--no-color", "--tail", "100")
			t.Logf("--- docker compose logs:\n%s", out)
		}
		if out, err := s.composeErr(ctx, nil, "down", "--volumes", "--remove-orphans", "--timeout", "10"); err != nil {
			t.Errorf("cleanup: docker compose down: %v\n%s", err, out)
		}
		_ = exec.CommandContext(ctx, "docker", "image", "rm", image).Run()
	})

	// The .env an operator writes from .env.example: this instance's URL and accounts, the
	// metrics hash in single quotes as the README says, and the local origin allowed.
	token := randomHex(t, 16)
	env := map[string]string{
		"SERVER_BASE_URL":           fmt.Sprintf("http://127.0.0.1:%d", port),
		"TOKEN_AUTH_PASSWORD":       token,
		"SOURCE_HOSTNAME_WHITELIST": "origin",
		"ALLOW_PRIVATE_SOURCES":     "1",
		"VERSION":                   stackTestVersion,
	}
	writeEnvFile(t, s.envFile, env)

	start := time.Now()
	s.compose(ctx, nil, "build", "video")
	t.Logf("docker compose build video: %v", time.Since(start).Round(100*time.Millisecond))
	size, err := strconv.ParseInt(docker(t, ctx, "image", "inspect", "--format", "{{.Size}}", image), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	arch := docker(t, ctx, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", image)
	t.Logf("image %s (%s): %.1f MB", image, arch, float64(size)/1e6)
	if size > stackImageLimit {
		t.Errorf("image %s is %.1f MiB, over the %d MiB it must stay within", image, float64(size)/(1<<20), stackImageLimit>>20)
	}

	t.Run("operator files do not invalidate the build", func(t *testing.T) {
		checkOperatorFilesKeepCache(t, ctx, s)
	})

	// The README's set-up: hash the metrics password with the image itself (compose run, on
	// this Engine), then put the hash into .env in single quotes.
	metricsPassword := randomHex(t, 12)
	out := s.compose(ctx, strings.NewReader(metricsPassword+"\n"), "run", "--rm", "--no-deps", "-T", "video", "hash-password")
	out = bytes.TrimSpace(out)
	hash := string(out[bytes.LastIndexByte(out, '\n')+1:]) // after compose's own progress lines
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(metricsPassword)); err != nil {
		t.Fatalf("compose run video hash-password printed %q: %v", out, err)
	}
	env["METRICS_AUTH_PASSWORD_BCRYPT"] = "'" + hash + "'"
	writeEnvFile(t, s.envFile, env)

	start = time.Now()
	s.compose(ctx, nil, "up", "--detach", "--no-build")
	upReturned := time.Since(start)
	healthy := s.waitHealthy(ctx, start, 2*time.Minute)
	t.Logf("docker compose up -d: returned after %v, every container running and healthy after %v",
		upReturned.Round(100*time.Millisecond), healthy.Round(100*time.Millisecond))

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	metricsAccount := [2]string{exampleEnv(t)["METRICS_AUTH_USERNAME"], metricsPassword}
	tokenAccount := [2]string{exampleEnv(t)["TOKEN_AUTH_USERNAME"], token}
	source := "http://origin/high-bframes-320x320-30fps.mp4"

	t.Run("http", func(t *testing.T) {
		if resp, _ := get(t, ctx, base+"/healthz", "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz: %d", resp.StatusCode)
		}
		if resp, _ := get(t, ctx, tokenURL(base, source), "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/token without the account: %d, want 401", resp.StatusCode)
		}
		convert := coverURL(t, ctx, base, source, tokenAccount)
		resp, body := get(t, ctx, convert, "", "")
		first := []byte(body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", convert, resp.StatusCode, first)
		}
		g, err := gif.DecodeAll(bytes.NewReader(first))
		if err != nil {
			t.Fatalf("/convert.gif is not a GIF (%s, %d bytes): %v", resp.Header.Get("Content-Type"), len(first), err)
		}
		if len(g.Image) < 2 || g.Config.Width > 80 || g.Config.Height > 80 || g.LoopCount != 0 {
			t.Errorf("/convert.gif: %d frames, %dx%d, loop count %d; want an animated, looping GIF within 80x80",
				len(g.Image), g.Config.Width, g.Config.Height, g.LoopCount)
		}
		resp, body = get(t, ctx, convert, "", "")
		second, h2 := []byte(body), resp.Header
		if resp.StatusCode != http.StatusOK || !bytes.Equal(first, second) {
			t.Errorf("second read: %d, %d bytes, want 200 and the same %d bytes", resp.StatusCode, len(second), len(first))
		}
		if cl := h2.Get("Content-Length"); cl != strconv.Itoa(len(second)) || h2.Get("ETag") == "" {
			t.Errorf("second read (from the cache): Content-Length %q, ETag %q; want %d and an ETag", cl, h2.Get("ETag"), len(second))
		}
		t.Logf("cover: %d frames, %dx%d, %d bytes; cached read ETag %s", len(g.Image), g.Config.Width, g.Config.Height, len(second), h2.Get("ETag"))
	})

	t.Run("metrics", func(t *testing.T) {
		for route, want := range map[string]string{"/metrics/video": "conversions_total", "/metrics/cache": "redis_up"} {
			if resp, _ := get(t, ctx, base+route, "", ""); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without the account: %d, want 401", route, resp.StatusCode)
			}
			resp, body := get(t, ctx, base+route, metricsAccount[0], metricsAccount[1])
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s with the account: %d, want 200 with %s\n%.300s", route, resp.StatusCode, want, body)
			}
		}
		if resp, _ := get(t, ctx, base+"/metrics", metricsAccount[0], metricsAccount[1]); resp.StatusCode != http.StatusForbidden {
			t.Errorf("bare /metrics: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("video container", func(t *testing.T) {
		id := s.containerOf(ctx, "video")
		if user := docker(t, ctx, "inspect", "--format", "{{.Config.User}}", id); user != "65532:65532" {
			t.Errorf("video runs as %q, want 65532:65532", user)
		}
		// ps on the daemon's host (docker top needs its pid column): the uid of every process
		// in the container.
		for _, line := range strings.Split(docker(t, ctx, "top", id, "-o", "pid,uid,args"), "\n")[1:] {
			if f := strings.Fields(line); len(f) < 3 || f[1] != "65532" {
				t.Errorf("video process %q: want uid 65532", line)
			}
		}
		if out := docker(t, ctx, "exec", id, "/server", "version"); !strings.Contains(out, "server "+stackTestVersion) {
			t.Errorf("docker exec video /server version: %q", out)
		}
		for _, shell := range []string{"sh", "/bin/sh", "/bin/bash", "/busybox/sh"} {
			out, err := exec.CommandContext(ctx, "docker", "exec", id, shell, "-c", "true").CombinedOutput()
			if err == nil || !bytes.Contains(out, []byte("no such file or directory")) && !bytes.Contains(out, []byte("not found")) {
				t.Errorf("docker exec video %s: %v, %q; want no such program", shell, err, out)
			}
		}
	})

	t.Run("redis restart under requests", func(t *testing.T) {
		checkRedisRestart(t, ctx, s, base, source, tokenAccount)
	})

	t.Run("docker run --env-file", func(t *testing.T) {
		checkDockerRunEnvFile(t, ctx, s, image, hash, metricsAccount)
	})

	s.compose(ctx, nil, "down", "--volumes", "--remove-orphans", "--timeout", "30")
	for _, kind := range []string{"container", "volume", "network"} {
		args := []string{kind, "ls", "--quiet", "--filter", "label=com.docker.compose.project=" + s.project}
		if kind == "container" {
			args = []string{"ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project=" + s.project}
		}
		if left := docker(t, ctx, args...); left != "" {
			t.Errorf("after down -v, %ss of the project are left: %s", kind, left)
		}
	}
}

// checkOperatorFilesKeepCache builds the image from a copy of the checkout, then again once
// what operators keep beside the compose file is there too (.env, override files, a backup, a
// certificate): every step of the second build must come from the cache, `COPY . .` included,
// and the image must be the same. A copy, so that the checkout is never written to; built under
// its own tag, so that the stack runs the checkout's image.
func checkOperatorFilesKeepCache(t *testing.T, ctx context.Context, s *composeProject) {
	dir := filepath.Join(t.TempDir(), "checkout")
	if err := copyTree(repoFile(t, ""), dir, func(string) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	copied := *s
	copied.t = t
	copied.files = []string{filepath.Join(dir, "docker-compose.yaml")}
	const version = stackTestVersion + "-copy" // the environment wins over --env-file
	copied.env = append(slices.Clip(s.env), "VERSION="+version)
	image := "animated-album-covers:" + version
	t.Cleanup(func() { _ = exec.Command("docker", "image", "rm", image).Run() })

	copied.compose(ctx, nil, "build", "video")
	before := docker(t, ctx, "image", "inspect", "--format", "{{.Id}}", image)

	// Contents new to every run: BuildKit's cache is keyed by content, so files an earlier run
	// built with would hit the cache even if they were in the context.
	nonce := randomHex(t, 8)
	for name, content := range map[string]string{
		".env":                         "TOKEN_AUTH_PASSWORD=" + nonce + "\n",
		"docker-compose.override.yaml": "# " + nonce + "\nservices:\n  video:\n    environment:\n      DEBUG: \"1\"\n",
		"compose.override.yaml":        "# " + nonce + "\nservices: {}\n",
		"backup.tar.gz":                nonce,
		"certs/api.example.com.key":    nonce,
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := copied.compose(ctx, nil, "--progress", "plain", "build", "video")
	// The image alone would not tell: the build is reproducible, so a rebuilt binary makes the
	// same image. BuildKit's plain progress says of each step whether it came from the cache.
	for _, step := range []string{"COPY . .", "scripts/build-static.sh /out/server"} {
		if !buildStepCached(string(out), step) {
			t.Errorf("with operator files beside the compose file, the step %q is not from the cache:\n%s", step, out)
		}
	}
	if after := docker(t, ctx, "image", "inspect", "--format", "{{.Id}}", image); after != before {
		t.Errorf("with operator files beside the compose file the image is another one (%s, was %s)", after, before)
	}
}

// buildStepCached reports whether BuildKit's plain progress output shows the build step whose
// command contains command as CACHED: "#12 [video build 7/8] COPY . ." then "#12 CACHED".
func buildStepCached(progress, command string) bool {
	for _, line := range strings.Split(progress, "\n") {
		id, rest, ok := strings.Cut(line, " [")
		if !ok || !strings.HasPrefix(id, "#") {
			continue
		}
		if _, instruction, ok := strings.Cut(rest, "] "); ok && strings.Contains(instruction, command) {
			return strings.Contains(progress, "\n"+id+" CACHED\n")
		}
	}
	return false
}

// checkRedisRestart restarts Redis while a client keeps asking for tokens and covers: the service
// must answer every request (an error status while Redis is away, but no dropped connection),
// keep passing its health check, not restart, and serve again once Redis is back.
func checkRedisRestart(t *testing.T, ctx context.Context, s *composeProject, base, source string, account [2]string) {
	video := s.containerOf(ctx, "video")
	startedAt := docker(t, ctx, "inspect", "--format", "{{.State.StartedAt}} {{.RestartCount}}", video)

	var (
		mu        sync.Mutex
		statuses  = map[string]int{}
		failures  []string
		restarted bool // Redis is restarting: count the requests made meanwhile
		during    int
	)
	loopCtx, stopLoop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 10 * time.Second}
		for loopCtx.Err() == nil {
			mu.Lock()
			if restarted {
				during++
			}
			mu.Unlock()
			status, err := tokenAndCover(loopCtx, client, base, source, account)
			mu.Lock()
			if err != nil && loopCtx.Err() == nil {
				failures = append(failures, err.Error())
			} else if err == nil {
				statuses[status]++
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(2 * time.Second)
	start := time.Now()
	mu.Lock()
	restarted = true
	mu.Unlock()
	s.compose(ctx, nil, "restart", "redis")
	s.waitHealthy(ctx, start, time.Minute)
	mu.Lock()
	restarted = false
	mu.Unlock()
	t.Logf("redis restarted and healthy again after %v; %d requests made meanwhile", time.Since(start).Round(100*time.Millisecond), during)

	// Once Redis is back, the service serves again by itself.
	recovered := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if status, err := tokenAndCover(ctx, http.DefaultClient, base, source, account); err == nil && status == "200 200" {
			recovered = true
			break
		}
	}
	stopLoop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	t.Logf("requests during the restart (token status, cover status): %v", statuses)
	if !recovered {
		t.Errorf("no token and cover served within 30 s of Redis being back")
	}
	if len(failures) > 0 {
		t.Errorf("%d requests got no HTTP answer during the restart, e.g. %s", len(failures), failures[0])
	}
	if during < 5 {
		t.Errorf("only %d requests while Redis restarted: the loop did not run under the restart", during)
	}
	if statuses["200 200"] == 0 {
		t.Errorf("no request succeeded around the restart: %v", statuses)
	}
	if now := docker(t, ctx, "inspect", "--format", "{{.State.StartedAt}} {{.RestartCount}}", video); now != startedAt {
		t.Errorf("the video container restarted: %s, was %s", now, startedAt)
	}
	var health struct {
		FailingStreak int
		Log           []struct{ ExitCode int }
	}
	if err := json.Unmarshal([]byte(docker(t, ctx, "inspect", "--format", "{{json .State.Health}}", video)), &health); err != nil {
		t.Fatal(err)
	}
	for _, probe := range health.Log {
		if probe.ExitCode != 0 {
			t.Errorf("a health check of video failed around the Redis restart: %+v", health)
			break
		}
	}
}

// tokenAndCover asks for a token and reads its cover; the status pair, or an error when either
// request got no HTTP answer.
func tokenAndCover(ctx context.Context, client *http.Client, base, source string, account [2]string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tokenURL(base, source), nil)
	req.SetBasicAuth(account[0], account[1])
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("/token: %w", err)
	}
	var answer struct{ URL string }
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("%d -", resp.StatusCode), nil
	}
	if err != nil {
		return "", fmt.Errorf("/token answer: %w", err)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, answer.URL, nil)
	resp, err = client.Do(req)
	if err != nil {
		return "", fmt.Errorf("/convert.gif: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil && resp.StatusCode == http.StatusOK {
		return "", fmt.Errorf("/convert.gif body: %w", err)
	}
	return fmt.Sprintf("200 %d", resp.StatusCode), nil
}

// checkDockerRunEnvFile runs the image with `docker run --env-file` on the test's .env, which
// holds the metrics hash in single quotes as the README says: docker run keeps the quotes (unlike
// compose), and the service must still start and accept the metrics account.
func checkDockerRunEnvFile(t *testing.T, ctx context.Context, s *composeProject, image, hash string, account [2]string) {
	port := freePort(t)
	name := s.project + "-docker-run"
	network := docker(t, ctx, "inspect", "--format", "{{range $n, $_ := .NetworkSettings.Networks}}{{$n}}{{end}}", s.containerOf(ctx, "video"))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", name).Run() })
	docker(t, ctx, "run", "--detach", "--name", name, "--env-file", s.envFile, "--network", network,
		"--publish", fmt.Sprintf("127.0.0.1:%d:8080", port), image)

	env := docker(t, ctx, "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", name)
	if !strings.Contains(env, "METRICS_AUTH_PASSWORD_BCRYPT='"+hash+"'") {
		t.Fatalf("docker run did not pass the hash with its quotes, which this test is about:\n%s", env)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status(ctx, base+"/healthz") == http.StatusOK {
			break
		}
		if time.Now().After(deadline) || docker(t, ctx, "inspect", "--format", "{{.State.Running}}", name) != "true" {
			logs, _ := exec.CommandContext(ctx, "docker", "logs", name).CombinedOutput()
			t.Fatalf("the service started with docker run --env-file does not answer:\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if resp, _ := get(t, ctx, base+"/metrics", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the account: %d, want 401", resp.StatusCode)
	}
	if resp, body := get(t, ctx, base+"/metrics", account[0], account[1]); resp.StatusCode != http.StatusOK || !strings.Contains(body, "conversions_total") {
		t.Errorf("/metrics with the account (hash given quoted by docker run): %d, want 200", resp.StatusCode)
	}
}

func tokenURL(base, source string) string {
	return base + "/token?ifm=mp4&ofm=gif&url=" + source
}

// coverURL asks /token for a cover of source and returns the URL it answers.
func coverURL(t *testing.T, ctx context.Context, base, source string, account [2]string) string {
	t.Helper()
	resp, body := get(t, ctx, tokenURL(base, source), account[0], account[1])
	var answer struct{ URL, Token string }
	if err := json.Unmarshal([]byte(body), &answer); resp.StatusCode != http.StatusOK || err != nil || answer.Token == "" {
		t.Fatalf("/token with the account: %d %v\n%s", resp.StatusCode, err, body)
	}
	return answer.URL
}

// status is the status of a GET, or 0 when there is no answer (yet).
func status(ctx context.Context, url string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// writeEnvFile writes .env.example with the given values in place of its own, as an operator
// edits it.
func writeEnvFile(t *testing.T, path string, values map[string]string) {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(readRepoFile(t, ".env.example"), "\n") {
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			if v, set := values[name]; set {
				line = name + "=" + v
				seen[name] = true
			}
		}
		out = append(out, line)
	}
	for name, v := range values {
		if !seen[name] {
			out = append(out, name+"="+v)
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
