package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// DefaultOutputSize is the output size the variant choice aims at when none is given.
const DefaultOutputSize = 80

// OpenOptions says how a source is fetched and how much of it is read.
type OpenOptions struct {
	FetchOptions
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
func Open(ctx context.Context, input string, opts OpenOptions) (Source, error) {
	loc, err := parseInput(input)
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
	s := &source{f: newFetcher(opts.FetchOptions), cancel: cancel, maxDuration: opts.MaxDuration}
	s.demux, err = s.openCheapest(life, loc, rules, opts)
	if err != nil {
		cancel()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, err
	}
	return s, nil
}

func (s *source) open(ctx context.Context, loc *url.URL, opts OpenOptions) (Source, error) {
	b, err := s.f.open(ctx, loc, 0, -1)
	if err != nil {
		return nil, err
	}
	in := newBodyStream(ctx, s.f, b)
	k, err := sniff(in.r)
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("%s: %w", in.name, err)
	}
	var src Source
	switch k {
	case kindMP4:
		src, err = openMP4(in, "mp4")
	case kindTS:
		src, err = openTS(in, "mpegts")
	case kindHLS:
		src, s.hls, err = openHLS(ctx, s.f, in, opts)
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return src, nil
}

// source is what Open returns: a demuxer with the duration limit, the cancellation of each
// Next, and the fetch statistics.
type source struct {
	demux       Source
	f           *fetcher
	cancel      context.CancelFunc // ends every request of the source
	maxDuration time.Duration
	hls         *hlsChoice // what a master offered, when the input was a playlist
	missing     []string   // renditions tried before the one read, which the origin did not have
	given       int        // samples Next returned
	truncated   error      // why the source ended inside itself (ErrTruncated), if it did
	err         error      // after the end or a failure, every Next returns it
}

func (s *source) Info() StreamInfo { return s.demux.Info() }

func (s *source) Next(ctx context.Context) (Sample, error) {
	if s.err != nil {
		return Sample{}, s.err
	}
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	stop := context.AfterFunc(ctx, s.cancel)
	sample, err := s.demux.Next(ctx)
	stop()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		// A source cut inside itself but served whole is read up to the cut, as ffmpeg reads
		// it: what comes before is good. Without a sample before it, it is broken.
		if errors.Is(err, ErrTruncated) && s.given > 0 {
			s.truncated, err = err, io.EOF
		}
		s.err = err
		return Sample{}, err
	}
	if s.maxDuration > 0 && sample.DTS >= s.maxDuration {
		s.err = io.EOF
		return Sample{}, io.EOF
	}
	s.given++
	return sample, nil
}

// Truncated says why the source ended before its container's end (wrapping ErrTruncated) when
// it did: Next then returned io.EOF at the cut. nil when the source was read to its end, or
// not yet.
func (s *source) Truncated() error {
	if s.err == io.EOF {
		return s.truncated
	}
	return nil
}

func (s *source) Close() error {
	s.cancel()
	if s.err == nil {
		s.err = errors.New("codec: source closed")
	}
	return s.demux.Close()
}

// BytesFetched is the bytes read from origins and files so far, over all requests.
func (s *source) BytesFetched() int64 { return s.f.fetched.Load() }

// Requests is the number of HTTP requests sent and files opened so far.
func (s *source) Requests() int64 { return s.f.requests.Load() }
