package h264

import "errors"

// Error classes of this package. codec/h264 cannot import codec (codec imports it), so the decode
// stage in codec maps these onto codec.ErrUnsupported and codec.ErrInvalid with errors.Is.
var (
	// ErrUnsupported: a valid H.264 stream this decoder does not handle: a profile, chroma format
	// or bit depth OpenH264 cannot decode, interlaced coding, or a size over the limits below.
	ErrUnsupported = errors.New("h264: unsupported stream")
	// ErrInvalid: the bitstream is broken: no start code, a parameter set that does not parse,
	// slices OpenH264 rejects, or a picture without parameter sets.
	ErrInvalid = errors.New("h264: invalid bitstream")
	// ErrClosed: the decoder was used after Close.
	ErrClosed = errors.New("h264: decoder closed")
)

// Limits, checked where data enters (Decode), before OpenH264 sees the bytes.
const (
	// MaxWidth and MaxHeight bound the coded picture size. 4096 is the service's limit for a
	// source and also the largest picture OpenH264 2.3.1 decodes (MAX_WIDTH/MAX_HEIGHT in its
	// decoder); a larger SPS is rejected as unsupported, not handed to the decoder.
	MaxWidth  = 4096
	MaxHeight = 4096
	// MaxAccessUnitSize is the largest access unit accepted, in bytes. A 4096x4096 High profile
	// picture at level 6.2's largest coded picture buffer stays well below it; it is the same
	// bound mediacommon applies when it splits an access unit into NAL units.
	MaxAccessUnitSize = 8 << 20
)
