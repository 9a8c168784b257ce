package httpapi

import (
	"maps"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The defaults are docs/API.md's, whichever package holds them.
func TestConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(lookupMap(map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	conv, fetch := cfg.Conversion, cfg.Conversion.Source.Fetch
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"SERVER_BASE_URL", cfg.BaseURL, "http://localhost:8080"},
		{"LISTEN_ADDR", cfg.ListenAddr, ":8080"},
		{"SOURCE_HOSTNAME_WHITELIST", strings.Join(cfg.SourceHosts, ","), "resources.tidal.com,mvod.itunes.apple.com"},
		{"ALLOW_PRIVATE_SOURCES", cfg.AllowPrivateSources, false},
		{"METRICS_AUTH_*", cfg.MetricsAuth(), false},
		{"TOKEN_SIZE", cfg.TokenSize, 48},
		{"TOKEN_TTL", cfg.TokenTTL, time.Hour},
		{"TOKEN_TTL_RESOLUTION", cfg.TokenTTLResolution, time.Minute},
		{"CONVERSION_RESULT_TTL", cfg.ResultTTL, time.Hour},
		{"MAXIMUM_OUTPUT_SIZE", conv.Size, 80},
		{"MAXIMUM_OUTPUT_FRAMERATE", conv.FrameRate, 24.0},
		{"CONVERSION_MAX_STREAM_DURATION", conv.MaxDuration, 30 * time.Second},
		{"CONVERSION_STREAM_BUFFER_SIZE", fetch.BufferSize, 65536},
		{"CONVERSION_STREAM_HTTP_TIMEOUT", fetch.Timeout, 30 * time.Second},
		{"CONVERSION_MAX_SOURCE_BYTES", fetch.MaxBytes, int64(64 << 20)},
		{"CONVERSION_JOB_CONCURRENCY", cfg.JobConcurrency, runtime.NumCPU()},
		{"CONVERSION_QUEUE_SIZE", cfg.QueueSize, 64},
		{"CONVERSION_THREADS", conv.Threads, 1},
		{"CONVERSION_ISOLATE_DECODER", conv.Isolate, true},
		{"SOURCE_RENDITIONS", len(conv.Source.Renditions), 1},
		{"REDIS_URL", cfg.RedisURL, ""},
		{"MEMORY_STORE_BYTES", cfg.MemoryStoreBytes, int64(256 << 20)},
		{"DEBUG", cfg.Debug, false},
		{"DEV_SAMPLES_DIR", cfg.DevSamplesDir, ""},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: default %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if err := conv.Validate(); err != nil {
		t.Errorf("the default conversion settings: %v", err)
	}
}

// The conversion's variables are read within pipeline's limits: the largest value each takes
// is one every conversion accepts, and one more is refused at start, naming the variable,
// instead of failing every conversion that does not ask for less.
func TestConfigConversionLimits(t *testing.T) {
	base := map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p"}
	for _, tt := range []struct {
		name          string
		largest, over string
	}{
		{"MAXIMUM_OUTPUT_SIZE", "1024", "1025"},
		{"MAXIMUM_OUTPUT_FRAMERATE", "50", "50.5"},
		{"CONVERSION_MAX_STREAM_DURATION", "300000", "300001"},
		{"CONVERSION_THREADS", "64", "65"},
		{"CONVERSION_FFMPEG_THREADS", "64", "65"},
	} {
		env := maps.Clone(base)
		env[tt.name] = tt.largest
		cfg, err := LoadConfig(lookupMap(env))
		if err != nil {
			t.Errorf("%s=%s: %v", tt.name, tt.largest, err)
		} else if err := cfg.Conversion.Validate(); err != nil {
			t.Errorf("%s=%s is taken, but a conversion refuses it: %v", tt.name, tt.largest, err)
		}
		env[tt.name] = tt.over
		if _, err := LoadConfig(lookupMap(env)); err == nil || !strings.HasPrefix(err.Error(), tt.name+": ") {
			t.Errorf("%s=%s: %v, want it refused", tt.name, tt.over, err)
		}
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
	if cfg.Conversion.Threads != 3 || cfg.RedisURL != "redis://cache:6380" || cfg.BaseURL != "https://covers.example" ||
		strings.Join(cfg.SourceHosts, ",") != "resources.tidal.com,x.test" {
		t.Errorf("%+v", cfg)
	}
	cfg, err = LoadConfig(lookupMap(map[string]string{
		"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p", "CONVERSION_FFMPEG_THREADS": "3", "CONVERSION_THREADS": "2",
	}))
	if err != nil || cfg.Conversion.Threads != 2 {
		t.Errorf("CONVERSION_THREADS wins over the old name: %d, %v", cfg.Conversion.Threads, err)
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
