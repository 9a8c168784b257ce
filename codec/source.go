package codec

import (
	"context"
	"time"
)

// Sample is one H.264 or H.265 access unit in decoding order, as the demuxer hands it to the
// decoder.
type Sample struct {
	// AnnexB is the whole access unit with start codes (ISO/IEC 14496-10 and ITU-T H.265 Annex
	// B). Parameter sets are put in front of every IDR picture (for H.265 also CRA and BLA), so
	// decoding may start at any of them.
	AnnexB []byte
	// DTS and PTS are the decoding and presentation times from the start of the stream
	// (the first presentation time of the stream is zero).
	DTS, PTS time.Duration
	// Duration is how long the picture is shown (from the container; zero when unknown).
	Duration time.Duration
	// IDR is set when the access unit holds an IDR picture: no picture after it refers to one
	// before it (clause 3.69).
	IDR bool
	// NonReference is set when no other picture refers to this one, so it need not be decoded
	// when its frame is not shown: in H.264 every slice has nal_ref_idc 0 (clause 7.4.1); in
	// H.265 every slice is of a sub-layer non-reference type (TRAIL_N, TSA_N, STSA_N, RADL_N,
	// RASL_N) in the highest sub-layer.
	NonReference bool
}

// VideoFormat is the coding format of a stream.
type VideoFormat uint8

const (
	FormatH264 VideoFormat = iota // ITU-T H.264 | ISO/IEC 14496-10, decoded with OpenH264
	FormatHEVC                    // ITU-T H.265 | ISO/IEC 23008-2, decoded with libde265
)

// String names the format as ffprobe's codec_name does.
func (f VideoFormat) String() string {
	if f == FormatHEVC {
		return "hevc"
	}
	return "h264"
}

// StreamInfo describes the video track of a source, as far as the container tells.
type StreamInfo struct {
	Container string      // "mp4", "fmp4", "hls-fmp4", "hls-ts"
	Format    VideoFormat // which decoder the samples need
	Codec     string      // RFC 6381 codec string, e.g. "avc1.64001f", "hvc1.2.4.L93.B0"
	Profile   string      // e.g. "High", "Main 10"
	Level     string      // e.g. "3.1"
	BitDepth  int         // luma bits per sample, e.g. 8 or 10; 0 when unknown
	Transfer  string      // "SDR", "PQ" or "HLG", as HLS's VIDEO-RANGE names them
	Width     int         // picture size after SPS cropping
	Height    int         //
	// SampleAspect is the shape of the picture's samples: from the MP4 sample entry's pasp box
	// when it has one, else from the SPS (square when neither says). The picture is shown at
	// SampleAspect.DisplaySize(Width, Height).
	SampleAspect AspectRatio
	FrameRate    float64       // nominal frames per second; 0 when unknown
	Duration     time.Duration // 0 when unknown
	Frames       int           // number of samples when known, else 0
	URL          string        // the URL (or path) the media was actually read from
}

// Source is a demuxed H.264 or H.265 video track: samples in decoding order, what Decode reads.
// Open's Input is one; a decode worker's samples from its pipe are another.
type Source interface {
	Info() StreamInfo
	// Next returns the next sample, or io.EOF after the last one. The sample's AnnexB slice is
	// owned by the caller.
	Next(ctx context.Context) (Sample, error)
	Close() error
}
