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
	tests := []struct {
		path          string
		container     string
		profile       string
		width, height int
		frames        int
		variants      int
		chosen        string
	}{
		{"media/high-bframes-320x320-30fps.mp4", "mp4", "High", 320, 320, 90, 0, ""},
		{"media/high-bframes-320x320-30fps-moov-end.mp4", "mp4", "High", 320, 320, 90, 0, ""},
		{"media/main-250x142-24fps.mp4", "mp4", "Main", 250, 142, 48, 0, ""},
		{"media/fragmented-320x320-30fps.mp4", "fmp4", "High", 320, 320, 90, 0, ""},
		{"hls/master.m3u8", "hls-fmp4", "High", 160, 160, 120, 7, "video_sdr_160x160.m3u8"},
		{"hls/video_sdr_480x480.m3u8", "hls-fmp4", "High", 480, 480, 120, 0, ""},
		{"hls/master-ts.m3u8", "hls-ts", "Main", 200, 200, 120, 1, "video_ts_200x200.m3u8"},
		{"hls/video_ts_200x200_0.ts", "mpegts", "Main", 200, 200, 30, 0, ""},
		{"compat/anamorphic-320x240-sar4x3.mp4", "mp4", "High", 320, 240, 30, 0, ""},
		{"compat/udta-terminated.mov", "mp4", "High", 160, 90, 30, 0, ""},
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
				if !strings.HasPrefix(res.Codec, "avc1.") || res.Level == "" || res.FrameRate <= 0 || res.Duration <= 0 {
					t.Errorf("codec %q level %q frame rate %v duration %v", res.Codec, res.Level, res.FrameRate, res.Duration)
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
		{[]string{"probe", "../../testdata/broken/hevc-only.mp4"}, exitError, "no H.264 video track (only hvc1 video)"},
		{[]string{"probe", "../../testdata/broken/hevc-master.m3u8"}, exitError, "only hvc1 variants"},
		{[]string{"probe", "../../testdata/broken/too-wide-4112x32.mp4"}, exitError, "over the limit"},
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
