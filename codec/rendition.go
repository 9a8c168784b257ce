package codec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// RenditionRule says where an origin keeps the sizes of one video: for URLs on Host whose path
// matches Path, the same video exists at every size of Sizes, at Path with {size} written out.
// An 80 px GIF needs no more than a 160 px source, and TIDAL's 160x160.mp4 costs about 1/64 of
// the 1280x1280.mp4 clients usually ask for, to fetch and to decode (its pixels are 1/64 as
// many; TIDAL keeps every animated cover at 80, 160, 320, 640 and 1280 px and answers 403 for
// sizes it lacks).
//
// In JSON (SOURCE_RENDITION_RULES), TIDAL's rule reads:
//
//	{"host": "resources.tidal.com", "path": "/videos/*/{size}x{size}.mp4",
//	 "sizes": [80, 160, 320, 640, 1280], "originals": ["origin.mp4"]}
type RenditionRule struct {
	// Host is the URL's host, compared without regard to case. Without a port it matches the
	// host on any port; with one ("127.0.0.1:8081") only on that port.
	Host string `json:"host"`
	// Path is the path pattern. In its last segment {size} stands for a size in pixels (the
	// shorter side of the picture; it may appear more than once, as in {size}x{size}); in the
	// segments before it * stands for any non-empty run of characters, slashes included.
	Path string `json:"path"`
	// Sizes are the sizes the origin serves of every video.
	Sizes []int `json:"sizes"`
	// Originals are further names for the last segment that stand for the video at its full
	// size (TIDAL's origin.mp4); such a URL matches the rule too.
	Originals []string `json:"originals,omitempty"`
}

// Limits on rendition rules: each size listed may cost one failed request before the URL as
// given is fetched, so a rule may list only a few.
const (
	MaxRenditionRules = 32
	MaxRenditionSizes = 8
	// MaxRenditionRulesSize bounds the JSON of the rules (a file named by the configuration).
	MaxRenditionRulesSize = 64 << 10
)

// TIDALRendition is the built-in rule for TIDAL's animated covers: every cover is served at
// these sizes under one path, and sizes that do not exist answer 403.
var TIDALRendition = RenditionRule{
	Host:      "resources.tidal.com",
	Path:      "/videos/*/{size}x{size}.mp4",
	Sizes:     []int{80, 160, 320, 640, 1280},
	Originals: []string{"origin.mp4"},
}

// DefaultRenditionRules are the rules used unless configured otherwise.
func DefaultRenditionRules() []RenditionRule {
	r := TIDALRendition
	r.Sizes = slices.Clone(r.Sizes)
	r.Originals = slices.Clone(r.Originals)
	return []RenditionRule{r}
}

// ErrRenditionRule is wrapped by every error about a rule itself (not about a source).
var ErrRenditionRule = errors.New("bad rendition rule")

