// Package httpapi is the service: /token hands out capabilities for conversions, /convert streams
// GIFs while they are made and serves them from a cache afterwards, behind auth, a source policy,
// a bounded job queue and Prometheus metrics.
package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Config is the service's configuration, read from the environment with the names of the
// original deployment (docs/API.md, "Configuration").
type Config struct {
	BaseURL             string   // SERVER_BASE_URL: put in front of /convert.gif in /token answers
	ListenAddr          string   // LISTEN_ADDR
	SourceHosts         []string // SOURCE_HOSTNAME_WHITELIST, lower case
	AllowPrivateSources bool     // ALLOW_PRIVATE_SOURCES

	TokenUsername, TokenPassword       string // TOKEN_AUTH_USERNAME / TOKEN_AUTH_PASSWORD
	MetricsUsername, MetricsBcryptHash string // METRICS_AUTH_USERNAME / METRICS_AUTH_PASSWORD_BCRYPT

	TokenSize          int           // TOKEN_SIZE, random bytes per token
	TokenTTL           time.Duration // TOKEN_TTL
	TokenTTLResolution time.Duration // TOKEN_TTL_RESOLUTION
	ResultTTL          time.Duration // CONVERSION_RESULT_TTL

	OutputSize        int           // MAXIMUM_OUTPUT_SIZE
	OutputFrameRate   float64       // MAXIMUM_OUTPUT_FRAMERATE
	MaxStreamDuration time.Duration // CONVERSION_MAX_STREAM_DURATION
	StreamBufferSize  int           // CONVERSION_STREAM_BUFFER_SIZE
	StreamHTTPTimeout time.Duration // CONVERSION_STREAM_HTTP_TIMEOUT
	MaxSourceBytes    int64         // CONVERSION_MAX_SOURCE_BYTES
	JobConcurrency    int           // CONVERSION_JOB_CONCURRENCY
	QueueSize         int           // CONVERSION_QUEUE_SIZE
	Threads           int           // CONVERSION_THREADS (or CONVERSION_FFMPEG_THREADS)
	IsolateDecoder    bool          // CONVERSION_ISOLATE_DECODER: decode in a child process (pipeline.Options.Isolate)
	// Renditions: SOURCE_RENDITION_RULES in front of the built-in rules; nil when
	// SOURCE_RENDITIONS=0 (every source fetched exactly as asked).
	Renditions []codec.RenditionRule

	RedisURL string // REDIS_URL, or redis://REDIS_HOSTNAME:REDIS_PORT; empty: in-process store
	Debug    bool   // DEBUG

	// DecoderWorker sets the decode worker's limits when IsolateDecoder is on (not in the
	// contract: the defaults follow the conversion limits; tests lower them).
	DecoderWorker pipeline.WorkerOptions
	// MemoryStoreBytes bounds the in-process store's results (not in the contract: the original
	// always had Redis).
	MemoryStoreBytes int64
	// DevSamplesDir, when set (DEV_SAMPLES_DIR), serves that folder under /dev/samples/ so that
	// `make run` has a local origin. Development only: it is never set in production.
	DevSamplesDir string
}

// Default values, as docs/API.md gives them.
const (
	defaultBaseURL          = "http://localhost:8080"
	defaultListenAddr       = ":8080"
	defaultSourceHosts      = "resources.tidal.com,mvod.itunes.apple.com"
	defaultTokenSize        = 48
	defaultTokenTTL         = time.Hour
	defaultTokenTTLRes      = time.Minute
	defaultResultTTL        = time.Hour
	defaultStreamBuffer     = 64 << 10
	defaultStreamTimeout    = 30 * time.Second
	defaultMaxSourceBytes   = 64 << 20
	defaultQueueSize        = 64
	defaultMemoryStoreBytes = 256 << 20
)

// JobTimeout is the deadline of one conversion, whether anyone still reads it or not: long
// enough for a slow origin to deliver the longest part converted, short enough that a stuck
// origin does not hold a job slot for ever.
func (c Config) JobTimeout() time.Duration {
	return max(2*time.Minute, 2*c.StreamHTTPTimeout+4*c.MaxStreamDuration)
}

