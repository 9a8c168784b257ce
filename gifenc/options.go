package gifenc

import (
	"fmt"
	"time"
)

// Defaults, chosen by bench/gifcompare (see bench/RESULTS.md, section gifenc).
const (
	// DefaultColors is the colour table size when Options.Colors is 0. One entry
	// is the transparent index, so 32 gives 31 visible colours, as ffmpeg's
	// palettegen=max_colors=32 (which reserves a transparent entry too) does.
	DefaultColors = 32
	// DefaultBayerStrength is the ordered dither's peak-to-peak size, as a
	// fraction of 64 levels, when Options.BayerStrength is 0 (ffmpeg's default
	// bayer_scale=2 is 0.25, bayer_scale=3 0.125). Real footage carries noise
	// that dithers by itself: on the real-footage corpus 0.125 gives 0.8 to 3 dB
	// more PSNR than 0.25 (blurred PSNR equal or better, so no more banding) for
	// the same bytes or fewer (bench/RESULTS.md, section gifenc).
	DefaultBayerStrength = 0.125
	// DefaultTolerance is Options.Tolerance when it is 0: a pixel keeps the
	// colour on screen when that colour's squared error against the source is
	// at most this squared (8-bit RGB) more than the new colour's.
	DefaultTolerance = 12
	// DefaultLocalPaletteError is Options.LocalPaletteError when it is 0.
	DefaultLocalPaletteError = 10.0
	// DefaultPaletteWindow is Options.PaletteWindow when it is 0.
	DefaultPaletteWindow = time.Second
)

// NoTolerance, as Options.Tolerance, makes frame differencing exact: a pixel is
// transparent only when its new colour equals the one on screen.
const NoTolerance = -1

// MaxDimension is the largest width or height a GIF can describe (16 bits).
const MaxDimension = 65535

// Options configure a Writer. The zero value of every field but Width and
// Height selects a default.
type Options struct {
	// Width and Height of every frame and of the GIF's logical screen.
	Width, Height int
	// Colors is the size of each colour table, 2..256, including the one
	// transparent entry; 0 means DefaultColors. Powers of two waste nothing.
	Colors int
	// Dither selects how colours between palette entries are rendered; the zero
	// value is DitherBayer.
	Dither Dither
	// BayerStrength is the ordered dither's peak-to-peak size as a fraction of
	// 64 levels, in (0, 1]; 0 means DefaultBayerStrength.
	BayerStrength float64
	// Tolerance: a pixel keeps the colour on screen (becomes transparent)
	// unless its new colour is better by more than Tolerance² in squared
	// Euclidean distance to the source (8-bit RGB). 0 means DefaultTolerance;
	// NoTolerance redraws every pixel whose output colour changes.
	Tolerance int
	// PaletteWindow is how much of the animation, from its first frame, the
	// global colour table is built from; those frames wait until it is built,
	// so a dark, faded or title first frame does not decide it. 0 means
	// DefaultPaletteWindow; negative builds it from the first frame alone and
	// starts the GIF at once.
	PaletteWindow time.Duration
	// LocalPaletteError is the colour error, RMS in 8-bit levels per channel,
	// above which the palette a frame is mapped to no longer serves it: the
	// frame gets the best palette already made, or a local colour table of its
	// own when that is much better. 0 means DefaultLocalPaletteError; negative
	// disables local colour tables.
	LocalPaletteError float64
}

// localLimit is LocalPaletteError as a mean squared error per channel, or -1.
func (o Options) localLimit() float64 {
	if o.LocalPaletteError < 0 {
		return -1
	}
	return o.LocalPaletteError * o.LocalPaletteError
}

// withDefaults returns o with zero fields set to their defaults, or an error
// wrapping ErrSize, ErrColors or ErrOption.
func (o Options) withDefaults() (Options, error) {
	if o.Width <= 0 || o.Height <= 0 || o.Width > MaxDimension || o.Height > MaxDimension {
		return o, fmt.Errorf("%w: %dx%d", ErrSize, o.Width, o.Height)
	}
	if o.Colors == 0 {
		o.Colors = DefaultColors
	}
	if o.Colors < 2 || o.Colors > 256 {
		return o, fmt.Errorf("%w: %d, want 2..256", ErrColors, o.Colors)
	}
	if err := o.Dither.Validate(); err != nil {
		return o, err
	}
	if o.BayerStrength == 0 {
		o.BayerStrength = DefaultBayerStrength
	}
	if !(o.BayerStrength > 0 && o.BayerStrength <= 1) {
		return o, fmt.Errorf("%w: bayer strength %g, want (0, 1]", ErrOption, o.BayerStrength)
	}
	switch {
	case o.Tolerance == 0:
		o.Tolerance = DefaultTolerance
	case o.Tolerance == NoTolerance:
	case o.Tolerance < 0 || o.Tolerance > 442:
		return o, fmt.Errorf("%w: tolerance %d, want 0..442 or NoTolerance", ErrOption, o.Tolerance)
	}
	if o.LocalPaletteError == 0 {
		o.LocalPaletteError = DefaultLocalPaletteError
	}
	if o.PaletteWindow == 0 {
		o.PaletteWindow = DefaultPaletteWindow
	}
	return o, nil
}

// Dither selects how a colour between palette entries is rendered.
type Dither int

const (
	// DitherBayer is ordered dithering with an 8x8 Bayer matrix. It depends
	// only on a pixel's colour and position, so an unchanged area stays
	// byte-identical from frame to frame and costs nothing after differencing.
	DitherBayer Dither = iota
	// DitherFloydSteinberg diffuses each pixel's error to its neighbours: the
	// best still picture, but noisy over time and so larger.
	DitherFloydSteinberg
	// DitherNone maps each pixel to its nearest palette colour.
	DitherNone
)

var ditherNames = [...]string{"bayer", "floyd-steinberg", "none"}

// String returns the name ParseDither accepts.
func (d Dither) String() string {
	if d < 0 || int(d) >= len(ditherNames) {
		return fmt.Sprintf("Dither(%d)", int(d))
	}
	return ditherNames[d]
}

// Validate tells whether d is one of the Dither constants; the error wraps ErrOption.
func (d Dither) Validate() error {
	if d < DitherBayer || d > DitherNone {
		return fmt.Errorf("%w: dither %d", ErrOption, int(d))
	}
	return nil
}

// MarshalText returns the name of d (encoding.TextMarshaler, for flags and configuration).
func (d Dither) MarshalText() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return []byte(d.String()), nil
}

// UnmarshalText sets d from its name (ParseDither).
func (d *Dither) UnmarshalText(text []byte) error {
	v, err := ParseDither(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDither parses "bayer", "floyd-steinberg" or "none".
func ParseDither(s string) (Dither, error) {
	for i, n := range ditherNames {
		if s == n {
			return Dither(i), nil
		}
	}
	return 0, fmt.Errorf("%w: dither %q, want bayer, floyd-steinberg or none", ErrOption, s)
}
