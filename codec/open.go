package codec

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// DefaultOutputSize is the output size the variant choice aims at when none is given.
const DefaultOutputSize = 80

// OpenOptions says how a source is fetched and how much of it is read.
type OpenOptions struct {
	// Fetch says how the source's resources are fetched: timeouts, byte limit, host check.
	Fetch fetch.Options
	// OutputSize is the size of the square the output must fit: HLS variant choice takes the
	// smallest H.264 variant whose shorter side is at least twice it. 0: DefaultOutputSize.
	OutputSize int
	// MaxDuration stops the source at the first sample whose decoding time reaches it (every
	// picture shown before it has then been given). 0: no limit.
	MaxDuration time.Duration
	// Renditions name cheaper sizes of a source URL (see RenditionRule); the first rule that
	// matches is used. nil: the URL is fetched as given (DefaultRenditionRules is the service's
	// default).
	Renditions []RenditionRule
}

// Open opens a source: an http(s) URL or a file path holding an MP4 (progressive or
// fragmented), an MPEG-TS stream, or an HLS playlist (master or media), told apart by content.
// It reads up to the first samples, so that Info is complete and oversized or unsupported
// streams are refused before any decoding. ctx bounds Open; each Next has its own; Close ends
// every request.
func Open(ctx context.Context, input string, opts OpenOptions) (*Input, error) {
	loc, err := fetch.ParseInput(input)
	if err != nil {
		return nil, err
	}
	if opts.OutputSize <= 0 {
		opts.OutputSize = DefaultOutputSize
	}
	rules, err := compileRenditionRules(opts.Renditions)
	if err != nil {
		return nil, err
	}
	// The source's requests outlive Open: they hang on a context of their own, cancelled by
	// Close, by the cancellation of Open's context while Open runs, and by that of Next's.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	in := &Input{fetcher: fetch.New(opts.Fetch), cancel: cancel, maxDuration: opts.MaxDuration}
	if err := in.openCheapest(life, loc, rules, opts); err != nil {
		cancel()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, err
	}
	return in, nil
}

// open opens loc and the demuxer of what it holds: the one place where content decides. A
// playlist leads to the stream of its media, whose segments are told apart the same way.
func (in *Input) open(ctx context.Context, loc *url.URL, opts OpenOptions) error {
	stream, err := in.fetcher.Open(ctx, loc)
	if err != nil {
		return err
	}
	k, err := sniff(stream)
	if err != nil {
		stream.Close()
		return fmt.Errorf("%s: %w", stream.Name(), err)
	}
	var hls *HLSChoice
	if k == kindHLS {
		if stream, hls, err = openHLS(ctx, in.fetcher, stream, opts); err != nil {
			return err
		}
		if k, err = sniff(stream); err != nil {
			stream.Close()
			return fmt.Errorf("hls: %s: first segment: %w", hls.mediaName, err)
		}
	}
	playlist := ""
	if hls != nil {
		playlist = hls.mediaName
	}
	d, err := openDemuxer(stream, k, playlist)
	if err != nil {
		stream.Close()
		return err
	}
	in.stream, in.demux, in.hls = stream, d, hls
	in.info = d.Info()
	if u := stream.URL(); u != nil {
		in.info.URL = fetch.DisplayName(u)
	}
	if hls != nil {
		// The playlist knows the whole duration; the container, only the segments read.
		in.info.Duration, in.info.Frames = hls.duration, 0
		if in.info.FrameRate == 0 && hls.Chosen >= 0 {
			in.info.FrameRate = hls.Variants[hls.Chosen].FrameRate
		}
	}
	return nil
}

// demuxer reads the access units of the video track of one container.
type demuxer interface {
	Info() StreamInfo
	Next(ctx context.Context) (Sample, error)
}

// openDemuxer opens the demuxer of a stream of kind k: MP4 (progressive or fragmented) or
// MPEG-TS, also as the segments of the media playlist named playlist ("" when the stream is no
// playlist's).
func openDemuxer(in byteStream, k kind, playlist string) (demuxer, error) {
	fromPlaylist := playlist != ""
	switch {
	case k == kindMP4 && fromPlaylist:
		return openMP4(in, "hls-fmp4")
	case k == kindMP4:
		return openMP4(in, "mp4")
	case k == kindTS && fromPlaylist:
		return openTS(in, "hls-ts")
	case k == kindTS:
		return openTS(in, "mpegts")
	case fromPlaylist:
		return nil, fmt.Errorf("%w: hls: %s: segments are %s, not MP4 or MPEG-TS", ErrUnsupported, playlist, k)
	}
	// A playlist is read by the caller, never given here.
	return nil, fmt.Errorf("%w: %s: %s is not a media container", ErrUnsupported, in.Name(), k)
}
