package h265

import (
	"errors"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// Error classes of this package. codec/h265 cannot import codec (codec imports it), so the decode
// stage in codec maps these onto codec.ErrUnsupported and codec.ErrInvalid with errors.Is.
var (
	// ErrUnsupported: a valid H.265 stream this decoder does not handle: a chroma format other
	// than 4:2:0, luma and chroma of different bit depths or more than 12 bits, a coding tool
	// libde265 does not implement, or a size over yuv.MaxWidth x yuv.MaxHeight or the limits
	// below.
	ErrUnsupported = errors.New("h265: unsupported stream")
	// ErrInvalid: the bitstream is broken: no start code, a parameter set that does not parse,
	// slices libde265 rejects or decodes with errors, or a picture without parameter sets.
	ErrInvalid = errors.New("h265: invalid bitstream")
	// ErrClosed: the decoder was used after Close.
	ErrClosed = errors.New("h265: decoder closed")
)

// Limits, checked where data enters (Decode), before libde265 sees the bytes.
const (
	// MaxBitDepth is the deepest sample decoded: Main 12 (Annex A.3.5). Main and Main 10 are what
	// covers use.
	MaxBitDepth = 12
	// MaxAccessUnitSize is the largest access unit accepted, in bytes: mediacommon's bound for
	// H.265 access units (a 50 Mbit/s 2160p60 stream stays below it), the same as for H.264.
	MaxAccessUnitSize = mch265.MaxAccessUnitSize
)
