package main

import (
	"bytes"
	"image/gif"
	"os"
	"path/filepath"
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
		{[]string{"convert", "../../testdata/broken/hevc-only.mp4", "-"}, exitError, "hvc1"},
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
