package codec

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// TestOpenHEVC reads every HEVC fixture from the file and over HTTP: what the SPS says (codec
// string, profile, level, bit depth, transfer), FFmpeg's presentation times, random access
// points with their parameter sets in front, and the non-reference pictures of x265's
// b-pyramid.
func TestOpenHEVC(t *testing.T) {
	o := newOrigin(t, fixtures)
	tests := []struct {
		file, expected string
		container      string
		codec, profile string
		bitDepth       int
		transfer       string
		width, height  int
		idr, ra        int // IDR pictures, and random access points (IDR and CRA)
	}{
		{"hevc/main-192x192-30fps.mp4", "hevc-main-192x192-30fps", "mp4", "hvc1.1.6.L60.90", "Main", 8, "SDR", 192, 192, 1, 3},
		{"hevc/main10-250x142-24fps.mp4", "hevc-main10-250x142-24fps", "mp4", "hvc1.2.4.L60.90", "Main 10", 10, "SDR", 250, 142, 1, 2},
		{"hevc/main10-pq-160x160-30fps.mp4", "hevc-main10-pq-160x160-30fps", "mp4", "hvc1.2.4.L60.90", "Main 10", 10, "PQ", 160, 160, 1, 1},
		{"hevc/main10-hlg-160x160-30fps.mp4", "hevc-main10-hlg-160x160-30fps", "mp4", "hvc1.2.4.L60.90", "Main 10", 10, "HLG", 160, 160, 1, 1},
		{"hevc/hev1-fragmented-160x160-30fps.mp4", "hevc-hev1-fragmented-160x160-30fps", "fmp4", "hev1.1.6.L60.90", "Main", 8, "SDR", 160, 160, 1, 2},
		{"hevc/main-160x160-30fps.ts", "hevc-main-160x160-30fps", "mpegts", "hev1.1.6.L60.90", "Main", 8, "SDR", 160, 160, 1, 2},
		{"hevc/video_hevc_sdr_192x192.m3u8", "hevc-video_hevc_sdr_192x192", "hls-fmp4", "hvc1.2.4.L60.90", "Main 10", 10, "SDR", 192, 192, 3, 3},
	}
	for _, tt := range tests {
		want := readFramemd5(t, tt.expected)
		for _, via := range []string{"file", "http"} {
			t.Run(filepath.Base(tt.file)+"/"+via, func(t *testing.T) {
				input := filepath.Join(fixtures, tt.file)
				if via == "http" {
					input = o.URL + "/" + tt.file
				}
				src := openT(t, input, OpenOptions{})
				info := src.Info()
				if info.Format != FormatHEVC || info.Container != tt.container || info.Codec != tt.codec || info.Profile != tt.profile ||
					info.BitDepth != tt.bitDepth || info.Transfer != tt.transfer || info.Width != tt.width || info.Height != tt.height {
					t.Errorf("info = %+v, want %s %s %s %d bits %s %dx%d", info, tt.container, tt.codec, tt.profile, tt.bitDepth, tt.transfer, tt.width, tt.height)
				}
				samples := readAll(t, src)
				if len(samples) != len(want.pts) {
					t.Fatalf("%d samples, FFmpeg %d frames", len(samples), len(want.pts))
				}
				if got := presentationTicks(samples, want.timebase); !slices.Equal(got, want.pts) {
					t.Errorf("presentation times (1/%d s):\n got %v\nwant %v", want.timebase, got, want.pts)
				}
				idr, ra, nonRef := 0, 0, 0
				for i, s := range samples {
					types := hevcNALTypes(t, s.AnnexB)
					irap := slices.ContainsFunc(types, func(typ uint8) bool { return typ >= 16 && typ <= 23 })
					if s.IDR {
						idr++
					}
					if irap {
						ra++
						for _, ps := range []uint8{hevcVPS, hevcSPS, hevcPPS} {
							if !slices.Contains(types, ps) {
								t.Errorf("sample %d: random access point without NAL type %d in front", i, ps)
							}
						}
					}
					if s.NonReference {
						nonRef++
					}
				}
				if idr != tt.idr || ra != tt.ra || nonRef == 0 || !samples[0].IDR {
					t.Errorf("%d IDR, %d random access, %d non-reference samples; want %d, %d, some, the first IDR", idr, ra, nonRef, tt.idr, tt.ra)
				}
			})
		}
	}
}

// hevcNALTypes lists the NAL unit types of an Annex B access unit.
func hevcNALTypes(t *testing.T, au []byte) []uint8 {
	t.Helper()
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(au); err != nil {
		t.Fatal(err)
	}
	var types []uint8
	for _, n := range nalus {
		types = append(types, n[0]>>1&0x3f)
	}
	return types
}

