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
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d saying %q", tt.args, code, stderr.String(), tt.code, tt.says)
		}
	}
}
