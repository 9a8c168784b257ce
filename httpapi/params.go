package httpapi

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// The optional /token parameters of the earlier service (docs/API.md, "GET /token"), with the
// ranges its schema gave them. Its validator (Ajv with type coercion) took decimal integers
// for the numbers and true or false for the booleans; anything else is a 400 here too.
const (
	paramSize       = "osz"            // integer >= 1: the GIF fits in osz x osz, at most MAXIMUM_OUTPUT_SIZE
	paramFrameRate  = "ofr"            // integer 1..60: frames per second, at most MAXIMUM_OUTPUT_FRAMERATE
	paramColors     = "out_gif_colors" // integer 2..256: palette size
	paramRealTime   = "rts"            // boolean: pace the output at its frame rate (accepted, not done)
	paramPreconvert = "pre"            // boolean: start converting at /token (always done)

	maxParamFrameRate = 60
	minParamColors    = 2
	maxParamColors    = 256
)

// decimalInteger is what the earlier service's validator coerced to an integer from a query
// string; a sign is allowed so that "-1" is refused for its range, not its form.
var decimalInteger = regexp.MustCompile(`^[+-]?[0-9]+$`)

// parseOptions reads the optional parameters of /token into key. It returns the message of the
// 400 for the first bad one.
func parseOptions(q url.Values, key *Key) (msg string) {
	ints := []struct {
		name  string
		least int
		most  int // 0: no upper bound
		into  *int
	}{
		{paramSize, 1, 0, &key.OSZ},
		{paramFrameRate, 1, maxParamFrameRate, &key.OFR},
		{paramColors, minParamColors, maxParamColors, &key.Colors},
	}
	for _, p := range ints {
		v, given, msg := single(q, p.name)
		if msg != "" {
			return msg
		}
		if !given {
			continue
		}
		n, err := strconv.Atoi(v)
		if !decimalInteger.MatchString(v) || err != nil || n < p.least || (p.most > 0 && n > p.most) {
			if p.most > 0 {
				return fmt.Sprintf("parameter %s: want an integer from %d to %d, got %q", p.name, p.least, p.most, v)
			}
			return fmt.Sprintf("parameter %s: want an integer of at least %d, got %q", p.name, p.least, v)
		}
		*p.into = n
	}
	bools := []struct {
		name string
		into **bool
	}{
		{paramRealTime, &key.RTS},
		{paramPreconvert, &key.PRE},
	}
	for _, p := range bools {
		v, given, msg := single(q, p.name)
		if msg != "" {
			return msg
		}
		if !given {
			continue
		}
		b := v == "true"
		if !b && v != "false" {
			return fmt.Sprintf("parameter %s: want true or false, got %q", p.name, v)
		}
		*p.into = &b
	}
	return ""
}

// single returns the one value of parameter name. A parameter given twice is refused: the
// earlier service's parser made an array of it, which no integer or boolean schema accepts.
func single(q url.Values, name string) (v string, given bool, msg string) {
	vs, ok := q[name]
	switch {
	case !ok:
		return "", false, ""
	case len(vs) > 1:
		return "", false, "parameter " + name + ": given more than once"
	}
	return vs[0], true, ""
}

// conversionOptions are the pipeline options of key's conversion: the service's, with the
// client's size, frame rate and palette size applied within the configured maxima. Two keys
// whose options come out equal share one result (their fingerprints are equal): osz=200 and
// osz=80 under MAXIMUM_OUTPUT_SIZE=80 make the same bytes.
func (s *Server) conversionOptions(key Key) pipeline.Options {
	opts := s.options
	if key.OSZ > 0 {
		opts.Size = min(key.OSZ, cmp.Or(opts.Size, pipeline.DefaultSize))
	}
	if key.OFR > 0 {
		opts.FrameRate = min(float64(key.OFR), cmp.Or(opts.FrameRate, pipeline.DefaultFrameRate))
	}
	if key.Colors > 0 {
		opts.Colors = key.Colors
	}
	return opts
}

// resultID names the output of key's conversion (see ResultID).
func (s *Server) resultID(key Key) string {
	return ResultID(s.conversionOptions(key).Fingerprint(), key)
}
