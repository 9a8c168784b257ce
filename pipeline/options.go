package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/fetch"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// algorithmVersion changes whenever the bytes a conversion makes of the same source and
// options change (a new palette rule, dither, resize), so caches keyed by Fingerprint never
// serve a result made the old way.
const algorithmVersion = 2

// Options are the settings of one conversion. The zero value of a field means its default.
type Options struct {
	Size        int           // the GIF fits in Size x Size, aspect ratio kept (default 80)
	FrameRate   float64       // frames per second at most (default 24)
	MaxDuration time.Duration // longest part of the source converted (default 30 s)
	Colors      int           // palette size, 2..256 (default: gifenc's)
	Dither      gifenc.Dither // how colours between palette entries are drawn (default: Bayer)
	Threads     int           // decoders running at once within this conversion (default 1)

	// Source configures fetching: timeouts, byte limit, the host check, the HTTP client.
	// The output size and duration limit above are passed on to it.
	Source codec.OpenOptions
	// Isolate decodes in a child process (a decode worker, see internal/decodeworker) with memory and CPU
	// limits, so that a crash of the C decoder fails this conversion only: with
	// ErrDecoderCrashed. The output is the same bytes either way.
	Isolate bool
	// Worker says how the decode worker runs when Isolate is set; the zero value runs this
	// executable with WorkerCommand at the default limits.
	Worker WorkerOptions
	// Progress, when set, is called with the statistics so far after every GIF frame, on the
	// encoding goroutine; it must be quick.
	Progress func(Stats)
}

// Limits on Options, checked by Validate.
const (
	MaxSize        = 1024 // the service makes thumbnails; larger sizes are a mistake or an attack
	MaxFrameRate   = 50   // browsers show GIF delays below 2/100 s as 1/10 s
	MaxMaxDuration = 5 * time.Minute
	MaxThreads     = 64
)

// ErrOptions is wrapped by every error of Validate.
var ErrOptions = errors.New("pipeline: bad options")

// Validate checks o (zero fields stand for defaults) and says what is wrong.
func (o Options) Validate() error {
	var errs []error
	if o.Size < 0 || o.Size > MaxSize {
		errs = append(errs, fmt.Errorf("%w: size %d, want 1..%d", ErrOptions, o.Size, MaxSize))
	}
	if o.FrameRate < 0 || o.FrameRate > MaxFrameRate || math.IsNaN(o.FrameRate) {
		errs = append(errs, fmt.Errorf("%w: frame rate %g, want up to %d", ErrOptions, o.FrameRate, MaxFrameRate))
	}
	if o.MaxDuration < 0 || o.MaxDuration > MaxMaxDuration {
		errs = append(errs, fmt.Errorf("%w: max duration %s, want up to %s", ErrOptions, o.MaxDuration, MaxMaxDuration))
	}
	if o.Colors != 0 && (o.Colors < 2 || o.Colors > 256) {
		errs = append(errs, fmt.Errorf("%w: %d colors, want 2..256", ErrOptions, o.Colors))
	}
	if err := o.Dither.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrOptions, err))
	}
	if err := o.Source.Fetch.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrOptions, err))
	}
	if o.Worker.MaxMemory < 0 || o.Worker.MaxCPU < 0 {
		errs = append(errs, fmt.Errorf("%w: decode worker limits %d bytes, %s CPU, want 0 (default) or more", ErrOptions, o.Worker.MaxMemory, o.Worker.MaxCPU))
	}
	if o.Threads < 0 || o.Threads > MaxThreads {
		errs = append(errs, fmt.Errorf("%w: %d threads, want 1..%d", ErrOptions, o.Threads, MaxThreads))
	}
	return errors.Join(errs...)
}

// Defaults for Options.
const (
	DefaultSize        = codec.DefaultOutputSize // the size the codec chooses HLS variants for
	DefaultFrameRate   = 24
	DefaultMaxDuration = 30 * time.Second
)

// DefaultOptions are the options the zero Options stand for, written out, fetching included:
// what a caller that shows the defaults or overrides some of them starts from (the command
// line's flags, the service's configuration).
func DefaultOptions() Options {
	o := Options{}.withDefaults()
	o.Source.Fetch = fetch.DefaultOptions()
	return o
}

func (o Options) withDefaults() Options {
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.FrameRate == 0 {
		o.FrameRate = DefaultFrameRate
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = DefaultMaxDuration
	}
	if o.Threads == 0 {
		o.Threads = 1
	}
	if o.Colors == 0 {
		o.Colors = gifenc.DefaultColors // so that asking for the default shares its fingerprint
	}
	return o
}

// Fingerprint names the output these options make: equal fingerprints, identical bytes for the
// same source. Threads, Isolate, Worker and fetching do not change the output and are left out;
// whether rendition rules are on does (a smaller rendition makes other bytes), so replicas
// configured differently never share results.
func (o Options) Fingerprint() string {
	o = o.withDefaults()
	// The default dither is written as nothing, as when Dither was a name that the service
	// left empty: the service's fingerprints stay those of earlier versions, so that its cached
	// results survive an upgrade and replicas of both versions share conversions meanwhile.
	dither := ""
	if o.Dither != gifenc.DitherBayer {
		dither = o.Dither.String()
	}
	s := fmt.Sprintf("v%d size=%d fps=%g max=%s colors=%d dither=%s renditions=%t",
		algorithmVersion, o.Size, o.FrameRate, o.MaxDuration, o.Colors, dither, len(o.Source.Renditions) > 0)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// Stats describe one conversion, for logs, metrics and the command line's summary.
type Stats struct {
	SourceURL   string // the URL (or path) actually read, after variant or rendition choice
	SourceBytes int64  // bytes fetched from the origin
	// Truncated says why the source ended inside itself (wrapping codec.ErrTruncated): the GIF
	// holds what came before the cut. nil when the source was read to its end.
	Truncated error
	Samples   int // access units read
	Decoded   int // pictures decoded
	Skipped   int // non-reference pictures never decoded, as no frame shows them
	Dropped   int // pictures decoded but not shown (frame-rate limit)
	Encoded   int // frames given to the GIF encoder
	// LocalPalettes is the number of local colour tables the encoder built (about one per scene
	// the global one does not serve); LocalFrames the GIF images that carry one.
	LocalPalettes, LocalFrames int
	OutputBytes                int64 // GIF bytes written

	Duration time.Duration // media time of the GIF so far (its total length at the end)
	Expected time.Duration // how long the GIF will be, when the source says (else 0)

	// FirstByte is from the start to the first GIF bytes written: the header and the frames of
	// the palette window (gifenc.Options.PaletteWindow), which wait for the global palette.
	FirstByte time.Duration
	Wall      time.Duration // from the start to the end
	// Work per stage. DecodeTime, ResizeTime and EncodeTime are CPU time of the stage's threads
	// (summed over the decoding threads; in a decode worker's process when isolated), so that a
	// loaded machine's waits are not counted as work. FetchTime is the wall time spent waiting
	// for the source's next sample (network and demuxing).
	FetchTime, DecodeTime, ResizeTime, EncodeTime time.Duration
}
