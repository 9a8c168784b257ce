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

	JobConcurrency int // CONVERSION_JOB_CONCURRENCY
	QueueSize      int // CONVERSION_QUEUE_SIZE

	// Conversion is how every conversion runs, from pipeline.DefaultOptions with:
	//
	//	Size                     MAXIMUM_OUTPUT_SIZE (and osz is capped at it)
	//	FrameRate                MAXIMUM_OUTPUT_FRAMERATE (and ofr is capped at it)
	//	MaxDuration              CONVERSION_MAX_STREAM_DURATION
	//	Threads                  CONVERSION_THREADS (or CONVERSION_FFMPEG_THREADS)
	//	Isolate                  CONVERSION_ISOLATE_DECODER, on by default here
	//	Source.Renditions        SOURCE_RENDITION_RULES in front of the built-in rules; nil
	//	                         when SOURCE_RENDITIONS=0 (every source fetched as asked)
	//	Source.Fetch.Timeout     CONVERSION_STREAM_HTTP_TIMEOUT
	//	Source.Fetch.MaxBytes    CONVERSION_MAX_SOURCE_BYTES
	//	Source.Fetch.BufferSize  CONVERSION_STREAM_BUFFER_SIZE
	//
	// Worker, the decode worker's limits, is not in the contract: its defaults follow the
	// conversion limits; tests lower them. The server adds the source policy (the fetch
	// client and the host check) and each token's parameters.
	Conversion pipeline.Options

	RedisURL string // REDIS_URL, or redis://REDIS_HOSTNAME:REDIS_PORT; empty: in-process store
	Debug    bool   // DEBUG

	// MemoryStoreBytes bounds the in-process store's results (MEMORY_STORE_BYTES; not in the
	// earlier contract: the original always had Redis).
	MemoryStoreBytes int64
	// DevSamplesDir, when set (DEV_SAMPLES_DIR), serves that folder under /dev/samples/ so that
	// `make run` has a local origin. Development only: it is never set in production.
	DevSamplesDir string
}

// Default values of the service's own settings, as docs/API.md gives them. The conversion's
// are pipeline's and fetch's (pipeline.DefaultOptions).
const (
	defaultBaseURL          = "http://localhost:8080"
	defaultListenAddr       = ":8080"
	defaultSourceHosts      = "resources.tidal.com,mvod.itunes.apple.com"
	defaultTokenSize        = 48
	defaultTokenTTL         = time.Hour
	defaultTokenTTLRes      = time.Minute
	defaultResultTTL        = time.Hour
	defaultQueueSize        = 64
	defaultMemoryStoreBytes = 256 << 20
	defaultIsolateDecoder   = true // a decoder crash fails one conversion, not the service
)

