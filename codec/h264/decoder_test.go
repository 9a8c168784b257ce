package h264

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

const testdata = "../../testdata"

// readFrameMD5 reads FFmpeg's decode of a fixture (testdata/expected/NAME.framemd5).
func readFrameMD5(t testing.TB, name string) []framemd5.Frame {
	return framemd5.Frames(t, filepath.Join(testdata, "expected", name+".framemd5"))
}

// hasBFrames reads has_b_frames from ffprobe's JSON for the fixture.
func hasBFrames(t testing.TB, name string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, "expected", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var probe struct {
		Streams []struct {
			HasBFrames int `json:"has_b_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		t.Fatal(err)
	}
	return probe.Streams[0].HasBFrames > 0
}

type decodedFrame struct {
	pts           time.Duration
	md5           string
	width, height int
	color         yuv.Color
}

// decodeAll decodes every access unit with one decoder and flushes it.
func decodeAll(t testing.TB, aus []testAU) []decodedFrame {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out []decodedFrame
	emit := func(p *yuv.Picture) error {
		out = append(out, decodedFrame{p.PTS, framemd5.PictureSum(p), p.Width, p.Height, p.Color})
		return nil
	}
	for i, au := range aus {
		if err := d.Decode(au.annexB, au.pts, emit); err != nil {
			t.Fatalf("access unit %d (%v): %v", i, au, err)
		}
	}
	if err := d.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range []struct {
		name, file    string
		width, height int
	}{
		{"baseline-160x160-60fps", "media/baseline-160x160-60fps.mp4", 160, 160},
		{"vfr-160x160", "media/vfr-160x160.mp4", 160, 160},
		{"main-250x142-24fps", "media/main-250x142-24fps.mp4", 250, 142},
		{"high-bframes-128x128-30fps", "media/high-bframes-128x128-30fps.mp4", 128, 128},
		{"high-bframes-320x320-30fps", "media/high-bframes-320x320-30fps.mp4", 320, 320},
		{"high-bframes-320x320-30fps-moov-end", "media/high-bframes-320x320-30fps-moov-end.mp4", 320, 320},
		{"fragmented-320x320-30fps", "media/fragmented-320x320-30fps.mp4", 320, 320},
		{"video_sdr_160x160", "hls/video_sdr_160x160-.mp4", 160, 160},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := readFrameMD5(t, tc.name)
			got := decodeAll(t, readMP4(t, filepath.Join(testdata, tc.file)))
			if len(got) != len(want) {
				t.Fatalf("decoded %d pictures, FFmpeg %d", len(got), len(want))
			}
			exact := !hasBFrames(t, tc.name)
			mismatches := 0
			for i := range want {
				if got[i].pts != want[i].PTS {
					t.Errorf("picture %d: pts %v, FFmpeg %v", i, got[i].pts, want[i].PTS)
				}
				if got[i].width != tc.width || got[i].height != tc.height {
					t.Errorf("picture %d: %dx%d, want %dx%d", i, got[i].width, got[i].height, tc.width, tc.height)
				}
				if got[i].md5 != want[i].MD5 {
					mismatches++
				}
			}
			if exact && mismatches > 0 {
				t.Errorf("%d of %d pictures differ from FFmpeg's on a stream without B-frames", mismatches, len(want))
			}
			t.Logf("%d pictures, %d differ from FFmpeg (B-frames: %v)", len(want), mismatches, !exact)
		})
	}
}
