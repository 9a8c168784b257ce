package h265_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// hevcFixtures are the x265 fixtures with FFmpeg's decode in testdata/expected.
var hevcFixtures = []struct {
	name, file    string
	width, height int
	bitDepth      int
	transfer      yuv.Transfer
}{
	{"hevc-main-192x192-30fps", "hevc/main-192x192-30fps.mp4", 192, 192, 8, yuv.TransferSDR},
	{"hevc-main10-250x142-24fps", "hevc/main10-250x142-24fps.mp4", 250, 142, 10, yuv.TransferSDR},
	{"hevc-main10-pq-160x160-30fps", "hevc/main10-pq-160x160-30fps.mp4", 160, 160, 10, yuv.TransferPQ},
	{"hevc-main10-hlg-160x160-30fps", "hevc/main10-hlg-160x160-30fps.mp4", 160, 160, 10, yuv.TransferHLG},
	{"hevc-hev1-fragmented-160x160-30fps", "hevc/hev1-fragmented-160x160-30fps.mp4", 160, 160, 8, yuv.TransferSDR},
	{"hevc-main-160x160-30fps", "hevc/main-160x160-30fps.ts", 160, 160, 8, yuv.TransferSDR},
	{"hevc-video_hevc_sdr_192x192", "hevc/video_hevc_sdr_192x192.m3u8", 192, 192, 10, yuv.TransferSDR},
}

// libde265 is conformance-tested: every picture of every fixture, 8-bit and 10-bit, B-frames,
// open GOPs and all, must be FFmpeg's bit for bit, at FFmpeg's times, single-threaded and with
// worker threads.
func TestDecodeFixtures(t *testing.T) {
	for _, tc := range hevcFixtures {
		for _, threads := range []int{1, 2} {
			t.Run(tc.name+"/threads="+string(rune('0'+threads)), func(t *testing.T) {
				want := readFrameMD5(t, tc.name)
				got := decodeAll(t, readSamples(t, tc.file), threads)
				if len(got) != len(want) {
					t.Fatalf("decoded %d pictures, FFmpeg %d", len(got), len(want))
				}
				for i := range want {
					g := got[i]
					if g.pts != want[i].PTS {
						t.Errorf("picture %d: pts %v, FFmpeg %v", i, g.pts, want[i].PTS)
					}
					if g.width != tc.width || g.height != tc.height || g.bitDepth != tc.bitDepth {
						t.Errorf("picture %d: %dx%d at %d bits, want %dx%d at %d", i, g.width, g.height, g.bitDepth, tc.width, tc.height, tc.bitDepth)
					}
					if g.color.Transfer != tc.transfer {
						t.Errorf("picture %d: transfer %v, want %v", i, g.color.Transfer, tc.transfer)
					}
					if g.md5 != want[i].MD5 {
						t.Errorf("picture %d (pts %v) differs from FFmpeg's", i, g.pts)
					}
				}
			})
		}
	}
}

// Fed in decoding order, pictures come out in presentation order, each with its own access
// unit's PTS, across the open GOP's CRA pictures and their RASL leading pictures.
func TestDecoderReordersBFrames(t *testing.T) {
	samples := readSamples(t, "hevc/main-192x192-30fps.mp4")
	var in []time.Duration
	for _, s := range samples {
		in = append(in, s.PTS)
	}
	if slices.IsSorted(in) {
		t.Fatal("fixture has no B-frames out of order; the test shows nothing")
	}
	var out []time.Duration
	for _, f := range decodeAll(t, samples, 1) {
		out = append(out, f.pts)
	}
	slices.Sort(in)
	if !slices.Equal(out, in) {
		t.Errorf("output order %v, want %v", out, in)
	}
}

func TestDecodeAfterClose(t *testing.T) {
	d, err := h265.NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	before := h265.LiveDecoders()
	d.Close()
	if h265.LiveDecoders() != before-1 {
		t.Errorf("live decoders %d after Close, want %d", h265.LiveDecoders(), before-1)
	}
	d.Close() // twice is fine
	au := readSamples(t, "hevc/main-192x192-30fps.mp4")[0].AnnexB
	if err := d.Decode(au, 0, discard); !errors.Is(err, h265.ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	if err := d.Flush(discard); !errors.Is(err, h265.ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	samples := readSamples(t, "hevc/main-192x192-30fps.mp4")
	d, err := h265.NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	stop := errors.New("stop")
	var got error
	for _, s := range samples {
		if got = d.Decode(s.AnnexB, s.PTS, func(*yuv.Picture) error { return stop }); got != nil {
			break
		}
	}
	if got != stop {
		t.Errorf("error %v, want the emit error", got)
	}
	// The picture emit refused was given back: decoding goes on with the next access unit.
	n := 0
	for _, s := range samples[10:] {
		if err := d.Decode(s.AnnexB, s.PTS, func(*yuv.Picture) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Error("no picture after the refused one")
	}
}

func TestVersion(t *testing.T) {
	if v := h265.Version(); v != "1.0.11" {
		t.Logf("libde265 %s (tests were measured with 1.0.11)", v)
	}
	if h265.Version() == "" {
		t.Error("no version")
	}
}
