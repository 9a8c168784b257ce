package h264

import (
	"errors"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// Error classes of this package. codec/h264 cannot import codec (codec imports it), so the decode
// stage in codec maps these onto codec.ErrUnsupported and codec.ErrInvalid with errors.Is.
var (
	// ErrUnsupported: a valid H.264 stream this decoder does not handle: a profile, chroma format
	// or bit depth OpenH264 cannot decode, interlaced coding, or a size over yuv.MaxWidth x
	// yuv.MaxHeight or the limit below.
	ErrUnsupported = errors.New("h264: unsupported stream")
	// ErrInvalid: the bitstream is broken: no start code, a parameter set that does not parse,
	// slices OpenH264 rejects, or a picture without parameter sets.
	ErrInvalid = errors.New("h264: invalid bitstream")
	// ErrClosed: the decoder was used after Close.
	ErrClosed = errors.New("h264: decoder closed")
)

// MaxAccessUnitSize is the largest access unit accepted, in bytes, checked where data enters
// (Decode) before OpenH264 sees the bytes: mediacommon's bound, which it applies when it splits
// an access unit into NAL units. A 4096x4096 High profile picture at level 6.2's largest coded
// picture buffer stays well below it. The picture size is bounded by yuv.MaxWidth and
// yuv.MaxHeight, checked in the SPS.
const MaxAccessUnitSize = mch264.MaxAccessUnitSize
