package main

import (
	"flag"
	"os"
	"strconv"

	"github.com/musicpresence/animated-album-covers/codec"
)

// renditionFlags are the flags of `convert` and `probe` that choose the rendition rules, with
// the service's variables as defaults, so that the command line reads a source as the service
// configured the same way would.
type renditionFlags struct {
	enabled bool
	rules   string
}

func (r *renditionFlags) register(fs *flag.FlagSet) {
	enabled := true
	if v, err := strconv.ParseBool(os.Getenv("SOURCE_RENDITIONS")); err == nil {
		enabled = v
	}
	fs.BoolVar(&r.enabled, "renditions", enabled,
		"fetch the smallest rendition good enough for the output when a rule names the source's sizes (default from SOURCE_RENDITIONS)")
	fs.StringVar(&r.rules, "rendition-rules", os.Getenv("SOURCE_RENDITION_RULES"),
		"further rendition rules: a JSON array, or the path of a file holding one (default from SOURCE_RENDITION_RULES)")
}

// load returns the rules to use: none when switched off, else the configured ones in front of
// the built-in ones.
func (r *renditionFlags) load() ([]codec.RenditionRule, error) {
	rules, err := codec.ConfiguredRenditionRules(r.rules)
	if err != nil || !r.enabled {
		return nil, err
	}
	return rules, nil
}
