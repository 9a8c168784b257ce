package httpapi

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(lookupMap(map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		BaseURL: "http://localhost:8080", ListenAddr: ":8080",
		TokenSize: 48, TokenTTL: time.Hour, TokenTTLResolution: time.Minute, ResultTTL: time.Hour,
		OutputSize: 80, OutputFrameRate: 24, MaxStreamDuration: 30 * time.Second, StreamBufferSize: 65536,
		StreamHTTPTimeout: 30 * time.Second, MaxSourceBytes: 64 << 20, JobConcurrency: runtime.NumCPU(),
		QueueSize: 64, Threads: 1,
	}
	got := cfg
	if strings.Join(got.SourceHosts, ",") != "resources.tidal.com,mvod.itunes.apple.com" {
		t.Errorf("hosts %v", got.SourceHosts)
	}
	if got.AllowPrivateSources || got.RedisURL != "" || got.MetricsAuth() || got.Debug {
		t.Errorf("defaults: %+v", got)
	}
	got.SourceHosts, got.TokenUsername, got.TokenPassword, got.MemoryStoreBytes = nil, "", "", 0
	if got.BaseURL != want.BaseURL || got.ListenAddr != want.ListenAddr || got.TokenSize != want.TokenSize ||
		got.TokenTTL != want.TokenTTL || got.TokenTTLResolution != want.TokenTTLResolution || got.ResultTTL != want.ResultTTL ||
		got.OutputSize != want.OutputSize || got.OutputFrameRate != want.OutputFrameRate ||
		got.MaxStreamDuration != want.MaxStreamDuration || got.StreamBufferSize != want.StreamBufferSize ||
		got.StreamHTTPTimeout != want.StreamHTTPTimeout || got.MaxSourceBytes != want.MaxSourceBytes ||
		got.JobConcurrency != want.JobConcurrency || got.QueueSize != want.QueueSize || got.Threads != want.Threads {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestConfigOldNames(t *testing.T) {
	cfg, err := LoadConfig(lookupMap(map[string]string{
		"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p",
		"CONVERSION_FFMPEG_THREADS": "3", "REDIS_HOSTNAME": "cache", "REDIS_PORT": "6380",
		"SOURCE_HOSTNAME_WHITELIST": " Resources.TIDAL.com , x.test ", "SERVER_BASE_URL": "https://covers.example/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Threads != 3 || cfg.RedisURL != "redis://cache:6380" || cfg.BaseURL != "https://covers.example" ||
		strings.Join(cfg.SourceHosts, ",") != "resources.tidal.com,x.test" {
		t.Errorf("%+v", cfg)
	}
	cfg, err = LoadConfig(lookupMap(map[string]string{
		"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p", "CONVERSION_FFMPEG_THREADS": "3", "CONVERSION_THREADS": "2",
	}))
	if err != nil || cfg.Threads != 2 {
		t.Errorf("CONVERSION_THREADS wins over the old name: %d, %v", cfg.Threads, err)
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := LoadConfig(lookupMap(map[string]string{
		"TOKEN_AUTH_PASSWORD": "hunter2", "TOKEN_SIZE": "8", "CONVERSION_QUEUE_SIZE": "-1",
		"MAXIMUM_OUTPUT_FRAMERATE": "0", "ALLOW_PRIVATE_SOURCES": "yes please", "SERVER_BASE_URL": "localhost",
		"METRICS_AUTH_PASSWORD_BCRYPT": "plain", "REDIS_URL": "tcp://:pw@x",
		"SOURCE_HOSTNAME_WHITELIST": "https://resources.tidal.com",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, name := range []string{"TOKEN_AUTH_USERNAME", "TOKEN_SIZE", "CONVERSION_QUEUE_SIZE", "MAXIMUM_OUTPUT_FRAMERATE",
		"ALLOW_PRIVATE_SOURCES", "SERVER_BASE_URL", "METRICS_AUTH", "REDIS_URL", "SOURCE_HOSTNAME_WHITELIST"} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, name)
		}
		if !found {
			t.Errorf("no line for %s in:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), ":pw@") || strings.Contains(err.Error(), "plain") {
		t.Errorf("a secret is shown:\n%v", err)
	}
}

// TestConfigMetricsBcryptHash: the hash is accepted as compose hands it over (quotes dropped)
// and as `docker run --env-file` does (the .env line's single quotes kept), and nothing looser:
// one matching pair of quotes at most, around a whole, well-formed hash.
func TestConfigMetricsBcryptHash(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape me"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h := string(hash)
	htpasswd := "$2y$" + h[4:] // htpasswd -B writes version 2y; the same algorithm
	for _, tc := range []struct {
		name, value, want string // want "": refused
	}{
		{"as compose passes it", h, h},
		{"as docker run --env-file passes it", "'" + h + "'", h},
		{"double quotes kept by docker run", `"` + h + `"`, h},
		{"surrounding blanks", " '" + h + "' ", h},
		{"version 2y", htpasswd, htpasswd},
		{"version 2b", "$2b$" + h[4:], "$2b$" + h[4:]},
		{".env.example's", "'$2a$10$9YmtR5CEgfQuAM8YAR97Eu6yNL.OeY0S6xI7fajoUM8z50T.NgVvO'", "$2a$10$9YmtR5CEgfQuAM8YAR97Eu6yNL.OeY0S6xI7fajoUM8z50T.NgVvO"},
		{"quotes that do not match", "'" + h + `"`, ""},
		{"opening quote only", "'" + h, ""},
		{"two pairs of quotes", "''" + h + "''", ""},
		{"quote inside", h[:30] + "'" + h[31:], ""},
		{"one character short", h[:59], ""},
		{"one character long", h + "x", ""},
		{"outside bcrypt's alphabet", h[:59] + "-", ""},
		{"unknown version 2x", "$2x$" + h[4:], ""},
		{"cost 03", h[:4] + "03" + h[6:], ""},
		{"cost 32", h[:4] + "32" + h[6:], ""},
		{"$ expanded away by a shell or compose", h[7:], ""},
		{"a password, not its hash", "scrape me", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := LoadConfig(lookupMap(map[string]string{
				"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p",
				"METRICS_AUTH_USERNAME": "metrics", "METRICS_AUTH_PASSWORD_BCRYPT": tc.value,
			}))
			if tc.want == "" {
				if err == nil || !strings.HasPrefix(err.Error(), "METRICS_AUTH_PASSWORD_BCRYPT: not a bcrypt hash") {
					t.Fatalf("%q accepted (err %v)", tc.value, err)
				}
				if strings.Contains(err.Error(), tc.value) {
					t.Errorf("the value is shown: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q refused: %v", tc.value, err)
			}
			if cfg.MetricsBcryptHash != tc.want || !cfg.MetricsAuth() {
				t.Fatalf("hash %q, want %q", cfg.MetricsBcryptHash, tc.want)
			}
			if tc.want == h || tc.want == htpasswd {
				if err := bcrypt.CompareHashAndPassword([]byte(cfg.MetricsBcryptHash), []byte("scrape me")); err != nil {
					t.Errorf("the password does not match the hash as read: %v", err)
				}
			}
		})
	}
}
