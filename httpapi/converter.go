package httpapi

import (
	"context"
	"io"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// PipelineConverter converts with pipeline.Convert, fetching through policy: its client (which
// dials only allowed addresses and checks redirects) and its CheckURL (which the codec asks
// before every request, playlist entries and renditions included), within the configured
// timeouts and limits. The cache keys stay the URL the client asked for, whichever rendition
// is read.
func PipelineConverter(cfg Config, policy *sourcePolicy) Converter {
	fetchOpts := fetch.Options{
		Client:     policy.client(),
		Timeout:    cfg.StreamHTTPTimeout,
		MaxBytes:   cfg.MaxSourceBytes,
		BufferSize: cfg.StreamBufferSize,
		CheckURL:   policy.checkURL,
	}
	return func(ctx context.Context, input string, opts pipeline.Options, w io.Writer) (pipeline.Stats, error) {
		opts.Source.Fetch = fetchOpts
		return pipeline.Convert(ctx, input, opts, w)
	}
}
