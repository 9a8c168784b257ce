package codec

import "context"

func openHLS(ctx context.Context, f *fetcher, in *mediaStream, opts OpenOptions) (Source, error) {
	return nil, ErrUnsupported
}
