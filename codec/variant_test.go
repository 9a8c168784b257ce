package codec

import (
	"errors"
	"strings"
	"testing"
)

func TestChooseVariant(t *testing.T) {
	v := func(codecs string, size, bandwidth int, rng string) Variant {
		return Variant{URI: codecs, Codecs: codecs, Width: size, Height: size, Bandwidth: bandwidth, VideoRange: rng}
	}
	tests := []struct {
		name     string
		variants []Variant
		size     int
		want     int
		err      string // the error, or the reason given for the choice
	}{
		{"smallest at least twice", []Variant{v("avc1.640020", 1080, 3, ""), v("avc1.64001f", 360, 2, ""), v("avc1.64001f", 486, 1, "")}, 80, 1, ""},
		{"exactly twice", []Variant{v("avc1.64001f", 159, 1, ""), v("avc1.64001f", 160, 2, ""), v("avc1.64001f", 240, 3, "")}, 80, 1, ""},
		{"tie to lower bandwidth", []Variant{v("avc1.64001f", 486, 1450, ""), v("avc1.64001f", 486, 980, "")}, 80, 1, ""},
		{"none large enough: largest", []Variant{v("avc1.64001f", 100, 1, ""), v("avc1.64001f", 150, 2, "")}, 80, 1, ""},
		{"H.264 before a smaller HEVC, HDR skipped", []Variant{v("avc1.640020", 360, 1, "PQ"), v("hvc1.2.4.L90.B0", 360, 1, "SDR"), v("avc1.640020", 1080, 5, "SDR")}, 80, 2, "the smallest SDR H.264 variant of at least 160 px"},
		{"HEVC when no H.264 is large enough", []Variant{v("avc1.64000b", 128, 1, ""), v("hvc1.2.4.L93.B0", 320, 3, "SDR"), v("hvc1.2.4.L63.B0", 192, 2, "SDR")}, 80, 2, "no SDR H.264 variant of at least 160 px; the smallest SDR HEVC one"},
		{"H.264 when it is large enough", []Variant{v("avc1.64000b", 128, 1, ""), v("hvc1.2.4.L93.B0", 320, 3, "SDR"), v("hvc1.2.4.L63.B0", 192, 2, "SDR")}, 48, 0, "the smallest SDR H.264 variant of at least 96 px"},
		{"only HEVC", []Variant{v("hvc1.2.4.L90.B0", 360, 1, ""), v("hev1.2.4.L90.B0", 720, 2, "")}, 80, 0, "no SDR H.264 variant of at least 160 px; the smallest SDR HEVC one"},
		{"none large enough: largest, H.264 at a tie", []Variant{v("hvc1.2.4.L90.B0", 150, 1, ""), v("avc1.64001f", 150, 2, ""), v("avc1.64001f", 100, 1, "")}, 80, 1, "no SDR H.264 or HEVC variant of at least 160 px; the largest SDR one"},
		{"SDR before a larger HDR", []Variant{v("hvc1.2.4.L153.B0", 2160, 9, "PQ"), v("hvc1.2.4.L90.B0", 100, 1, "SDR")}, 80, 1, "no SDR H.264 or HEVC variant of at least 160 px; the largest SDR one"},
		{"only HDR: tone mapped", []Variant{v("hvc1.2.4.L153.B0", 2160, 9, "PQ"), v("hvc1.2.4.L123.B0", 720, 4, "PQ"), v("dvh1.05.06", 720, 4, "PQ")}, 80, 1, "only HDR variants (tone mapped to SDR); the smallest of at least 160 px"},
		{"only HDR H.264", []Variant{v("avc1.64001f", 360, 1, "HLG")}, 80, 0, "only HDR variants (tone mapped to SDR); the smallest of at least 160 px"},
		{"I-frame skipped", []Variant{{URI: "i", Codecs: "avc1.64001f", Width: 360, Height: 360, IFrameOnly: true}, v("avc1.64001f", 486, 9, "")}, 80, 1, ""},
		{"non-square: shorter side", []Variant{v("avc1.64001f", 0, 1, ""), {URI: "w", Codecs: "avc1.64001f", Width: 640, Height: 150, Bandwidth: 2}, {URI: "s", Codecs: "avc1.64001f", Width: 200, Height: 170, Bandwidth: 3}}, 80, 2, ""},
		{"avc3 and audio codecs", []Variant{v("mp4a.40.2,avc3.64001f", 360, 1, "")}, 80, 0, ""},
		{"no CODECS only as a last resort", []Variant{v("", 360, 1, ""), v("avc1.64001f", 200, 2, "")}, 80, 1, ""},
		{"only Dolby Vision and AV1", []Variant{v("dvh1.05.06", 720, 4, "PQ"), v("av01.0.08M.10", 720, 4, "SDR")}, 80, -1, "only dvh1, av01 variants"},
		{"empty", nil, 80, -1, "no variants"},
	}
	for _, tt := range tests {
		got, reason, err := ChooseVariant(tt.variants, tt.size)
		if tt.want < 0 {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want ErrUnsupported %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
		if tt.err != "" && reason != tt.err {
			t.Errorf("%s: reason %q, want %q", tt.name, reason, tt.err)
		}
	}
}