// JobTimeout is the deadline of one conversion, whether anyone still reads it or not: long
// enough for a slow origin to deliver the longest part converted, short enough that a stuck
// origin does not hold a job slot for ever.
func (c Config) JobTimeout() time.Duration {
	return max(2*time.Minute, 2*c.Conversion.Source.Fetch.Timeout+4*c.Conversion.MaxDuration)
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
		TokenTTL:            p.millis("TOKEN_TTL", defaultTokenTTL, 0),
		TokenTTLResolution:  p.millis("TOKEN_TTL_RESOLUTION", defaultTokenTTLRes, 0),
		ResultTTL:           p.millis("CONVERSION_RESULT_TTL", defaultResultTTL, 0),
		JobConcurrency:      p.positive("CONVERSION_JOB_CONCURRENCY", runtime.NumCPU()),
		QueueSize:           p.nonNegative("CONVERSION_QUEUE_SIZE", defaultQueueSize),
		Conversion:          p.conversion(),
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

// conversion reads the settings of every conversion into pipeline's defaults, within
// pipeline's limits, so that a configuration the service starts with is one every conversion
// accepts (pipeline.Options.Validate).
func (p *configParser) conversion() pipeline.Options {
	o := pipeline.DefaultOptions()
	o.Size = p.integer("MAXIMUM_OUTPUT_SIZE", o.Size, 1, pipeline.MaxSize)
	o.FrameRate = p.rate("MAXIMUM_OUTPUT_FRAMERATE", o.FrameRate, pipeline.MaxFrameRate)
	o.MaxDuration = p.millis("CONVERSION_MAX_STREAM_DURATION", o.MaxDuration, pipeline.MaxMaxDuration)
	o.Threads = p.integer("CONVERSION_THREADS", p.integer("CONVERSION_FFMPEG_THREADS", o.Threads, 1, pipeline.MaxThreads), 1, pipeline.MaxThreads)
	o.Isolate = p.booleanOr("CONVERSION_ISOLATE_DECODER", defaultIsolateDecoder)
	o.Source.Renditions = p.renditionRules()
	f := &o.Source.Fetch
	f.Timeout = p.millis("CONVERSION_STREAM_HTTP_TIMEOUT", f.Timeout, 0)
	f.MaxBytes = int64(p.positive("CONVERSION_MAX_SOURCE_BYTES", int(f.MaxBytes)))
	f.BufferSize = p.positive("CONVERSION_STREAM_BUFFER_SIZE", f.BufferSize)
	return o
}

// RenditionSettings are how the environment sets renditions up, as written: SOURCE_RENDITIONS
// (On; on unless 0) and SOURCE_RENDITION_RULES (Rules: JSON, or the path of a file holding it).
// The service reads them in LoadConfig; the command line's flags default to them.
type RenditionSettings struct {
	On    bool
	Rules string
}

// LoadRenditionSettings reads SOURCE_RENDITIONS and SOURCE_RENDITION_RULES through lookup as
// LoadConfig does, as strictly: a SOURCE_RENDITIONS other than a boolean is an error.
func LoadRenditionSettings(lookup func(string) (string, bool)) (RenditionSettings, error) {
	p := configParser{lookup: lookup}
	r := p.renditionSettings()
	return r, errors.Join(p.errs...)
}

// RuleList returns the rules to use: none when switched off, else the configured ones in front
// of the built-in ones. The rules are checked even when switched off, so that turning them back
// on cannot meet a rule nobody has checked.
func (r RenditionSettings) RuleList() ([]codec.RenditionRule, error) {
	rules, err := codec.ConfiguredRenditionRules(r.Rules)
	if err != nil || !r.On {
		return nil, err
	}
	return rules, nil
}

func (p *configParser) renditionSettings() RenditionSettings {
	return RenditionSettings{On: p.booleanOr("SOURCE_RENDITIONS", true), Rules: p.str("SOURCE_RENDITION_RULES", "")}
}

func (p *configParser) renditionRules() []codec.RenditionRule {
	rules, err := p.renditionSettings().RuleList()
	if err != nil {
		p.fail("SOURCE_RENDITION_RULES: %v", err)
	}
	return rules
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

// integer reads an integer of at least least and, unless most is 0, at most most.
func (p *configParser) integer(name string, def, least, most int) int {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	switch {
	case most > 0 && (err != nil || n < least || n > most):
		p.fail("%s: want an integer from %d to %d, got %q", name, least, most, v)
		return def
	case err != nil || n < least:
		p.fail("%s: want an integer of at least %d, got %q", name, least, v)
		return def
	}
	return n
}

func (p *configParser) positive(name string, def int) int    { return p.integer(name, def, 1, 0) }
func (p *configParser) nonNegative(name string, def int) int { return p.integer(name, def, 0, 0) }

// millis reads a duration given in milliseconds, as the original deployment did: at least 1,
// and at most most unless it is 0.
func (p *configParser) millis(name string, def, most time.Duration) time.Duration {
	return time.Duration(p.integer(name, int(def/time.Millisecond), 1, int(most/time.Millisecond))) * time.Millisecond
}

// rate reads frames per second in (0, most].
func (p *configParser) rate(name string, def float64, most int) float64 {
	v, ok := p.get(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= float64(most)) {
		p.fail("%s: want frames per second in (0, %d], got %q", name, most, v)
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
	port := p.integer("REDIS_PORT", 6379, 1, 0)
	return "redis://" + host + ":" + strconv.Itoa(port)
}
