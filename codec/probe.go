package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ProbeResult is what `server probe` prints: the stream that a conversion would read and, for
// an HLS master, every variant and the one chosen.
type ProbeResult struct {
	Container string `json:"container"`
	Codec     string `json:"codec"`
	Profile   string `json:"profile"`
	Level     string `json:"level"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	// SampleAspectRatio is the samples' shape, "4:3" (see StreamInfo.SampleAspect), and the
	// display size the picture is shown at.
	SampleAspectRatio string  `json:"sampleAspectRatio"`
	DisplayWidth      int     `json:"displayWidth"`
	DisplayHeight     int     `json:"displayHeight"`
	FrameRate         float64 `json:"frameRate,omitempty"`
	// Duration is in seconds; 0 when the container does not say.
	Duration float64 `json:"duration,omitempty"`
	// Frames is the number of samples: from the container, or counted by reading the source
	// through (demuxing only, within MaxDuration when set).
	Frames int    `json:"frames,omitempty"`
	IDR    int    `json:"idrFrames,omitempty"`
	Bytes  int64  `json:"bytesFetched"`
	URL    string `json:"url"`
	Master string `json:"master,omitempty"`
	Media  string `json:"mediaPlaylist,omitempty"`
	// Variants of an HLS master, in playlist order; Chosen is the index of the one read.
	Variants []Variant `json:"variants,omitempty"`
	Chosen   *int      `json:"chosenVariant,omitempty"`
	// ChosenBecause says which rule of ChooseVariant took the chosen variant.
	ChosenBecause string `json:"chosenBecause,omitempty"`
	// RenditionsMissing are the smaller renditions a rule named that the origin did not have,
	// tried in this order before URL was read.
	RenditionsMissing []string `json:"renditionsMissing,omitempty"`
	// Truncated says where the source ends inside itself, when it does (Frames counts the
	// samples before the cut).
	Truncated string `json:"truncated,omitempty"`

	// Format is "h264" or "hevc", as ffprobe's codec_name; BitDepth the luma bits per sample.
	Format   string `json:"format"`
	BitDepth int    `json:"bitDepth,omitempty"`
	// VideoRange is the stream's transfer function as its VUI says: SDR, PQ or HLG (a
	// conversion tone maps PQ and HLG to SDR).
	VideoRange string `json:"videoRange,omitempty"`
}

// Probe opens a source as Open does and reads it through (without decoding) to count its
// samples.
func Probe(ctx context.Context, input string, opts OpenOptions) (ProbeResult, error) {
	src, err := Open(ctx, input, opts)
	if err != nil {
		return ProbeResult{}, err
	}
	defer src.Close()
	info := src.Info()
	r := ProbeResult{
		Container: info.Container,
		Codec:     info.Codec,
		Profile:   info.Profile,
		Level:     info.Level,
		Width:     info.Width,
		Height:    info.Height,
		FrameRate: info.FrameRate,

		SampleAspectRatio: info.SampleAspect.String(),
		Duration:          info.Duration.Seconds(),
		URL:               info.URL,
	}
	r.DisplayWidth, r.DisplayHeight = info.SampleAspect.DisplaySize(info.Width, info.Height)
	r.Format, r.BitDepth, r.VideoRange = info.Format.String(), info.BitDepth, info.Transfer
	var last time.Duration
	count := 0
	for {
		s, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ProbeResult{}, fmt.Errorf("after %d samples: %w", count, err)
		}
		count++
		if s.IDR {
			r.IDR++
		}
		last = max(last, s.PTS+s.Duration)
	}
	r.Frames = count
	if r.Duration == 0 {
		r.Duration = last.Seconds()
	}
	r.Bytes = src.Fetched().Bytes
	r.RenditionsMissing = src.RenditionsMissing()
	if err := src.Truncated(); err != nil {
		r.Truncated = err.Error()
	}
	if h := src.HLS(); h != nil {
		r.Master, r.Media, r.Variants = h.Master, h.Media, h.Variants
		if h.Chosen >= 0 {
			chosen := h.Chosen
			r.Chosen, r.ChosenBecause = &chosen, h.Reason
		}
	}
	return r, nil
}
