package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadCompose loads docker-compose.yaml as `docker compose` would after the README's set-up
// (cp .env.example .env): from a copy of the deployment files, with .env.example as .env, and
// without the caller's environment, so that the result depends on the repository only.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"docker-compose.yaml", "Dockerfile", "Caddyfile", "redis.conf"} {
		copyFile(t, repoFile(t, f), filepath.Join(dir, f))
	}
	copyFile(t, repoFile(t, ".env.example"), filepath.Join(dir, ".env"))

	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(dir, "docker-compose.yaml")},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(), // the default: .env of the working directory
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	project, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("docker-compose.yaml with .env.example does not load: %v", err)
	}
	return project
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestComposeServicesAndNetwork(t *testing.T) {
	p := loadCompose(t)

	names := p.ServiceNames()
	slices.Sort(names)
	if want := []string{"http", "redis", "redis-metrics", "video"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	if len(p.Networks) != 1 {
		t.Fatalf("networks %v, want exactly one", keys(p.Networks))
	}
	var network string
	for n := range p.Networks {
		network = n
	}
	if p.Networks[network].Internal {
		t.Errorf("network %s is internal: the service could not fetch covers, nor Caddy certificates", network)
	}
	for _, s := range p.Services {
		if _, ok := s.Networks[network]; !ok || len(s.Networks) != 1 {
			t.Errorf("service %s: networks %v, want only %s", s.Name, keys(s.Networks), network)
		}
		if s.Restart != types.RestartPolicyUnlessStopped && s.Restart != types.RestartPolicyAlways {
			t.Errorf("service %s: restart %q, want unless-stopped or always", s.Name, s.Restart)
		}
	}

	video := p.Services["video"]
	if video.Build == nil || video.Build.Dockerfile != "Dockerfile" {
		t.Errorf("video is not built from the Dockerfile: %+v", video.Build)
	}
	for name, prefix := range map[string]string{"http": "caddy:", "redis": "redis:", "redis-metrics": "oliver006/redis_exporter:"} {
		if img := p.Services[name].Image; !strings.HasPrefix(img, prefix) {
			t.Errorf("service %s: image %q, want the official %s… image", name, img, prefix)
		}
	}
}

func TestComposeOnlyCaddyPublishes(t *testing.T) {
	p := loadCompose(t)
	for _, s := range p.Services {
		if s.Name != "http" && len(s.Ports) > 0 {
			t.Errorf("service %s publishes %v: only Caddy (http) may", s.Name, s.Ports)
		}
	}
	var got []string
	for _, port := range p.Services["http"].Ports {
		got = append(got, port.Published+":"+strconv.Itoa(int(port.Target))+"/"+port.Protocol)
	}
	slices.Sort(got)
	if want := []string{"443:443/tcp", "443:443/udp", "80:80/tcp"}; !slices.Equal(got, want) {
		t.Errorf("http publishes %v, want %v", got, want)
	}
}

func TestComposeHealthAndStartOrder(t *testing.T) {
	p := loadCompose(t)

	health := map[string][]string{
		"video": {"CMD", "/server", "healthcheck"}, // exec form: no shell in distroless
		"redis": {"CMD-SHELL", "redis-cli ping | grep -q PONG"},
	}
	for name, want := range health {
		hc := p.Services[name].HealthCheck
		if hc == nil || hc.Disable {
			t.Errorf("service %s has no health check", name)
			continue
		}
		if !slices.Equal([]string(hc.Test), want) {
			t.Errorf("service %s: health check %q, want %q", name, hc.Test, want)
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
			t.Errorf("service %s: health check without interval, timeout or retries", name)
			continue
		}
		// Docker probes first one interval after the start, and the start order below waits
		// for redis, then video, to be healthy: two intervals of at most 5 s keep `up -d`
		// within 15 s.
		if d := time.Duration(*hc.Interval); d > 5*time.Second {
			t.Errorf("service %s: health check interval %v: `up -d` waits at least that long for it (at most 5s)", name, d)
		}
	}
	for _, s := range p.Services {
		hc := s.HealthCheck
		if hc == nil {
			continue
		}
		if hc.StartInterval != nil {
			t.Errorf("service %s: healthcheck.start_interval: Docker Engine before 25 (Debian 12's 20.10) refuses the file", s.Name)
		}
		if hc.StartPeriod != nil && *hc.StartPeriod != 0 {
			t.Errorf("service %s: healthcheck.start_period: from Engine 25 on, probes in it come every start_interval (5 s unset), not every interval", s.Name)
		}
	}

	// The image's HEALTHCHECK (for `docker run`) is the compose file's, flag for flag.
	hc := p.Services["video"].HealthCheck
	want := fmt.Sprintf("--interval=%v --timeout=%v --retries=%d CMD %s",
		time.Duration(*hc.Interval), time.Duration(*hc.Timeout), *hc.Retries, `["/server", "healthcheck"]`)
	if got := dockerfileStages(t)[1].lines["HEALTHCHECK"]; len(got) != 1 || got[0] != want {
		t.Errorf("Dockerfile HEALTHCHECK %q, want the compose file's: %q", got, want)
	}

	deps := map[string]map[string]string{
		"http":          {"video": types.ServiceConditionHealthy, "redis-metrics": types.ServiceConditionStarted},
		"video":         {"redis": types.ServiceConditionHealthy},
		"redis-metrics": {"redis": types.ServiceConditionHealthy},
		"redis":         {},
	}
	for name, want := range deps {
		got := map[string]string{}
		for dep, d := range p.Services[name].DependsOn {
			got[dep] = d.Condition
		}
		if !mapsEqual(got, want) {
			t.Errorf("service %s depends_on %v, want %v", name, got, want)
		}
	}
}

// TestComposeLimitsMatchConcurrency checks the arithmetic the compose file explains: the
// service's CPUs are the conversions it runs at once times their threads, and its memory the
// 128 MB base plus 128 MB per conversion thread.
func TestComposeLimitsMatchConcurrency(t *testing.T) {
	p := loadCompose(t)
	env := exampleEnv(t)

	jobs, err := strconv.Atoi(env["CONVERSION_JOB_CONCURRENCY"])
	if err != nil || jobs < 1 {
		t.Fatalf(".env.example: CONVERSION_JOB_CONCURRENCY=%q, want a number (the default, the host's CPUs, is wrong under a CPU limit)", env["CONVERSION_JOB_CONCURRENCY"])
	}
	threads, err := strconv.Atoi(env["CONVERSION_THREADS"])
	if err != nil || threads < 1 {
		t.Fatalf(".env.example: CONVERSION_THREADS=%q", env["CONVERSION_THREADS"])
	}

	for _, s := range p.Services {
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil ||
			s.Deploy.Resources.Limits.NanoCPUs == 0 || s.Deploy.Resources.Limits.MemoryBytes == 0 {
			t.Errorf("service %s has no cpus and memory limits", s.Name)
		}
	}
	limits := p.Services["video"].Deploy.Resources.Limits
	if cpus, want := float64(limits.NanoCPUs.Value()), float64(jobs*threads); cpus != want {
		t.Errorf("video: cpus %v, want CONVERSION_JOB_CONCURRENCY x CONVERSION_THREADS = %v", cpus, want)
	}
	const mb = 1 << 20
	if mem, want := int64(limits.MemoryBytes), int64(128*mb+jobs*threads*128*mb); mem < want {
		t.Errorf("video: memory %d MB, want at least 128 MB + %d x 128 MB = %d MB", mem/mb, jobs*threads, want/mb)
	}

	// Redis must evict (maxmemory in redis.conf) before its container is killed.
	if mem := int64(p.Services["redis"].Deploy.Resources.Limits.MemoryBytes); mem < 300*mb {
		t.Errorf("redis: memory limit %d MB leaves no room above maxmemory 256mb", mem/mb)
	}
}

// TestComposeEnvironment: the service gets .env whole, with the two addresses the rest of the
// stack depends on pinned; Caddy gets only what the Caddyfile reads, and the bcrypt hash reaches
// it intact (a $ expanded by compose would silently break the metrics login).
func TestComposeEnvironment(t *testing.T) {
	p := loadCompose(t)
	env := exampleEnv(t)

	video := p.Services["video"]
	if len(video.EnvFiles) != 1 || filepath.Base(video.EnvFiles[0].Path) != ".env" {
		t.Errorf("video: env_file %+v, want .env", video.EnvFiles)
	}
	for k, want := range map[string]string{
		"LISTEN_ADDR":                  ":8080",
		"REDIS_URL":                    "redis://redis:6379/0",
		"TOKEN_AUTH_PASSWORD":          env["TOKEN_AUTH_PASSWORD"],
		"METRICS_AUTH_PASSWORD_BCRYPT": env["METRICS_AUTH_PASSWORD_BCRYPT"],
		"CONVERSION_JOB_CONCURRENCY":   env["CONVERSION_JOB_CONCURRENCY"],
	} {
		if got := video.Environment[k]; got == nil || *got != want {
			t.Errorf("video: %s=%v, want %q", k, deref(got), want)
		}
	}

	http := p.Services["http"]
	hash := env["METRICS_AUTH_PASSWORD_BCRYPT"]
	if !strings.HasPrefix(hash, "$2") || len(hash) != 60 {
		t.Fatalf(".env.example: METRICS_AUTH_PASSWORD_BCRYPT=%q is not a bcrypt hash as compose reads it", hash)
	}
	for k, want := range map[string]string{
		"SITE_ADDRESS":                 env["SITE_ADDRESS"],
		"METRICS_AUTH_USERNAME":        env["METRICS_AUTH_USERNAME"],
		"METRICS_AUTH_PASSWORD_BCRYPT": hash,
	} {
		if got := http.Environment[k]; got == nil || *got != want {
			t.Errorf("http: %s=%v, want %q", k, deref(got), want)
		}
	}
	if _, ok := http.Environment["TOKEN_AUTH_PASSWORD"]; ok || len(http.EnvFiles) > 0 {
		t.Errorf("http: Caddy is given the whole .env; it needs only SITE_ADDRESS and METRICS_AUTH_*")
	}
}

// TestComposeMounts: Caddy's certificates survive restarts, and both configuration files are
// mounted read-only where the images look for them.
func TestComposeMounts(t *testing.T) {
	p := loadCompose(t)
	mounts := map[string]map[string]string{} // service -> target -> source
	for _, s := range p.Services {
		mounts[s.Name] = map[string]string{}
		for _, v := range s.Volumes {
			mounts[s.Name][v.Target] = v.Type + ":" + filepath.Base(v.Source)
			if v.Type == types.VolumeTypeBind && !v.ReadOnly {
				t.Errorf("service %s: bind mount %s is writable", s.Name, v.Source)
			}
		}
	}
	if got := mounts["http"]["/etc/caddy/Caddyfile"]; got != "bind:Caddyfile" {
		t.Errorf("http: /etc/caddy/Caddyfile from %q", got)
	}
	if got := mounts["http"]["/data"]; !strings.HasPrefix(got, "volume:") {
		t.Errorf("http: /data (certificates) is %q, want a named volume", got)
	}
	redisCmd := strings.Join(p.Services["redis"].Command, " ")
	for target, src := range mounts["redis"] {
		if src == "bind:redis.conf" && strings.Contains(redisCmd, target) {
			return
		}
	}
	t.Errorf("redis: redis.conf is not mounted where its command (%q) reads it: %v", redisCmd, mounts["redis"])
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