// ParseRenditionRules reads rules from a JSON array and checks them. Unknown fields are errors,
// so that a misspelt "originals" does not silently do nothing.
func ParseRenditionRules(data []byte) ([]RenditionRule, error) {
	if len(data) > MaxRenditionRulesSize {
		return nil, fmt.Errorf("%w: %d bytes of JSON, over the limit of %d", ErrRenditionRule, len(data), MaxRenditionRulesSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rules []RenditionRule
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("%w: want a JSON array of {\"host\",\"path\",\"sizes\",\"originals\"}: %v", ErrRenditionRule, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: text after the JSON array", ErrRenditionRule)
	}
	if _, err := compileRenditionRules(rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// LoadRenditionRules reads rules from value: JSON itself when it starts with '[', else the path
// of a file holding it (configuration may carry either).
func LoadRenditionRules(value string) ([]RenditionRule, error) {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "[") {
		return ParseRenditionRules([]byte(value))
	}
	st, err := os.Stat(value)
	if err != nil {
		return nil, fmt.Errorf("%w: neither a JSON array nor a readable file: %w", ErrRenditionRule, err)
	}
	if st.Size() > MaxRenditionRulesSize {
		return nil, fmt.Errorf("%w: %s: %d bytes, over the limit of %d", ErrRenditionRule, value, st.Size(), MaxRenditionRulesSize)
	}
	data, err := os.ReadFile(value)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRenditionRule, err)
	}
	rules, err := ParseRenditionRules(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", value, err)
	}
	return rules, nil
}

// ConfiguredRenditionRules are the rules a configuration value adds (JSON or a file path, as
// LoadRenditionRules reads; empty: none) in front of the built-in ones, so that a configured
// rule for TIDAL's host is the one that matches.
func ConfiguredRenditionRules(value string) ([]RenditionRule, error) {
	var rules []RenditionRule
	if strings.TrimSpace(value) != "" {
		var err error
		if rules, err = LoadRenditionRules(value); err != nil {
			return nil, err
		}
	}
	rules = append(rules, DefaultRenditionRules()...)
	if _, err := compileRenditionRules(rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// renditionRule is a checked rule, ready to match: sized matches a URL naming one size (its
// {size} groups captured), original one naming an original; both capture the * parts first.
type renditionRule struct {
	RenditionRule
	sized, original *regexp.Regexp
	stars           int // how many * the pattern has (the first groups of both expressions)
	sizes           []int
}

const sizePlaceholder = "{size}"

func compileRenditionRules(rules []RenditionRule) ([]renditionRule, error) {
	if len(rules) > MaxRenditionRules {
		return nil, fmt.Errorf("%w: %d rules, over the limit of %d", ErrRenditionRule, len(rules), MaxRenditionRules)
	}
	out := make([]renditionRule, 0, len(rules))
	for i, r := range rules {
		c, err := compileRenditionRule(r)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %d (host %q, path %q): %v", ErrRenditionRule, i+1, r.Host, r.Path, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func compileRenditionRule(r RenditionRule) (renditionRule, error) {
	c := renditionRule{RenditionRule: r}
	if r.Host == "" || strings.ContainsAny(r.Host, "/ ?#@") {
		return c, errors.New("host: want a host name, optionally with :port (no scheme or path)")
	}
	dir, last, ok := cutLastSegment(r.Path)
	if !ok {
		return c, errors.New("path: want an absolute path such as /videos/*/{size}x{size}.mp4")
	}
	if !strings.Contains(last, sizePlaceholder) {
		return c, errors.New("path: the last segment must hold {size}")
	}
	if strings.ContainsAny(strings.ReplaceAll(last, sizePlaceholder, ""), "*{}") {
		return c, errors.New("path: the last segment may hold only {size}, no * or other {…}")
	}
	if strings.ContainsAny(dir, "{}") {
		return c, errors.New("path: {size} may appear only in the last segment")
	}
	if strings.Contains(dir, "**") {
		return c, errors.New("path: ** is not a pattern here; one * already spans segments")
	}
	if len(r.Sizes) == 0 || len(r.Sizes) > MaxRenditionSizes {
		return c, fmt.Errorf("sizes: want 1 to %d sizes, got %d", MaxRenditionSizes, len(r.Sizes))
	}
	c.sizes = slices.Clone(r.Sizes)
	slices.Sort(c.sizes)
	for i, s := range c.sizes {
		if s <= 0 || s > yuv.MaxWidth {
			return c, fmt.Errorf("sizes: %d is not a size in 1..%d", s, yuv.MaxWidth)
		}
		if i > 0 && c.sizes[i-1] == s {
			return c, fmt.Errorf("sizes: %d listed twice", s)
		}
	}
	alternatives := make([]string, 0, len(r.Originals))
	for _, o := range r.Originals {
		if o == "" || strings.ContainsAny(o, "/*{}") {
			return c, fmt.Errorf("originals: want file names such as origin.mp4, got %q", o)
		}
		alternatives = append(alternatives, regexp.QuoteMeta(o))
	}
	c.stars = strings.Count(dir, "*")
	dirExpr := strings.ReplaceAll(regexp.QuoteMeta(dir), `\*`, `(.+)`)
	lastExpr := strings.ReplaceAll(regexp.QuoteMeta(last), regexp.QuoteMeta(sizePlaceholder), `([0-9]{1,5})`)
	c.sized = regexp.MustCompile("^" + dirExpr + "/" + lastExpr + "$")
	if len(alternatives) > 0 {
		c.original = regexp.MustCompile("^" + dirExpr + "/(?:" + strings.Join(alternatives, "|") + ")$")
	}
	return c, nil
}

// cutLastSegment splits an absolute path pattern at its last slash.
func cutLastSegment(p string) (dir, last string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if !strings.HasPrefix(p, "/") || i < 0 || i == len(p)-1 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// matchesHost compares u's host with the rule's: with its port when the rule names one.
func (c *renditionRule) matchesHost(u *url.URL) bool {
	if strings.Contains(c.Host, ":") {
		return strings.EqualFold(u.Host, c.Host)
	}
	return strings.EqualFold(u.Hostname(), c.Host)
}

// renditionCandidates lists the URLs to try before u itself, cheapest first: the sizes of the
// first rule that matches u whose shorter side is at least twice outputSize (the area-averaging
// resizer then has detail to average, as ChooseVariant's rule for HLS) and smaller than the size
// u asks for (a larger one would cost more for nothing). Nothing when no rule matches.
func renditionCandidates(rules []renditionRule, u *url.URL, outputSize int) []*url.URL {
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	for i := range rules {
		c := &rules[i]
		if !c.matchesHost(u) {
			continue
		}
		stars, asked, ok := c.match(u.Path)
		if !ok {
			continue
		}
		var out []*url.URL
		for _, s := range c.sizes {
			if s < 2*outputSize || s >= asked {
				continue
			}
			alt := *u
			alt.Path, alt.RawPath = c.write(stars, s), ""
			out = append(out, &alt)
		}
		return out
	}
	return nil
}

// match returns the * parts of path and the size it asks for: the smallest {size} written in
// it, or no limit for an original.
func (c *renditionRule) match(path string) (stars []string, asked int, ok bool) {
	if m := c.sized.FindStringSubmatch(path); m != nil {
		asked = -1
		for _, v := range m[1+c.stars:] {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, 0, false
			}
			if asked < 0 || n < asked {
				asked = n
			}
		}
		return m[1 : 1+c.stars], asked, true
	}
	if c.original != nil {
		if m := c.original.FindStringSubmatch(path); m != nil {
			return m[1 : 1+c.stars], int(^uint(0) >> 1), true
		}
	}
	return nil, 0, false
}

// write makes the path of the rendition of size s from the * parts of a matched path.
func (c *renditionRule) write(stars []string, s int) string {
	dir, last, _ := cutLastSegment(c.Path)
	var b strings.Builder
	parts := strings.Split(dir, "*")
	for i, p := range parts {
		b.WriteString(p)
		if i < len(stars) {
			b.WriteString(stars[i])
		}
	}
	b.WriteByte('/')
	b.WriteString(strings.ReplaceAll(last, sizePlaceholder, strconv.Itoa(s)))
	return b.String()
}

// renditionStatusMissing are the answers of an origin that does not have a rendition (TIDAL
// answers 403 for sizes it does not serve).
var renditionStatusMissing = []int{http.StatusForbidden, http.StatusNotFound, http.StatusGone}

// openCheapest opens the cheapest rendition of loc that a rule names and the origin has, else
// loc itself. A rendition the origin lacks answers 403 or 404 at once, and one that is not a
// video we can read fails on its first bytes (sniffing, or the movie box), so a miss costs one
// small request. Each try is a request of the same fetcher: the host check and the byte budget
// cover them all. Other failures (a timeout, a reset, the caller's cancellation) end the tries,
// as the URL as given would most likely fail the same way.
func (in *Input) openCheapest(ctx context.Context, loc *url.URL, rules []renditionRule, opts OpenOptions) error {
	for _, alt := range renditionCandidates(rules, loc, opts.OutputSize) {
		err := in.open(ctx, alt, opts)
		if err == nil || !renditionMissing(err) || ctx.Err() != nil {
			return err
		}
		in.missing = append(in.missing, fetch.Redact(alt))
	}
	return in.open(ctx, loc, opts)
}

// renditionMissing tells whether a failed try should pass on to the next rendition.
func renditionMissing(err error) bool {
	var st *fetch.StatusError
	if errors.As(err, &st) {
		return slices.Contains(renditionStatusMissing, st.Code)
	}
	return errors.Is(err, ErrUnsupported) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrForbidden)
}