// The variant read from each master, for two output sizes: H.264 while one is large enough,
// else the smallest large enough HEVC one, SDR before HDR, HDR when there is nothing else.
func TestOpenHEVCMasters(t *testing.T) {
	for _, tt := range []struct {
		master      string
		size        int
		media       string
		format      VideoFormat
		transfer    string
		reasonStart string
	}{
		{"hevc/master-hevc-only.m3u8", 80, "video_hevc_sdr_192x192", FormatHEVC, "SDR", "no SDR H.264 variant"},
		{"hevc/master-largest-hevc.m3u8", 80, "video_hevc_sdr_192x192", FormatHEVC, "SDR", "no SDR H.264 variant"},
		{"hevc/master-largest-hevc.m3u8", 48, "video_sdr_128x128", FormatH264, "SDR", "the smallest SDR H.264 variant"},
		{"hevc/master-largest-hevc.m3u8", 200, "video_hevc_sdr_320x320", FormatHEVC, "SDR", "no SDR H.264 or HEVC variant of at least 400 px; the largest SDR one"},
		{"hevc/master-pq-only.m3u8", 80, "video_hevc_pq_320x320", FormatHEVC, "PQ", "only HDR variants"},
		{"broken/hevc-master.m3u8", 80, "video_hevc_160x160", FormatHEVC, "SDR", "no SDR H.264 variant"},
		{"hls/master.m3u8", 80, "video_sdr_160x160", FormatH264, "SDR", "the smallest SDR H.264 variant"},
	} {
		t.Run(filepath.Base(tt.master)+"/"+tt.media, func(t *testing.T) {
			src := openT(t, filepath.Join(fixtures, tt.master), OpenOptions{OutputSize: tt.size})
			h := src.HLS()
			info := src.Info()
			if !strings.HasSuffix(h.Media, "/"+tt.media+".m3u8") || info.Format != tt.format || info.Transfer != tt.transfer {
				t.Errorf("read %s (%v, %s), want %s (%v, %s)", h.Media, info.Format, info.Transfer, tt.media, tt.format, tt.transfer)
			}
			if !strings.HasPrefix(h.Reason, tt.reasonStart) {
				t.Errorf("reason %q, want %q…", h.Reason, tt.reasonStart)
			}
			if n := len(readAll(t, src)); n == 0 {
				t.Error("no samples")
			}
		})
	}
}

// MP4 samples of H.265 frame their NAL units with the length size hvcC names (ISO/IEC 14496-15
// 8.3.3.1.2: lengthSizeMinusOne 0, 1 or 3); the lengths are checked against the sample.
func TestHEVCLengthSizes(t *testing.T) {
	a, b := []byte{0x02, 0x01, 0xd0}, []byte{0x00, 0x01, 0xaf, 0x80, 0x11}
	for _, tc := range []struct {
		name   string
		size   int
		sample []byte
		want   [][]byte // nil: an error
	}{
		{"1 byte", 1, append(append([]byte{3}, a...), append([]byte{5}, b...)...), [][]byte{a, b}},
		{"2 bytes", 2, append(append([]byte{0, 3}, a...), append([]byte{0, 5}, b...)...), [][]byte{a, b}},
		{"4 bytes", 4, append(append([]byte{0, 0, 0, 3}, a...), append([]byte{0, 0, 0, 5}, b...)...), [][]byte{a, b}},
		{"length past the end", 2, append([]byte{0, 9}, a...), nil},
		{"zero length", 4, []byte{0, 0, 0, 0, 1}, nil},
		{"cut length", 4, []byte{0, 0}, nil},
		{"empty", 4, nil, nil},
	} {
		got, err := splitLengthPrefixed(tc.sample, tc.size)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: %v, want an error", tc.name, got)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) || !bytes.Equal(got[0], tc.want[0]) || !bytes.Equal(got[1], tc.want[1]) {
			t.Errorf("%s: %x, %v; want %x", tc.name, got, err, tc.want)
		}
	}
	if _, err := newHEVCTrack("hvc1", 2, nil, nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("lengthSizeMinusOne 2: %v, want ErrInvalid", err)
	}
	// 51 NAL units: one more than an access unit may have.
	many := bytes.Repeat([]byte{1, 0}, 51)
	if _, err := splitLengthPrefixed(many, 1); err == nil {
		t.Error("51 NAL units accepted")
	}
}

// The sample aspect ratio of an H.265 SPS's VUI (Table E-1, Extended_SAR), here alone: a
// transport stream has no pasp box.
func TestHEVCSampleAspect(t *testing.T) {
	src := openT(t, filepath.Join(fixtures, "hevc/anamorphic-160x120-sar4x3.ts"), OpenOptions{})
	info := src.Info()
	if info.SampleAspect != (AspectRatio{4, 3}) || info.Width != 160 || info.Height != 120 {
		t.Errorf("%dx%d of %v samples, want 160x120 of 4:3", info.Width, info.Height, info.SampleAspect)
	}
}
