package h264

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// fixtureSPS is the first SPS of a fixture's first access unit.
func fixtureSPS(t *testing.T, file string) []byte {
	t.Helper()
	var nalus mch264.AnnexB
	if err := nalus.Unmarshal(readMP4(t, filepath.Join(testdata, file))[0].annexB); err != nil {
		t.Fatal(err)
	}
	for _, n := range nalus {
		if mch264.NALUType(n[0]&0x1f) == mch264.NALUTypeSPS {
			return n
		}
	}
	t.Fatalf("%s: no SPS in the first access unit", file)
	return nil
}

// TestParseSPS reads the SPS of fixtures as ffprobe describes them, and refuses those whose
// stream OpenH264 does not decode (what `server probe` and `server decode` must agree on).
func TestParseSPS(t *testing.T) {
	for _, tt := range []struct {
		file string
		want SPS   // compared without Color and the coded size
		err  error // the class, when refused
		msg  string
	}{
		{file: "media/main-250x142-24fps.mp4", want: SPS{Profile: "Main", Level: "1.2", Codec: "avc1.4d400c", Format: yuv.Format{Width: 250, Height: 142, BitDepth: 8, FrameRate: 24, AspectRatioIdc: 1}}},
		{file: "media/baseline-160x160-60fps.mp4", want: SPS{Profile: "Constrained Baseline", Level: "1.2", Codec: "avc1.42c00c", Format: yuv.Format{Width: 160, Height: 160, BitDepth: 8, FrameRate: 60, AspectRatioIdc: 1}}},
		{file: "compat/anamorphic-320x240-sar4x3.mp4", want: SPS{Profile: "High", Level: "1.3", Codec: "avc1.64000d", Format: yuv.Format{Width: 320, Height: 240, BitDepth: 8, FrameRate: 30, AspectRatioIdc: 14}}},
		{file: "compat/sar5x4-sps-only.mp4", want: SPS{Profile: "High", Level: "1.3", Codec: "avc1.64000d", Format: yuv.Format{Width: 320, Height: 240, BitDepth: 8, FrameRate: 30, AspectRatioIdc: 255, SarWidth: 5, SarHeight: 4}}},
		{file: "broken/too-wide-4112x32.mp4", err: ErrUnsupported, msg: "coded picture of 4112x32 is over the limit of 4096x4096"},
		{file: "broken/high10-64x64.mp4", err: ErrUnsupported, msg: "the High 10 profile (profile_idc 110); only Baseline, Main, Extended and High are decoded"},
		{file: "broken/high422-64x64.mp4", err: ErrUnsupported, msg: "the High 4:2:2 profile (profile_idc 122)"},
		{file: "broken/interlaced-64x64.mp4", err: ErrUnsupported, msg: "interlaced coding (frame_mbs_only_flag 0)"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseSPS(fixtureSPS(t, tt.file))
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %v, want %v with %q", err, tt.err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Color, got.codedWidth, got.codedHeight, got.cropLeft, got.cropTop = yuv.Color{}, 0, 0, 0, 0
			if got != tt.want {
				t.Errorf("%+v,\nwant %+v", got, tt.want)
			}
		})
	}
}

// The cropping of a size that is not whole macroblocks: 250x142 is 256x144 coded, cropped at
// the right and bottom; and an SPS cut short is invalid, not a panic.
func TestParseSPSCropsAndRejectsBroken(t *testing.T) {
	nalu := fixtureSPS(t, "media/main-250x142-24fps.mp4")
	sps, err := ParseSPS(nalu)
	if err != nil {
		t.Fatal(err)
	}
	if sps.codedWidth != 256 || sps.codedHeight != 144 || sps.cropLeft != 0 || sps.cropTop != 0 {
		t.Errorf("coded %dx%d, cropped from %d,%d; want 256x144 from 0,0", sps.codedWidth, sps.codedHeight, sps.cropLeft, sps.cropTop)
	}
	for n := range 4 {
		if _, err := ParseSPS(nalu[:n]); !errors.Is(err, ErrInvalid) {
			t.Errorf("SPS of %d bytes: %v, want ErrInvalid", n, err)
		}
	}
}
