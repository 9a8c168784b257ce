// Package codec is what comes in: fetching sources (files, HTTP, HLS with byte ranges), demuxing
// MP4, fragmented MP4 and MPEG-TS, and decoding H.264 (through codec/h264) into pictures.
package codec

import (
	"context"
	"time"
)

// Sample is one H.264 access unit in decoding order, as the demuxer hands it to the decoder.
type Sample struct {
	// AnnexB is the whole access unit with start codes (ISO/IEC 14496-10 Annex B). Parameter
	// sets are put in front of every IDR picture, so decoding may start at any IDR.
	AnnexB []byte
	// DTS and PTS are the decoding and presentation times from the start of the stream
	// (the first presentation time of the stream is zero).
	DTS, PTS time.Duration
	// Duration is how long the picture is shown (from the container; zero when unknown).
	Duration time.Duration
	// IDR is set when the access unit holds an IDR picture: no picture after it refers to one
	// before it (clause 3.69).
	IDR bool
	// NonReference is set when every slice has nal_ref_idc == 0 (clause 7.4.1): no other picture
	// refers to it, so it need not be decoded when its frame is not shown.
	NonReference bool
}

// StreamInfo describes the video track of a source, as far as the container tells.
type StreamInfo struct {
	Container string // "mp4", "fmp4", "hls-fmp4", "hls-ts"
	Codec     string // RFC 6381 codec string, e.g. "avc1.64001f"
	Profile   string // e.g. "High"
	Level     string // e.g. "3.1"
	Width     int    // picture size after SPS cropping
	Height    int    //
	// SampleAspect is the shape of the picture's samples: from the MP4 sample entry's pasp box
	// when it has one, else from the SPS (square when neither says). The picture is shown at
	// SampleAspect.DisplaySize(Width, Height).
	SampleAspect AspectRatio
	FrameRate    float64       // nominal frames per second; 0 when unknown
	Duration     time.Duration // 0 when unknown
	Frames       int           // number of samples when known, else 0
	URL          string        // the URL (or path) the media was actually read from
}

// Source is a demuxed H.264 video track: samples in decoding order.
type Source interface {
	Info() StreamInfo
	// Next returns the next sample, or io.EOF after the last one. The sample's AnnexB slice is
	// owned by the caller.
	Next(ctx context.Context) (Sample, error)
	Close() error
}