// PipelineOptions are the conversion settings the configuration asks for.
func (c Config) PipelineOptions() pipeline.Options {
	return pipeline.Options{
		Size:        c.OutputSize,
		FrameRate:   c.OutputFrameRate,
		MaxDuration: c.MaxStreamDuration,
		Threads:     c.Threads,
		Isolate:     c.IsolateDecoder,
		Worker:      c.DecoderWorker,
		Source:      codec.OpenOptions{Renditions: c.Renditions},
	}
}

// MetricsAuth tells whether /metrics is protected.
func (c Config) MetricsAuth() bool { return c.MetricsUsername != "" && c.MetricsBcryptHash != "" }

// LoadConfig reads the configuration through lookup (os.LookupEnv in production) and checks it,
// returning every problem at once, one line each, so an operator fixes them in one go. Secrets
// never appear in the messages.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	p := configParser{lookup: lookup}
	c := Config{
		BaseURL:             strings.TrimRight(p.str("SERVER_BASE_URL", defaultBaseURL), "/"),
		ListenAddr:          p.str("LISTEN_ADDR", defaultListenAddr),
		SourceHosts:         p.hosts("SOURCE_HOSTNAME_WHITELIST", defaultSourceHosts),
		AllowPrivateSources: p.boolean("ALLOW_PRIVATE_SOURCES"),
		TokenUsername:       p.required("TOKEN_AUTH_USERNAME"),
		TokenPassword:       p.required("TOKEN_AUTH_PASSWORD"),
		MetricsUsername:     p.str("METRICS_AUTH_USERNAME", ""),
		MetricsBcryptHash:   p.bcryptHash("METRICS_AUTH_PASSWORD_BCRYPT"),
		TokenSize:           p.positive("TOKEN_SIZE", defaultTokenSize),
		TokenTTL:            p.millis("TOKEN_TTL", defaultTokenTTL),
		TokenTTLResolution:  p.millis("TOKEN_TTL_RESOLUTION", defaultTokenTTLRes),
		ResultTTL:           p.millis("CONVERSION_RESULT_TTL", defaultResultTTL),
		OutputSize:          p.positive("MAXIMUM_OUTPUT_SIZE", pipeline.DefaultSize),
		OutputFrameRate:     p.rate("MAXIMUM_OUTPUT_FRAMERATE", pipeline.DefaultFrameRate),
		MaxStreamDuration:   p.millis("CONVERSION_MAX_STREAM_DURATION", pipeline.DefaultMaxDuration),
		StreamBufferSize:    p.positive("CONVERSION_STREAM_BUFFER_SIZE", defaultStreamBuffer),
		StreamHTTPTimeout:   p.millis("CONVERSION_STREAM_HTTP_TIMEOUT", defaultStreamTimeout),
		MaxSourceBytes:      int64(p.positive("CONVERSION_MAX_SOURCE_BYTES", defaultMaxSourceBytes)),
		JobConcurrency:      p.positive("CONVERSION_JOB_CONCURRENCY", runtime.NumCPU()),
		QueueSize:           p.nonNegative("CONVERSION_QUEUE_SIZE", defaultQueueSize),
		Threads:             p.positive("CONVERSION_THREADS", p.positive("CONVERSION_FFMPEG_THREADS", 1)),
		IsolateDecoder:      p.booleanOr("CONVERSION_ISOLATE_DECODER", true),
		Renditions:          p.renditions(),
		RedisURL:            p.redisURL(),
		Debug:               p.boolean("DEBUG"),
		MemoryStoreBytes:    int64(p.positive("MEMORY_STORE_BYTES", defaultMemoryStoreBytes)),
		DevSamplesDir:       p.str("DEV_SAMPLES_DIR", ""),
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail("SERVER_BASE_URL: want an absolute http(s) URL, got %q", c.BaseURL)
	}
	if (c.MetricsUsername == "") != (c.MetricsBcryptHash == "") {
		p.fail("METRICS_AUTH_USERNAME and METRICS_AUTH_PASSWORD_BCRYPT: set both or neither")
	}
	if c.TokenSize < 16 && c.TokenSize > 0 {
		p.fail("TOKEN_SIZE: %d bytes is too few to be unguessable (at least 16)", c.TokenSize)
	}
	if len(c.SourceHosts) == 0 {
		p.fail("SOURCE_HOSTNAME_WHITELIST: empty, no source could ever be converted")
	}
	return c, errors.Join(p.errs...)
}

