package h265_test

import (
	"errors"
	"strings"
	"testing"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// sampleEntrySPS is the first SPS of a progressive MP4's hvcC, read with mp4ff alone.
func sampleEntrySPS(t *testing.T, file string) []byte {
	t.Helper()
	var nalus mch264.AnnexB // Annex B framing is the same in H.264 and H.265
	if err := nalus.Unmarshal(firstAccessUnit(t, file)); err != nil {
		t.Fatal(err)
	}
	for _, n := range nalus {
		if n[0]>>1&0x3f == 33 { // SPS_NUT (Table 7-1)
			return n
		}
	}
	t.Fatalf("%s: no SPS in hvcC", file)
	return nil
}

// TestParseSPS reads the SPS of fixtures as ffprobe describes them, and refuses those whose
// stream libde265 is not given (what `server probe` and `server decode` must agree on).
func TestParseSPS(t *testing.T) {
	for _, tt := range []struct {
		file  string
		want  h265.SPS // compared by its exported fields
		codec string   // for the hvc1 sample entry
		err   error    // the class, when refused
		msg   string
	}{
		{file: "hevc/main-192x192-30fps.mp4", want: h265.SPS{Profile: "Main", Level: "2", Format: yuv.Format{Width: 192, Height: 192, BitDepth: 8, FrameRate: 30,
			AspectRatioIdc: 1, Color: yuv.Color{Matrix: yuv.MatrixBT601}}}, codec: "hvc1.1.6.L60.90"},
		{file: "hevc/main10-250x142-24fps.mp4", want: h265.SPS{Profile: "Main 10", Level: "2", Format: yuv.Format{Width: 250, Height: 142, BitDepth: 10, FrameRate: 24,
			AspectRatioIdc: 1, Color: yuv.Color{Matrix: yuv.MatrixBT709, Specified: true}}}, codec: "hvc1.2.4.L60.90"},
		{file: "broken/hevc-too-wide-4112x32.mp4", err: h265.ErrUnsupported, msg: "coded picture of 4112x32 is over the limit of 4096x4096"},
		{file: "broken/hevc-422-64x64.mp4", err: h265.ErrUnsupported, msg: "chroma_format_idc 2 (only 4:2:0)"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			nalu := sampleEntrySPS(t, tt.file)
			got, err := h265.ParseSPS(nalu)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error %v, want %v with %q", err, tt.err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := got.Codec("hvc1"); c != tt.codec {
				t.Errorf("codec %s, want %s", c, tt.codec)
			}
			g, w := got, tt.want
			if g.Profile != w.Profile || g.Level != w.Level || g.Format != w.Format || g.ID != w.ID || g.MaxSubLayersMinus1 != w.MaxSubLayersMinus1 {
				t.Errorf("%s %s %+v, SPS %d, sub-layers %d; want %s %s %+v, SPS %d, sub-layers %d",
					g.Profile, g.Level, g.Format, g.ID, g.MaxSubLayersMinus1, w.Profile, w.Level, w.Format, w.ID, w.MaxSubLayersMinus1)
			}
			for n := range 3 {
				if _, err := h265.ParseSPS(nalu[:n]); !errors.Is(err, h265.ErrInvalid) {
					t.Errorf("SPS of %d bytes: %v, want ErrInvalid", n, err)
				}
			}
		})
	}
}
