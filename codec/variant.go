package codec

import (
	"fmt"
	"slices"
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

// hevc tells whether the variant is plain H.265 (hvc1, hev1). Dolby Vision (dvh1, dvhe) is not:
// its profile 5 colours need a Dolby Vision decoder.
func (v Variant) hevc() bool {
	c := v.videoCodec()
	return c == "hvc1" || c == "hev1"
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

// ChooseVariant picks the variant to convert for an output of outputSize pixels and says why.
// A variant is large enough when its shorter side is at least twice the output size (the
// area-averaging resizer then has detail to average; decoding a 360x360 variant costs a twelfth
// of a 1280x1280 one). In this order:
//
//  1. the smallest SDR H.264 variant large enough (OpenH264 is the cheaper decoder);
//  2. else the smallest SDR HEVC (hvc1, hev1) variant large enough;
//  3. else the largest SDR H.264 or HEVC variant, H.264 at equal size;
//  4. else, when no variant names its codec, the variants without CODECS by the same rule;
//  5. else, when the master has only HDR ones (VIDEO-RANGE PQ or HLG), the HDR H.264 or HEVC
//     variants by the same rule: the conversion tone maps them to SDR.
//
// Ties go to the lower bandwidth. I-frame playlists and other codecs (Dolby Vision, AV1, VP9)
// are never taken. It returns the index in variants.
func ChooseVariant(variants []Variant, outputSize int) (int, string, error) {
	if outputSize <= 0 {
		outputSize = DefaultOutputSize
	}
	want := 2 * outputSize
	var sdrH264, sdrHEVC, unlabelled, hdr []int
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
		case (v.h264() || v.hevc()) && !v.sdr():
			hdr = append(hdr, i)
		case v.h264():
			sdrH264 = append(sdrH264, i)
		case v.hevc():
			sdrHEVC = append(sdrHEVC, i)
		case v.videoCodec() == "":
			unlabelled = append(unlabelled, i)
		default:
			note(v.videoCodec())
		}
	}
	size := fmt.Sprintf("%d px", want)
	if i := smallestLargeEnough(variants, sdrH264, want); i >= 0 {
		return i, "the smallest SDR H.264 variant of at least " + size, nil
	}
	if i := smallestLargeEnough(variants, sdrHEVC, want); i >= 0 {
		return i, "no SDR H.264 variant of at least " + size + "; the smallest SDR HEVC one", nil
	}
	if sdr := append(slices.Clone(sdrH264), sdrHEVC...); len(sdr) > 0 {
		return largest(variants, sdr), "no SDR H.264 or HEVC variant of at least " + size + "; the largest SDR one", nil
	}
	for _, group := range []struct {
		indexes []int
		what    string
	}{
		{unlabelled, "no variant names its codec"},
		{hdr, "only HDR variants (tone mapped to SDR)"},
	} {
		if len(group.indexes) == 0 {
			continue
		}
		if i := smallestLargeEnough(variants, group.indexes, want); i >= 0 {
			return i, group.what + "; the smallest of at least " + size, nil
		}
		return largest(variants, group.indexes), group.what + "; none of at least " + size + ", the largest", nil
	}
	what := "no variants"
	if len(foundList) > 0 {
		what = "only " + strings.Join(foundList, ", ") + " variants"
	}
	return -1, "", fmt.Errorf("%w: hls: no H.264 or HEVC variant (%s)", ErrUnsupported, what)
}

// smallestLargeEnough is the variant among candidates with the smallest shorter side of at
// least want, ties to the lower bandwidth; -1 when none is that large.
func smallestLargeEnough(variants []Variant, candidates []int, want int) int {
	best := -1
	for _, i := range candidates {
		v := variants[i]
		if v.shorterSide() < want {
			continue
		}
		if best < 0 || v.shorterSide() < variants[best].shorterSide() ||
			v.shorterSide() == variants[best].shorterSide() && v.Bandwidth < variants[best].Bandwidth {
			best = i
		}
	}
	return best
}

// largest is the variant among candidates with the largest shorter side, H.264 before HEVC at
// equal size, then the lower bandwidth.
func largest(variants []Variant, candidates []int) int {
	best := -1
	for _, i := range candidates {
		v := variants[i]
		if best < 0 {
			best = i
			continue
		}
		b := variants[best]
		switch {
		case v.shorterSide() != b.shorterSide():
			if v.shorterSide() > b.shorterSide() {
				best = i
			}
		case v.h264() != b.h264():
			if v.h264() {
				best = i
			}
		case v.Bandwidth < b.Bandwidth:
			best = i
		}
	}
	return best
}
