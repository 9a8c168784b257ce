package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
)

// TestProbeCommand runs `server probe` on a file and on an http URL of each kind of fixture.
func TestProbeCommand(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir("../../testdata")))
	defer srv.Close()
	const hevcChoice = "no SDR H.264 variant of at least 160 px; the smallest SDR HEVC one"
	tests := []struct {
		path          string
		container     string
		profile       string
		width, height int
		frames        int
		variants      int
		chosen        string
		// What the SPS says, and why the variant was chosen ("" for the H.264 rows: 8-bit SDR).
		codec, videoRange string
		bitDepth          int
		because           string
	}{
		{"media/high-bframes-320x320-30fps.mp4", "mp4", "High", 320, 320, 90, 0, "", "", "", 0, ""},
		{"media/high-bframes-320x320-30fps-moov-end.mp4", "mp4", "High", 320, 320, 90, 0, "", "", "", 0, ""},
		{"media/main-250x142-24fps.mp4", "mp4", "Main", 250, 142, 48, 0, "", "", "", 0, ""},
		{"media/fragmented-320x320-30fps.mp4", "fmp4", "High", 320, 320, 90, 0, "", "", "", 0, ""},
		{"hls/master.m3u8", "hls-fmp4", "High", 160, 160, 120, 7, "video_sdr_160x160.m3u8", "", "", 0, "the smallest SDR H.264 variant of at least 160 px"},
		{"hls/video_sdr_480x480.m3u8", "hls-fmp4", "High", 480, 480, 120, 0, "", "", "", 0, ""},
		{"hls/master-ts.m3u8", "hls-ts", "Main", 200, 200, 120, 1, "video_ts_200x200.m3u8", "", "", 0, "the smallest SDR H.264 variant of at least 160 px"},
		{"hls/video_ts_200x200_0.ts", "mpegts", "Main", 200, 200, 30, 0, "", "", "", 0, ""},
		{"hevc/main-192x192-30fps.mp4", "mp4", "Main", 192, 192, 90, 0, "", "hvc1.1.6.L60.90", "SDR", 8, ""},
		{"hevc/main10-250x142-24fps.mp4", "mp4", "Main 10", 250, 142, 48, 0, "", "hvc1.2.4.L60.90", "SDR", 10, ""},
		{"hevc/main10-pq-160x160-30fps.mp4", "mp4", "Main 10", 160, 160, 30, 0, "", "hvc1.2.4.L60.90", "PQ", 10, ""},
		{"hevc/main-160x160-30fps.ts", "mpegts", "Main", 160, 160, 60, 0, "", "hev1.1.6.L60.90", "SDR", 8, ""},
		{"hevc/master-hevc-only.m3u8", "hls-fmp4", "Main 10", 192, 192, 90, 3, "video_hevc_sdr_192x192.m3u8", "hvc1.2.4.L60.90", "SDR", 10, hevcChoice},
		{"hevc/master-largest-hevc.m3u8", "hls-fmp4", "Main 10", 192, 192, 90, 4, "video_hevc_sdr_192x192.m3u8", "hvc1.2.4.L60.90", "SDR", 10, hevcChoice},
		{"hevc/master-pq-only.m3u8", "hls-fmp4", "Main 10", 320, 320, 90, 1, "video_hevc_pq_320x320.m3u8", "hvc1.2.4.L60.90", "PQ", 10, "only HDR variants (tone mapped to SDR); the smallest of at least 160 px"},
		{"compat/anamorphic-320x240-sar4x3.mp4", "mp4", "High", 320, 240, 30, 0, "", "", "", 0, ""},
		{"compat/udta-terminated.mov", "mp4", "High", 160, 90, 30, 0, "", "", "", 0, ""},
	}
	for _, tt := range tests {
		for _, input := range []string{filepath.Join("../../testdata", tt.path), srv.URL + "/" + tt.path} {
			t.Run(input, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				if code := run([]string{"probe", input}, &stdout, &stderr); code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				var res codec.ProbeResult
				if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
					t.Fatalf("%v: %s", err, stdout.String())
				}
				if res.Container != tt.container || res.Profile != tt.profile || res.Width != tt.width || res.Height != tt.height || res.Frames != tt.frames {
					t.Errorf("got %+v", res)
				}
				wantCodec, wantFormat, wantRange, wantDepth := tt.codec, "hevc", tt.videoRange, tt.bitDepth
				if tt.codec == "" {
					wantCodec, wantFormat, wantRange, wantDepth = "avc1.", "h264", "SDR", 8
				}
				if !strings.HasPrefix(res.Codec, wantCodec) || res.Format != wantFormat || res.VideoRange != wantRange || res.BitDepth != wantDepth ||
					res.Level == "" || res.FrameRate <= 0 || res.Duration <= 0 {
					t.Errorf("format %q codec %q %d bits %s level %q frame rate %v duration %v; want %s %s %d bits %s",
						res.Format, res.Codec, res.BitDepth, res.VideoRange, res.Level, res.FrameRate, res.Duration, wantFormat, wantCodec, wantDepth, wantRange)
				}
				if res.ChosenBecause != tt.because {
					t.Errorf("chosen because %q, want %q", res.ChosenBecause, tt.because)
				}
				if len(res.Variants) != tt.variants {
					t.Errorf("%d variants, want %d", len(res.Variants), tt.variants)
				}
				dispW := tt.width
				if strings.Contains(tt.path, "sar4x3") {
					dispW = 427 // 320 x 4/3: shown at 16:9
				}
				if res.DisplayWidth != dispW || res.DisplayHeight != tt.height {
					t.Errorf("display size %dx%d (sample aspect %s), want %dx%d", res.DisplayWidth, res.DisplayHeight, res.SampleAspectRatio, dispW, tt.height)
				}
				if tt.chosen != "" && (res.Chosen == nil || res.Variants[*res.Chosen].URI != tt.chosen) {
					t.Errorf("chosen %v, want %s", res.Chosen, tt.chosen)
				}
			})
		}
	}
}

