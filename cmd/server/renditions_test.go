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

// `server probe` and `server convert` on a TIDAL-like local origin: with a rule for it they read
// the 160 px rendition and say so; -renditions=false reads the URL as given; a bad rule is a
// usage error naming the flag.
func TestRenditionFlags(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Join("..", "..", "testdata", "renditions"))))
	defer srv.Close()
	rule := `[{"host": "` + strings.TrimPrefix(srv.URL, "http://") + `", "path": "/videos/*/{size}x{size}.mp4", "sizes": [160, 320, 640, 1280], "originals": ["origin.mp4"]}]`
	asked := srv.URL + "/videos/ab/cd/ef/origin.mp4"
	t.Setenv("SOURCE_RENDITIONS", "")
	t.Setenv("SOURCE_RENDITION_RULES", "")

	for _, tt := range []struct {
		args      []string
		wantURL   string
		wantWidth int
	}{
		{[]string{"-rendition-rules", rule}, "160x160.mp4", 160},
		{[]string{"-rendition-rules", rule, "-renditions=false"}, "origin.mp4", 640},
		{[]string{"-rendition-rules", rule, "-size", "160"}, "320x320.mp4", 320},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(append(append([]string{"probe"}, tt.args...), asked), &stdout, &stderr); code != exitOK {
			t.Fatalf("probe %q: exit %d: %s", tt.args, code, stderr.String())
		}
		var res codec.ProbeResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, stdout.String())
		}
		if !strings.HasSuffix(res.URL, "/"+tt.wantURL) || res.Width != tt.wantWidth || res.Frames != 24 {
			t.Errorf("probe %q: read %s, %d wide, %d frames; want %s, %d wide, 24 frames", tt.args, res.URL, res.Width, res.Frames, tt.wantURL, tt.wantWidth)
		}
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"convert", "-rendition-rules", rule, asked, "-"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("convert: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "read from "+srv.URL+"/videos/ab/cd/ef/160x160.mp4") {
		t.Errorf("convert's summary does not name the 160 rendition: %s", stderr.String())
	}

	// The variable is the flag's default.
	t.Setenv("SOURCE_RENDITION_RULES", rule)
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"probe", asked}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "160x160.mp4") {
		t.Errorf("probe with SOURCE_RENDITION_RULES: exit %d, %s%s", code, stdout.String(), stderr.String())
	}

	for _, cmd := range []string{"probe", "convert"} {
		stderr.Reset()
		code := run([]string{cmd, "-rendition-rules", `[{"host": "x"}]`, asked}, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "-rendition-rules: bad rendition rule") {
			t.Errorf("%s with a bad rule: exit %d, %s", cmd, code, stderr.String())
		}
	}

	// SOURCE_RENDITIONS is the default of -renditions, read as the service reads it: 0 (with
	// the blanks an env file may leave) switches the rules off; anything but a boolean is a
	// usage error naming it, for both commands, as it stops the service.
	t.Setenv("SOURCE_RENDITIONS", " 0 ")
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"probe", asked}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "origin.mp4") {
		t.Errorf("probe with SOURCE_RENDITIONS=0: exit %d, %s%s", code, stdout.String(), stderr.String())
	}
	t.Setenv("SOURCE_RENDITIONS", "maybe")
	for _, cmd := range []string{"probe", "convert"} {
		stderr.Reset()
		code := run([]string{cmd, "-renditions=false", asked}, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), `SOURCE_RENDITIONS: want 0 or 1, got "maybe"`) {
			t.Errorf("%s with SOURCE_RENDITIONS=maybe: exit %d, %s", cmd, code, stderr.String())
		}
	}
}
