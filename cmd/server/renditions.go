package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/httpapi"
)

// renditionFlags are the flags of `convert` and `probe` that choose the rendition rules, with
// the service's variables as defaults, read as strictly as the service reads them, so that the
// command line reads a source as the service configured the same way would.
type renditionFlags struct {
	settings httpapi.RenditionSettings
	env      error // what is wrong with the variables
}

func (r *renditionFlags) register(fs *flag.FlagSet) {
	env, err := httpapi.LoadRenditionSettings(os.LookupEnv)
	r.env = err
	fs.BoolVar(&r.settings.On, "renditions", env.On,
		"fetch the smallest rendition good enough for the output when a rule names the source's sizes (default from SOURCE_RENDITIONS)")
	fs.StringVar(&r.settings.Rules, "rendition-rules", env.Rules,
		"further rendition rules: a JSON array, or the path of a file holding one (default from SOURCE_RENDITION_RULES)")
}

// load returns the rules to use: none when switched off, else the configured ones in front of
// the built-in ones. A variable the service would refuse is refused here too, flags or not.
func (r *renditionFlags) load() ([]codec.RenditionRule, error) {
	if r.env != nil {
		return nil, r.env
	}
	rules, err := r.settings.RuleList()
	if err != nil {
		return nil, fmt.Errorf("-rendition-rules: %w", err)
	}
	return rules, nil
}
