package codec

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// TestOpenMP4 reads every MP4 fixture from the file and over HTTP, and compares the samples
// with FFmpeg's view of the same file.
func TestOpenMP4(t *testing.T) {
	o := newOrigin(t, filepath.Join(fixtures, "media"))
	tests := []struct {
		name          string
		container     string
		profile       string
		width, height int
		fps           float64
		bframes       bool
	}{
		{"high-bframes-320x320-30fps", "mp4", "High", 320, 320, 30, true},
		{"high-bframes-320x320-30fps-moov-end", "mp4", "High", 320, 320, 30, true},
		{"high-bframes-128x128-30fps", "mp4", "High", 128, 128, 30, true},
		{"main-250x142-24fps", "mp4", "Main", 250, 142, 24, true},
		{"baseline-160x160-60fps", "mp4", "Constrained Baseline", 160, 160, 60, false},
		{"vfr-160x160", "mp4", "High", 160, 160, 30, false},
		{"fragmented-320x320-30fps", "fmp4", "High", 320, 320, 30, true},
	}
	for _, tt := range tests {
		want := readFramemd5(t, tt.name)
		for _, via := range []string{"file", "http"} {
			t.Run(tt.name+"/"+via, func(t *testing.T) {
				input := filepath.Join(fixtures, "media", tt.name+".mp4")
				if via == "http" {
					input = o.URL + "/" + tt.name + ".mp4"
				}
				src := openT(t, input, OpenOptions{})
				info := src.Info()
				if info.Container != tt.container || info.Profile != tt.profile || info.Width != tt.width || info.Height != tt.height {
					t.Errorf("info = %+v, want container %s profile %s %dx%d", info, tt.container, tt.profile, tt.width, tt.height)
				}
				if info.FrameRate < tt.fps-0.01 || info.FrameRate > tt.fps+0.01 {
					t.Errorf("frame rate = %v, want %v", info.FrameRate, tt.fps)
				}
				if wantURL, _ := filepath.Abs(input); via == "http" && info.URL != input || via == "file" && info.URL != wantURL {
					t.Errorf("URL = %q, for input %q", info.URL, input)
				}
				samples := readAll(t, src)
				checkSamples(t, samples, want, tt.bframes)
				if tt.container == "mp4" && info.Frames != len(want.pts) {
					t.Errorf("Frames = %d, want %d", info.Frames, len(want.pts))
				}
				if st := src.Fetched(); st.Bytes <= 0 {
					t.Errorf("%d bytes fetched", st.Bytes)
				}
			})
		}
	}
}

// checkSamples compares samples with FFmpeg's frames: count, presentation times, flags.
func checkSamples(t *testing.T, samples []Sample, want frameExpectation, bframes bool) {
	t.Helper()
	if len(samples) != len(want.pts) {
		t.Fatalf("%d samples, want %d", len(samples), len(want.pts))
	}
	if got := presentationTicks(samples, want.timebase); !slices.Equal(got, want.pts) {
		t.Errorf("presentation times (1/%d s):\n got %v\nwant %v", want.timebase, got, want.pts)
	}
	if !samples[0].IDR {
		t.Errorf("first sample is not IDR")
	}
	idr, nonRef := 0, 0
	var lastDTS time.Duration = -time.Hour
	for i, s := range samples {
		if s.IDR {
			idr++
			if !hasParameterSets(s.AnnexB) {
				t.Errorf("IDR sample %d has no SPS and PPS in front", i)
			}
		}
		if s.NonReference {
			nonRef++
			if s.IDR {
				t.Errorf("sample %d is IDR and non-reference", i)
			}
		}
		if s.DTS <= lastDTS {
			t.Errorf("sample %d: DTS %v after %v", i, s.DTS, lastDTS)
		}
		if s.PTS < s.DTS {
			t.Errorf("sample %d: PTS %v before DTS %v", i, s.PTS, s.DTS)
		}
		lastDTS = s.DTS
	}
	if bframes && nonRef == 0 {
		t.Errorf("no non-reference samples in a B-frame stream")
	}
	if !bframes && nonRef != 0 {
		t.Errorf("%d non-reference samples in a stream without B-frames", nonRef)
	}
	t.Logf("%d samples, %d IDR, %d non-reference", len(samples), idr, nonRef)
}

// hasParameterSets tells whether an Annex B access unit holds an SPS and a PPS.
func hasParameterSets(au []byte) bool {
	var sps, pps bool
	for i := 0; i+3 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			switch au[i+3] & 0x1f {
			case 7:
				sps = true
			case 8:
				pps = true
			}
		}
	}
	return sps && pps
}

// TestMoovAtEndRanges reads an MP4 whose moov follows the mdat: with an origin that serves
// ranges it jumps over the mdat, reads the moov, then asks for the media data; with one that
// does not, it holds the mdat in memory. Both give every sample.
func TestMoovAtEndRanges(t *testing.T) {
	const name = "high-bframes-320x320-30fps-moov-end"
	want := readFramemd5(t, name)
	for _, noRanges := range []bool{false, true} {
		o := newOrigin(t, filepath.Join(fixtures, "media"))
		o.noRanges = noRanges
		src := openT(t, o.URL+"/"+name+".mp4", OpenOptions{})
		checkSamples(t, readAll(t, src), want, true)
		requests, ranged := o.count("/" + name + ".mp4")
		fetched := src.Fetched().Bytes
		t.Logf("no ranges %v: %d requests, %d with Range, %d bytes", noRanges, requests, ranged, fetched)
		if noRanges && requests != 1 {
			t.Errorf("origin without ranges: %d requests, want 1", requests)
		}
		if !noRanges && (requests != 3 || ranged != 2) {
			t.Errorf("origin with ranges: %d requests (%d with Range), want 3 (2): first bytes, moov, mdat", requests, ranged)
		}
		if size := int64(210773); fetched > size+2*fetch.DefaultBufferSize {
			t.Errorf("fetched %d bytes of a %d-byte file", fetched, size)
		}
	}
}
