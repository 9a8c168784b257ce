package codec

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// Input is what Open returns: the video track of one input, demuxed, with the duration limit
// and the cancellation of each Next, and what reading it took: the fetch statistics, the
// rendition and the HLS variant read, and where the source ended when it was cut short.
type Input struct {
	fetcher     *fetch.Fetcher
	stream      *fetch.Stream // the media's bytes; Close ends its requests
	demux       demuxer
	info        StreamInfo         // as it was when Open returned
	cancel      context.CancelFunc // ends every request of the source
	maxDuration time.Duration
	hls         *HLSChoice // what a master offered, when the input was a playlist
	missing     []string   // renditions tried before the one read, which the origin did not have
	given       int        // samples Next returned
	truncated   error      // why the source ended inside itself (ErrTruncated), if it did
	err         error      // after the end or a failure, every Next returns it
}

// Info describes the stream as Open found it.
func (in *Input) Info() StreamInfo { return in.info }

// Next returns the next sample in decoding order, or io.EOF after the last one before the
// duration limit.
func (in *Input) Next(ctx context.Context) (Sample, error) {
	if in.err != nil {
		return Sample{}, in.err
	}
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	stop := context.AfterFunc(ctx, in.cancel)
	sample, err := in.demux.Next(ctx)
	stop()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		// A source cut inside itself but served whole is read up to the cut, as ffmpeg reads
		// it: what comes before is good. Without a sample before it, it is broken.
		if errors.Is(err, ErrTruncated) && in.given > 0 {
			in.truncated, err = err, io.EOF
		}
		in.err = err
		return Sample{}, err
	}
	if in.maxDuration > 0 && sample.DTS >= in.maxDuration {
		in.err = io.EOF
		return Sample{}, io.EOF
	}
	in.given++
	return sample, nil
}

// Truncated says why the source ended before its container's end (wrapping ErrTruncated) when
// it did: Next then returned io.EOF at the cut. nil when the source was read to its end, or
// not yet.
func (in *Input) Truncated() error {
	if in.err == io.EOF {
		return in.truncated
	}
	return nil
}

// Close ends every request of the source; Next fails after it.
func (in *Input) Close() error {
	in.cancel()
	if in.err == nil {
		in.err = errors.New("codec: source closed")
	}
	return in.stream.Close()
}

// Fetched is what the source cost to fetch so far, over every request (renditions tried and
// playlists included).
func (in *Input) Fetched() fetch.Stats { return in.fetcher.Stats() }

// HLS is what the playlist offered and which variant of a master was read; nil when the input
// was not a playlist.
func (in *Input) HLS() *HLSChoice { return in.hls }

// RenditionsMissing are the smaller renditions a rule named that the origin did not have,
// tried in this order before the one read.
func (in *Input) RenditionsMissing() []string { return in.missing }
