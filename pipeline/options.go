package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// algorithmVersion changes whenever the bytes a conversion makes of the same source and
// options change (a new palette rule, dither, resize), so caches keyed by Fingerprint never
// serve a result made the old way.
const algorithmVersion = 1

// Options are the settings of one conversion. The zero value of a field means its default.
type Options struct {
	Size        int           // the GIF fits in Size x Size, aspect ratio kept (default 80)
	FrameRate   float64       // frames per second at most (default 24)
	MaxDuration time.Duration // longest part of the source converted (default 30 s)
	Colors      int           // palette size, 2..256 (default: gifenc's)
	Dither      string        // "bayer", "floyd-steinberg" or "none" (default: gifenc's)
	Threads     int           // decoders running at once within this conversion (default 1)
}

// Defaults for Options.
const (
	DefaultSize        = 80
	DefaultFrameRate   = 24
	DefaultMaxDuration = 30 * time.Second
)

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
	return o
}

// Fingerprint names the output these options make: equal fingerprints, identical bytes for the
// same source. Threads does not change the output and is left out.
func (o Options) Fingerprint() string {
	o = o.withDefaults()
	s := fmt.Sprintf("v%d size=%d fps=%g max=%s colors=%d dither=%s",
		algorithmVersion, o.Size, o.FrameRate, o.MaxDuration, o.Colors, o.Dither)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// Stats describe one conversion, for logs, metrics and the command line's summary.
type Stats struct {
	SourceURL   string // the URL (or path) actually read, after variant or rendition choice
	SourceBytes int64  // bytes fetched from the origin
	Samples     int    // access units read
	Decoded     int    // pictures decoded
	Skipped     int    // non-reference pictures never decoded, as no frame shows them
	Dropped     int    // pictures decoded but not shown (frame-rate limit)
	Encoded     int    // GIF frames written
	OutputBytes int64  // GIF bytes written

	FirstFrame time.Duration // from the start to the first GIF frame written
	Wall       time.Duration // from the start to the end
	// Busy time per stage (they overlap, so the sum exceeds Wall).
	FetchTime, DecodeTime, EncodeTime time.Duration
}
