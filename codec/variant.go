package codec

import (
	"fmt"
	"strconv"
	"strings"
)

// Variant is one entry of an HLS master playlist (RFC 8216 section 4.3.4.2 EXT-X-STREAM-INF,
// 4.3.4.3 EXT-X-I-FRAME-STREAM-INF).
type Variant struct {
	URI              string  `json:"uri"`
	Bandwidth        int     `json:"bandwidth"`
	AverageBandwidth int     `json:"averageBandwidth,omitempty"`
	Codecs           string  `json:"codecs,omitempty"`
	Width            int     `json:"width,omitempty"`
	Height           int     `json:"height,omitempty"`
	FrameRate        float64 `json:"frameRate,omitempty"`
	VideoRange       string  `json:"videoRange,omitempty"` // SDR, PQ, HLG; absent means SDR
	IFrameOnly       bool    `json:"iframeOnly,omitempty"`
}

// videoCodec is the family of the variant's video codec ("avc1", "hvc1"…), from CODECS
// (RFC 6381 section 3); "" when CODECS names none.
func (v Variant) videoCodec() string {
	for _, c := range strings.Split(v.Codecs, ",") {
		family, _, _ := strings.Cut(strings.TrimSpace(c), ".")
		switch family {
		case "avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "av01", "vp09", "vvc1", "mp4v":
			return family
		}
	}
	return ""
}

func (v Variant) h264() bool {
	c := v.videoCodec()
	return c == "avc1" || c == "avc3"
}

// sdr tells whether the variant is standard dynamic range (VIDEO-RANGE absent or SDR).
func (v Variant) sdr() bool {
	return v.VideoRange == "" || strings.EqualFold(v.VideoRange, "SDR")
}

// shorterSide is the smaller of width and height; 0 when RESOLUTION is absent.
func (v Variant) shorterSide() int { return min(v.Width, v.Height) }

// parseResolution reads RESOLUTION=WxH (RFC 8216 section 4.3.4.2).
func parseResolution(s string) (w, h int) {
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		return 0, 0
	}
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if errW != nil || errH != nil || w < 0 || h < 0 {
		return 0, 0
	}
	return w, h
}

// ChooseVariant picks the variant to convert for an output of outputSize pixels: an SDR H.264
// stream (I-frame playlists, HDR and other codecs cannot be used), the smallest whose shorter
// side is still at least twice the output size (the area-averaging resizer then has detail to
// average; decoding a 360x360 variant costs a twelfth of a 1280x1280 one), ties to the lower
// bandwidth; when none is that large, the largest. Variants without CODECS are used only when
// no variant declares H.264. It returns the index in variants.
func ChooseVariant(variants []Variant, outputSize int) (int, error) {
	if outputSize <= 0 {
		outputSize = DefaultOutputSize
	}
	want := 2 * outputSize
	var candidates, unlabelled []int
	found := map[string]bool{}
	var foundList []string
	note := func(what string) {
		if !found[what] {
			found[what] = true
			foundList = append(foundList, what)
		}
	}
	for i, v := range variants {
		switch {
		case v.IFrameOnly:
			note("I-frame")
		case !v.sdr():
			note(v.VideoRange + " " + orUnknown(v.videoCodec()))
		case v.h264():
			candidates = append(candidates, i)
		case v.videoCodec() == "":
			unlabelled = append(unlabelled, i)
		default:
			note(v.videoCodec())
		}
	}
	if len(candidates) == 0 {
		candidates = unlabelled
	}
	if len(candidates) == 0 {
		what := "no variants"
		if len(foundList) > 0 {
			what = "only " + strings.Join(foundList, ", ") + " variants"
		}
		return -1, fmt.Errorf("%w: hls: no SDR H.264 variant (%s)", ErrUnsupported, what)
	}
	best := -1
	better := func(a, b Variant) bool { // a is a better choice than b
		aBig, bBig := a.shorterSide() >= want, b.shorterSide() >= want
		switch {
		case aBig != bBig:
			return aBig
		case aBig && a.shorterSide() != b.shorterSide():
			return a.shorterSide() < b.shorterSide()
		case !aBig && a.shorterSide() != b.shorterSide():
			return a.shorterSide() > b.shorterSide()
		}
		return a.Bandwidth < b.Bandwidth
	}
	for _, i := range candidates {
		if best < 0 || better(variants[i], variants[best]) {
			best = i
		}
	}
	return best, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown codec"
	}
	return s
}
