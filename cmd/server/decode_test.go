package main

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

const testdata = "../../testdata"

// expectedFrames is nb_read_frames from ffprobe's JSON for a fixture.
func expectedFrames(t *testing.T, name string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, "expected", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var probe struct {
		Streams []struct {
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(probe.Streams[0].Frames)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDecodeCommand decodes every fixture kind from a file and from an http URL.
func TestDecodeCommand(t *testing.T) {
	dir := t.TempDir()
	origin := httptest.NewServer(http.FileServer(http.Dir(testdata)))
	defer origin.Close()
	for _, tc := range []struct {
		name   string
		input  string
		flags  []string
		frames int // -1: FFmpeg's count of the fixture
		header string
	}{
		{"main-250x142-24fps", "media/main-250x142-24fps.mp4", nil, -1, "YUV4MPEG2 W250 H142 F24:1 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\n"},
		{"high-bframes-320x320-30fps", "media/high-bframes-320x320-30fps.mp4", []string{"-threads", "2"}, -1, "YUV4MPEG2 W320 H320 F30:1 "},
		{"at 24 fps", "media/high-bframes-320x320-30fps.mp4", []string{"-fps", "24"}, 72, "YUV4MPEG2 W320 H320 F24:1 "},
		{"at 24 fps for 1 s", "media/high-bframes-320x320-30fps.mp4", []string{"-fps", "24", "-max-duration", "1s"}, 24, "YUV4MPEG2 W320 H320 F24:1 "},
		{"fragmented", "media/fragmented-320x320-30fps.mp4", nil, 90, "YUV4MPEG2 W320 H320 F30:1 "},
		{"video_ts_200x200", "hls/video_ts_200x200.m3u8", []string{"-threads", "2"}, -1, "YUV4MPEG2 W200 H200 "},
		{"video_sdr_160x160", "hls/master.m3u8", nil, -1, "YUV4MPEG2 W160 H160 "},
		// The A field: the samples' shape.
		{"anamorphic", "compat/anamorphic-320x240-sar4x3.mp4", nil, 30, "YUV4MPEG2 W320 H240 F30:1 Ip A4:3 C420mpeg2 "},
		{"extended SAR", "compat/sar5x4-sps-only.mp4", nil, 30, "YUV4MPEG2 W320 H240 F30:1 Ip A5:4 "},
		{"pasp over SPS", "compat/sar4x3-pasp1x1.mp4", nil, 30, "YUV4MPEG2 W320 H240 F30:1 Ip A1:1 "},
		// Cut inside itself: the pictures before the cut.
		{"truncated inside", "compat/truncated-inside.mp4", nil, 10, "YUV4MPEG2 W160 H90 F30:1 Ip A1:1 "},
		{"hevc-main-192x192-30fps", "hevc/main-192x192-30fps.mp4", nil, -1, "YUV4MPEG2 W192 H192 F30:1 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\n"},
		{"hevc-main10-250x142-24fps", "hevc/main10-250x142-24fps.mp4", nil, -1, "YUV4MPEG2 W250 H142 F24:1 Ip A1:1 C420p10 XYSCSS=420P10\n"},
		{"hevc-video_hevc_sdr_192x192", "hevc/master-hevc-only.m3u8", []string{"-threads", "2"}, -1, "YUV4MPEG2 W192 H192 F30:1 Ip A1:1 C420p10 XYSCSS=420P10\n"},
	} {
		for _, input := range []string{filepath.Join(testdata, tc.input), origin.URL + "/" + tc.input} {
			t.Run(tc.name+" from "+input[:4], func(t *testing.T) {
				out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".y4m")
				var stdout, stderr bytes.Buffer
				args := append(append([]string{"decode"}, tc.flags...), "-o", out, input)
				if code := run(args, &stdout, &stderr); code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(data, []byte(tc.header)) {
					t.Errorf("header %q, want prefix %q", data[:bytes.IndexByte(data, '\n')+1], tc.header)
				}
				want := tc.frames
				if want < 0 {
					want = expectedFrames(t, tc.name)
				}
				if n := bytes.Count(data, []byte("FRAME\n")); n != want {
					t.Errorf("%d frames, want %d", n, want)
				}
				if strings.HasPrefix(tc.name, "hevc-") {
					// libde265 matches FFmpeg bit for bit: every frame is FFmpeg's, by its MD5.
					if got, want := frameMD5s(data), framemd5Sums(t, tc.name); !slices.Equal(got, want) {
						t.Errorf("frame MD5s differ from FFmpeg's framemd5:\n got %v\nwant %v", got, want)
					}
				}
				t.Log(strings.TrimSpace(stderr.String()))
			})
		}
	}
}

// frameMD5s hashes the payload of every frame of a YUV4MPEG2 stream whose frames all have the
// same size.
func frameMD5s(y4m []byte) []string {
	frames := bytes.Split(y4m, []byte("FRAME\n"))[1:]
	var sums []string
	for _, f := range frames {
		sum := md5.Sum(f)
		sums = append(sums, hex.EncodeToString(sum[:]))
	}
	return sums
}

// framemd5Sums are the MD5s of FFmpeg's framemd5 file for a fixture, in order.
func framemd5Sums(t *testing.T, name string) []string {
	t.Helper()
	var sums []string
	for _, f := range framemd5.Frames(t, filepath.Join(testdata, "expected", name+".framemd5")) {
		sums = append(sums, f.MD5)
	}
	return sums
}

func TestDecodeCommandFailures(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no input", []string{"decode", "-o", filepath.Join(dir, "x.y4m")}, exitUsage},
		{"no output", []string{"decode", filepath.Join(testdata, "media/main-250x142-24fps.mp4")}, exitUsage},
		{"bad flag", []string{"decode", "-fps", "fast", "-o", filepath.Join(dir, "x.y4m"), "in.mp4"}, exitUsage},
		{"negative fps", []string{"decode", "-fps", "-1", "-o", filepath.Join(dir, "x.y4m"), "in.mp4"}, exitUsage},
		{"not a video", []string{"decode", "-o", filepath.Join(dir, "html.y4m"), filepath.Join(testdata, "broken/not-video.html")}, exitError},
		{"HEVC 4:2:2", []string{"decode", "-o", filepath.Join(dir, "hevc.y4m"), filepath.Join(testdata, "broken/hevc-422-64x64.mp4")}, exitError},
		{"missing file", []string{"decode", "-o", filepath.Join(dir, "missing.y4m"), filepath.Join(dir, "nothing.mp4")}, exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, stderr.String())
			}
			if stderr.Len() == 0 {
				t.Error("nothing on stderr")
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed decodes left %d files", len(entries))
	}
}

func TestVersionCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 || lines[0] != "server "+version || !strings.HasPrefix(lines[1], "OpenH264 2.") || !strings.HasPrefix(lines[2], "libde265 1.") {
		t.Errorf("version printed %q", stdout.String())
	}
}