// configParser reads variables and collects what is wrong with them.
type configParser struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (p *configParser) fail(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

func (p *configParser) get(name string) (string, bool) {
	v, ok := p.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (p *configParser) str(name, def string) string {
	if v, ok := p.get(name); ok {
		return v
	}
	return def
}

// bcryptHashForm is a bcrypt hash as hash-password tools print it: version 2a, 2b or 2y, a
// two-digit cost the library accepts, then 22 characters of salt and 31 of hash in bcrypt's
// base64 alphabet (./A-Za-z0-9).
var bcryptHashForm = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

// bcryptHash reads a bcrypt hash. .env holds it in single quotes, or compose would expand its
// `$`s; compose and LoadDotEnv drop the quotes, but `docker run --env-file` passes the rest of
// the line verbatim, quotes included. Quotes are not in bcrypt's alphabet, so one matching pair
// around a hash can only be those quotes and is dropped; what is left must then be a whole,
// well-formed hash, which is stricter than the "$2" prefix bcrypt's own parser settles for.
func (p *configParser) bcryptHash(name string) string {
	v, ok := p.get(name)
	if !ok {
		return ""
	}
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	if !bcryptHashForm.MatchString(v) {
		p.fail("%s: not a bcrypt hash ($2a$, $2b$ or $2y$, a cost of 04 to 31, 60 characters in all; make one with `server hash-password`)", name)
	}
	return v
}

func (p *configParser) required(name string) string {
	v, ok := p.get(name)
	if !ok {
		p.fail("%s: required, not set", name)
	}
	return v
}

func (p *configParser) boolean(name string) bool { return p.booleanOr(name, false) }

func (p *configParser) booleanOr(name string, def bool) bool {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail("%s: want 0 or 1, got %q", name, v)
	}
	return b
}

func (p *configParser) integer(name string, def, least int) int {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		p.fail("%s: want an integer of at least %d, got %q", name, least, v)
		return def
	}
	return n
}

func (p *configParser) positive(name string, def int) int    { return p.integer(name, def, 1) }
func (p *configParser) nonNegative(name string, def int) int { return p.integer(name, def, 0) }

// millis reads a duration given in milliseconds, as the original deployment did.
func (p *configParser) millis(name string, def time.Duration) time.Duration {
	return time.Duration(p.integer(name, int(def/time.Millisecond), 1)) * time.Millisecond
}

func (p *configParser) rate(name string, def float64) float64 {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 100 {
		p.fail("%s: want frames per second in (0, 100], got %q", name, v)
		return def
	}
	return f
}

func (p *configParser) hosts(name, def string) []string {
	var hosts []string
	for _, h := range strings.Split(p.str(name, def), ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/: ") {
			p.fail("%s: want host names only (no scheme, port or path), got %q", name, h)
			continue
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// renditions reads SOURCE_RENDITION_RULES (JSON, or the path of a JSON file) and
// SOURCE_RENDITIONS (default 1). The rules are checked even when switched off, so that turning
// them back on cannot meet a rule nobody has checked.
func (p *configParser) renditions() []codec.RenditionRule {
	on := true
	if v, ok := p.get("SOURCE_RENDITIONS"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.fail("SOURCE_RENDITIONS: want 0 or 1, got %q", v)
		}
		on = b
	}
	rules, err := codec.ConfiguredRenditionRules(p.str("SOURCE_RENDITION_RULES", ""))
	if err != nil {
		p.fail("SOURCE_RENDITION_RULES: %v", err)
		return nil
	}
	if !on {
		return nil
	}
	return rules
}

// redisURL reads REDIS_URL, or builds one from REDIS_HOSTNAME and REDIS_PORT (the original
// deployment's names). The URL may hold a password, so it is never repeated in a message.
func (p *configParser) redisURL() string {
	if v, ok := p.get("REDIS_URL"); ok {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			p.fail("REDIS_URL: want redis://[user:password@]host:port[/db]")
		}
		return v
	}
	host, ok := p.get("REDIS_HOSTNAME")
	if !ok {
		if _, ok := p.get("REDIS_PORT"); ok {
			p.fail("REDIS_PORT: set without REDIS_HOSTNAME")
		}
		return ""
	}
	port := p.integer("REDIS_PORT", 6379, 1)
	return "redis://" + host + ":" + strconv.Itoa(port)
}
