package codec

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// decodeHEVC decodes a fixture opened as the service opens it.
func decodeHEVC(t *testing.T, file string, opts DecodeOptions) ([]Frame[string], DecodeStats) {
	t.Helper()
	src, err := Open(context.Background(), filepath.Join(testdata, file), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Info().Format != FormatHEVC {
		t.Fatalf("%s: format %v", file, src.Info().Format)
	}
	var frames []Frame[string]
	stats, err := Decode(context.Background(), src, opts, md5Of, func(f Frame[string]) error { frames = append(frames, f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return frames, stats
}

// Every picture of the HEVC fixtures comes out as FFmpeg decodes it, at FFmpeg's time, with
// one decoder or one per IDR range.
func TestDecodeHEVCEveryPicture(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"hevc-main-192x192-30fps", "hevc/main-192x192-30fps.mp4"},
		{"hevc-main10-250x142-24fps", "hevc/main10-250x142-24fps.mp4"},
		{"hevc-main10-pq-160x160-30fps", "hevc/main10-pq-160x160-30fps.mp4"},
		{"hevc-main10-hlg-160x160-30fps", "hevc/main10-hlg-160x160-30fps.mp4"},
		{"hevc-hev1-fragmented-160x160-30fps", "hevc/hev1-fragmented-160x160-30fps.mp4"},
		{"hevc-main-160x160-30fps", "hevc/main-160x160-30fps.ts"},
		{"hevc-video_hevc_sdr_192x192", "hevc/video_hevc_sdr_192x192.m3u8"},
	} {
		for _, threads := range []int{1, 2} {
			t.Run(tc.name+"/threads="+strconv.Itoa(threads), func(t *testing.T) {
				wantPTS, wantMD5 := readFrameMD5(t, tc.name)
				frames, stats := decodeHEVC(t, tc.file, DecodeOptions{Threads: threads})
				if len(frames) != len(wantPTS) || stats.Emitted != len(wantPTS) || stats.Decoded != len(wantPTS) || stats.Corrupt != 0 {
					t.Fatalf("%d frames (stats %+v), FFmpeg %d", len(frames), stats, len(wantPTS))
				}
				for i, f := range frames {
					if f.Time != wantPTS[i] || f.PTS != wantPTS[i] {
						t.Errorf("frame %d at %v (pts %v), FFmpeg %v", i, f.Time, f.PTS, wantPTS[i])
					}
					if f.Value != wantMD5[i] {
						t.Errorf("frame %d differs from FFmpeg's", i)
					}
				}
			})
		}
	}
}

// At 24 fps from 30 fps, HEVC's non-reference pictures (TRAIL_N and RASL_N in x265's
// b-pyramid, all in the one sub-layer) that no output slot shows are never decoded; the frames
// shown are the same pictures as a full decode's, in FFmpeg's fps filter's slots.
func TestDecodeHEVCAt24FPSSkipsNonReference(t *testing.T) {
	for _, tc := range []struct {
		file    string
		threads int
	}{
		{"hevc/main-192x192-30fps.mp4", 1},            // open GOPs: CRA and RASL pictures
		{"hevc/video_hevc_sdr_192x192.m3u8", 2},       // Main 10, an IDR per second: 3 ranges
		{"hevc/hev1-fragmented-160x160-30fps.mp4", 1}, // parameter sets in band
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			full, _ := decodeHEVC(t, tc.file, DecodeOptions{})
			byPTS := map[time.Duration]string{}
			var pts []time.Duration
			for _, f := range full {
				byPTS[f.PTS] = f.Value
				pts = append(pts, f.PTS)
			}
			sel := FrameSelector{FrameRate: 24}
			frames, stats := decodeHEVC(t, tc.file, DecodeOptions{FrameRate: 24, Threads: tc.threads})
			wantFrames := int(sel.Slot(pts[len(pts)-1] + time.Second/30)) // one per slot up to the end
			if len(frames) != wantFrames {
				t.Fatalf("%d frames, want %d", len(frames), wantFrames)
			}
			for i, f := range frames {
				if sel.Slot(f.PTS) != int64(i) || f.Time != sel.SlotTime(int64(i)) || f.Value != byPTS[f.PTS] {
					t.Errorf("frame %d: pts %v (slot %d) at %v, want a picture of slot %d (same picture: %v)", i, f.PTS, sel.Slot(f.PTS), f.Time, i, f.Value == byPTS[f.PTS])
				}
			}
			unseen := len(full) - wantFrames
			if stats.Skipped != unseen || stats.Dropped != 0 {
				t.Errorf("stats %+v: %d pictures unseen, want every one skipped (a non-reference picture)", stats, unseen)
			}
			t.Logf("%+v: %d of %d unseen pictures never decoded", stats, stats.Skipped, unseen)
			if !slices.IsSortedFunc(frames, func(a, b Frame[string]) int { return int(a.Time - b.Time) }) {
				t.Error("frames out of order")
			}
		})
	}
}

// The flags of an H.265 access unit from its NAL unit headers (Table 7-1): IDR only for IDR
// pictures, random access also for CRA and BLA; non-reference for the sub-layer non-reference
// types, but only in the highest sub-layer (3.132: a higher sub-layer may refer to a lower one's).
func TestHEVCSampleFlags(t *testing.T) {
	nal := func(typ, tid uint8) []byte { return []byte{typ << 1, tid + 1, 0xaf, 0x80} }
	for _, tc := range []struct {
		name            string
		maxSubLayer     uint8
		nalus           [][]byte
		idr, ra, nonRef bool
	}{
		{"IDR_W_RADL", 0, [][]byte{nal(19, 0)}, true, true, false},
		{"IDR_N_LP", 0, [][]byte{nal(20, 0)}, true, true, false},
		{"CRA", 0, [][]byte{nal(21, 0)}, false, true, false},
		{"BLA_W_LP", 0, [][]byte{nal(16, 0)}, false, true, false},
		{"TRAIL_R", 0, [][]byte{nal(1, 0)}, false, false, false},
		{"TRAIL_N", 0, [][]byte{nal(0, 0)}, false, false, true},
		{"TSA_N, STSA_N, RADL_N, RASL_N", 0, [][]byte{nal(2, 0), nal(4, 0), nal(6, 0), nal(8, 0)}, false, false, true},
		{"RSV_VCL_N14", 0, [][]byte{nal(14, 0)}, false, false, true},
		{"RASL_R", 0, [][]byte{nal(9, 0)}, false, false, false},
		{"TRAIL_N below the highest sub-layer", 2, [][]byte{nal(0, 1)}, false, false, false},
		{"TRAIL_N in the highest sub-layer", 2, [][]byte{nal(0, 2)}, false, false, true},
		{"one reference slice of two", 0, [][]byte{nal(0, 0), nal(1, 0)}, false, false, false},
		{"SEI only", 0, [][]byte{nal(39, 0)}, false, false, false},
	} {
		tr := &hevcTrack{entry: "hvc1", maxSubLayer: tc.maxSubLayer}
		s, ra, err := tr.accessUnit(tc.nalus)
		if tc.ra && err == nil {
			t.Errorf("%s: random access picture without parameter sets accepted", tc.name)
			continue
		}
		if tc.ra {
			tr.hasInfo = true // parameter sets from the sample entry
			s, ra, err = tr.accessUnit(tc.nalus)
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s.IDR != tc.idr || ra != tc.ra || s.NonReference != tc.nonRef {
			t.Errorf("%s: IDR %v, random access %v, non-reference %v; want %v, %v, %v", tc.name, s.IDR, ra, s.NonReference, tc.idr, tc.ra, tc.nonRef)
		}
	}
}
