package main

import (
	"bytes"
	"image/gif"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestConvertCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cover.gif")
	var stdout, stderr bytes.Buffer
	code := run([]string{"convert", "-size", "40", "-fps", "12", "-max-duration", "1s",
		"../../testdata/media/main-250x142-24fps.mp4", out}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := gif.DecodeAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if g.Config.Width != 40 || g.Config.Height != 23 {
		t.Errorf("GIF is %dx%d, want 40x23", g.Config.Width, g.Config.Height)
	}
	if !strings.Contains(stderr.String(), "frames out 12,") {
		t.Errorf("summary %q does not report 12 frames out", stderr.String())
	}
}

func TestConvertCommandToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"convert", "../../testdata/media/baseline-160x160-60fps.mp4"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !bytes.HasPrefix(stdout.Bytes(), []byte("GIF89a")) {
		t.Errorf("stdout does not start with a GIF header")
	}
}

func TestConvertCommandFailures(t *testing.T) {
	tests := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"convert"}, exitUsage, "usage"},
		{[]string{"convert", "-dither", "sparkle", "x.mp4"}, exitUsage, "dither"},
		{[]string{"convert", "-size", "-3", "x.mp4"}, exitUsage, "size"},
		{[]string{"convert", "../../testdata/broken/not-video.html", filepath.Join(t.TempDir(), "x.gif")}, exitError, "not a video"},
		{[]string{"convert", "../../testdata/broken/hevc-422-64x64.mp4", "-"}, exitError, "only 4:2:0"},
		{[]string{"convert", "../../testdata/compat/koala.webm", "-"}, exitError, "WebM (a Matroska container) is not supported"},
		{[]string{"convert", "../../testdata/compat/koala.mkv", "-"}, exitError, "Matroska is not supported"},
		{[]string{"convert", "../../testdata/compat/koala.ivf", "-"}, exitError, "IVF (VP80) is not supported"},
		{[]string{"convert", "../../testdata/compat/koala.h264", "-"}, exitError, "a raw H.264 stream"},
		{[]string{"convert", "../../testdata/compat/encrypted-cenc.mp4", "-"}, exitError, "encrypted video is not supported"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d saying %q", tt.args, code, stderr.String(), tt.code, tt.says)
		}
	}
}

// The HEVC sources convert like the H.264 ones, in process and with the decode worker: an
// HEVC-only MP4 (8-bit Main), a Main 10 one that is not square, an HDR (PQ) one, and an
// HEVC-only HLS master, whose 192 px SDR variant is read.
func TestConvertCommandHEVC(t *testing.T) {
	for _, tc := range []struct {
		input         string
		frames        int
		width, height int
		readFrom      string
	}{
		{"broken/hevc-only.mp4", 24, 80, 80, "hevc-only.mp4"},
		{"hevc/main10-250x142-24fps.mp4", 48, 80, 45, "main10-250x142-24fps.mp4"},
		{"hevc/main10-pq-160x160-30fps.mp4", 24, 80, 80, "main10-pq-160x160-30fps.mp4"},
		{"hevc/master-hevc-only.m3u8", 72, 80, 80, "video_hevc_sdr_192x192-.mp4"},
	} {
		for _, isolate := range []bool{false, true} {
			out := filepath.Join(t.TempDir(), "cover.gif")
			var stdout, stderr bytes.Buffer
			code := run([]string{"convert", "-isolate=" + strconv.FormatBool(isolate), filepath.Join("../../testdata", tc.input), out}, &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("%s: exit %d: %s", tc.input, code, stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %v", tc.input, err)
			}
			summary := stderr.String()
			if g.Config.Width != tc.width || g.Config.Height != tc.height || !strings.Contains(summary, "frames out "+strconv.Itoa(tc.frames)+",") ||
				!strings.Contains(summary, "read from ") || !strings.HasSuffix(strings.TrimSpace(summary), tc.readFrom) {
				t.Errorf("%s (isolate %v): %dx%d GIF, summary %q; want %dx%d, %d frames, read from …%s",
					tc.input, isolate, g.Config.Width, g.Config.Height, summary, tc.width, tc.height, tc.frames, tc.readFrom)
			}
		}
	}
}

// An anamorphic source becomes a GIF of its displayed shape; a source cut inside itself a
// shorter GIF, exit 0, with a warning before the summary.
func TestConvertCommandCompat(t *testing.T) {
	for _, tt := range []struct {
		input         string
		width, height int
		warning       bool
	}{
		{"../../testdata/compat/anamorphic-320x240-sar4x3.mp4", 80, 45, false},
		{"../../testdata/compat/truncated-inside.mp4", 80, 45, true},
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"convert", tt.input, "-"}, &stdout, &stderr); code != exitOK {
			t.Fatalf("%s: exit %d: %s", tt.input, code, stderr.String())
		}
		g, err := gif.DecodeAll(&stdout)
		if err != nil {
			t.Fatalf("%s: %v", tt.input, err)
		}
		if g.Config.Width != tt.width || g.Config.Height != tt.height {
			t.Errorf("%s: GIF is %dx%d, want %dx%d", tt.input, g.Config.Width, g.Config.Height, tt.width, tt.height)
		}
		if got := strings.Contains(stderr.String(), "warning: mp4: sample 11: invalid source: source truncated"); got != tt.warning {
			t.Errorf("%s: truncation warning %v, want %v: %s", tt.input, got, tt.warning, stderr.String())
		}
	}
}