// TestProbeCommandFailures: exit 1 with a message saying what and why; exit 2 on bad usage.
func TestProbeCommandFailures(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		message string
	}{
		{[]string{"probe"}, exitUsage, "want exactly one INPUT"},
		{[]string{"probe", "a", "b"}, exitUsage, "want exactly one INPUT"},
		{[]string{"probe", "-size", "0", "x.mp4"}, exitUsage, "positive"},
		{[]string{"probe", "-nope", "x.mp4"}, exitUsage, "flag provided but not defined"},
		{[]string{"probe", "../../testdata/broken/not-video.html"}, exitError, "not a video: starts with HTML"},
		{[]string{"probe", "../../testdata/broken/audio-only.mp4"}, exitError, "no H.264 or H.265 video track (only mp4a audio)"},
		{[]string{"probe", "../../testdata/broken/hevc-422-64x64.mp4"}, exitError, "chroma_format_idc 2 (only 4:2:0)"},
		{[]string{"probe", "../../testdata/broken/hevc-too-wide-4112x32.mp4"}, exitError, "over the limit"},
		{[]string{"probe", "../../testdata/broken/too-wide-4112x32.mp4"}, exitError, "over the limit"},
		{[]string{"probe", "../../testdata/broken/high10-64x64.mp4"}, exitError, "the High 10 profile (profile_idc 110)"},
		{[]string{"probe", "../../testdata/broken/no-such-file.mp4"}, exitError, "no such file"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.message) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr.String(), tt.code, tt.message)
		}
	}
}

// TestProbeRefusesWhatDecodeRefuses: an H.264 stream OpenH264 does not decode (High 10, High
// 4:2:2, interlaced) is refused by probe with the reason decode and convert give, instead of
// being described as if a conversion could read it.
func TestProbeRefusesWhatDecodeRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ file, reason string }{
		{"broken/high10-64x64.mp4", "unsupported stream: the High 10 profile (profile_idc 110); only Baseline, Main, Extended and High are decoded"},
		{"broken/high422-64x64.mp4", "unsupported stream: the High 4:2:2 profile (profile_idc 122)"},
		{"broken/interlaced-64x64.mp4", "unsupported stream: interlaced coding (frame_mbs_only_flag 0)"},
	} {
		input := filepath.Join(testdata, tt.file)
		for _, args := range [][]string{
			{"probe", input},
			{"decode", "-o", filepath.Join(dir, "out.y4m"), input},
			{"convert", input, filepath.Join(dir, "out.gif")},
		} {
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != exitError || !strings.Contains(stderr.String(), tt.reason) || stdout.Len() > 0 {
				t.Errorf("%s %s: exit %d, stdout %d bytes, stderr %q; want exit %d with %q", args[0], tt.file, code, stdout.Len(), stderr.String(), exitError, tt.reason)
			}
		}
	}
}
