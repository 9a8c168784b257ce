package codec

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/internal/framemd5"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

const testdata = "../testdata"

// readFrameMD5 reads FFmpeg's framemd5 of a fixture: presentation times and MD5s in order.
func readFrameMD5(t testing.TB, name string) (pts []time.Duration, sums []string) {
	t.Helper()
	f, err := framemd5.Read(filepath.Join(testdata, "expected", name+".framemd5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range f.Frames {
		pts, sums = append(pts, fr.PTS), append(sums, fr.MD5)
	}
	return pts, sums
}

// md5Of hashes a picture as FFmpeg's framemd5 does for yuv420p and yuv420p10le: rows of width
// samples, Y U V, deeper samples as two little-endian bytes (CopyYUVFrame's packing).
func md5Of(p *yuv.Picture) (string, error) {
	sum := md5.Sum(CopyYUVFrame(p).Data)
	return hex.EncodeToString(sum[:]), nil
}

func decodeFixture(t testing.TB, file string, opts DecodeOptions) ([]Frame[string], DecodeStats, error) {
	t.Helper()
	var frames []Frame[string]
	stats, err := Decode(context.Background(), openFixture(t, filepath.Join(testdata, file)), opts, md5Of,
		func(f Frame[string]) error { frames = append(frames, f); return nil })
	return frames, stats, err
}

func TestDecodeEveryPicture(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		exact      bool // no B-frames (has_b_frames 0): bit-exact against FFmpeg
	}{
		{"baseline-160x160-60fps", "media/baseline-160x160-60fps.mp4", true},
		{"vfr-160x160", "media/vfr-160x160.mp4", true},
		{"main-250x142-24fps", "media/main-250x142-24fps.mp4", false},
		{"high-bframes-320x320-30fps", "media/high-bframes-320x320-30fps.mp4", false},
		{"fragmented-320x320-30fps", "media/fragmented-320x320-30fps.mp4", false},
		{"video_sdr_160x160", "hls/video_sdr_160x160-.mp4", false},
	} {
		for _, threads := range []int{1, 2} {
			t.Run(tc.name+"/threads="+strconv.Itoa(threads), func(t *testing.T) {
				wantPTS, wantMD5 := readFrameMD5(t, tc.name)
				frames, stats, err := decodeFixture(t, tc.file, DecodeOptions{Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				if len(frames) != len(wantPTS) || stats.Emitted != len(wantPTS) || stats.Decoded != len(wantPTS) {
					t.Fatalf("%d frames (stats %+v), FFmpeg %d", len(frames), stats, len(wantPTS))
				}
				for i, f := range frames {
					if f.Time != wantPTS[i] || f.PTS != wantPTS[i] {
						t.Errorf("frame %d at %v (pts %v), FFmpeg %v", i, f.Time, f.PTS, wantPTS[i])
					}
					if tc.exact && f.Value != wantMD5[i] {
						t.Errorf("frame %d differs from FFmpeg's", i)
					}
				}
			})
		}
	}
}

// At 24 fps from 30 fps every output slot shows one of the pictures FFmpeg's fps filter puts
// into it (FFmpeg's own choice, or the slot's reference picture in its place), decoded without
// the non-reference pictures nobody sees, and identical to the same pictures of a full decode
// (skipping a non-reference picture changes no other). On this x264 stream every dropped
// picture can be a non-reference one, so none is decoded for nothing.
func TestDecodeAt24FPSSkipsNonReference(t *testing.T) {
	const name, file = "high-bframes-320x320-30fps", "media/high-bframes-320x320-30fps.mp4"
	full, _, err := decodeFixture(t, file, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byPTS := map[time.Duration]string{}
	for _, f := range full {
		byPTS[f.PTS] = f.Value
	}
	pts, _ := readFrameMD5(t, name)
	sel := FrameSelector{FrameRate: 24}
	var want []time.Duration
	for i, p := range pts {
		next := p + time.Second/30
		if i+1 < len(pts) {
			next = pts[i+1]
		}
		if show, _, _ := sel.Choose(p, next); show {
			want = append(want, p)
		}
	}
	var first []Frame[string]
	for _, threads := range []int{1, 2} {
		frames, stats, err := decodeFixture(t, file, DecodeOptions{FrameRate: 24, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		if len(frames) != 72 || len(want) != 72 {
			t.Fatalf("threads %d: %d frames, selector on FFmpeg's times %d, want 72 (3 s at 24 fps)", threads, len(frames), len(want))
		}
		for i, f := range frames {
			if sel.Slot(f.PTS) != int64(i) || f.Time != sel.SlotTime(int64(i)) || f.Value != byPTS[f.PTS] {
				t.Errorf("threads %d: frame %d: pts %v (slot %d) at %v, want a picture of slot %d at %v (same picture: %v)", threads, i, f.PTS, sel.Slot(f.PTS), f.Time, i, sel.SlotTime(int64(i)), f.Value == byPTS[f.PTS])
			}
			if f.PTS != want[i] && sel.Slot(want[i]) != int64(i) {
				t.Errorf("threads %d: frame %d: FFmpeg's picture %v is not in slot %d", threads, i, want[i], i)
			}
		}
		if stats.Samples != 90 || stats.Skipped+stats.Decoded != 90 || stats.Emitted != 72 || stats.Decoded-stats.Dropped != 72 {
			t.Errorf("threads %d: stats %+v", threads, stats)
		}
		if stats.Skipped != 18 || stats.Dropped != 0 {
			t.Errorf("threads %d: %d skipped, %d dropped; want all 18 unseen pictures skipped", threads, stats.Skipped, stats.Dropped)
		}
		t.Logf("threads %d: %+v: %.0f%% of samples never decoded", threads, stats, 100*float64(stats.Skipped)/float64(stats.Samples))
		if threads == 1 {
			first = frames
		} else if !slices.Equal(first, frames) {
			t.Error("threads 2 gives other frames than threads 1")
		}
	}
}

func TestDecodeStopsAtMaxDuration(t *testing.T) {
	frames, stats, err := decodeFixture(t, "media/high-bframes-320x320-30fps.mp4", DecodeOptions{FrameRate: 24, MaxDuration: time.Second, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 24 {
		t.Errorf("%d frames in the first second at 24 fps, want 24", len(frames))
	}
	if last := frames[len(frames)-1]; last.Time+last.Duration != time.Second {
		t.Errorf("last frame ends at %v, want 1s", last.Time+last.Duration)
	}
	// Reading stops at the first sample decoded after the limit (GOPs of 30 with B-frames:
	// a few samples past the 30 inside it).
	if stats.Samples > 36 {
		t.Errorf("%d samples read for 1 s of a 30 fps stream", stats.Samples)
	}
	t.Logf("%+v", stats)
}

// Cancelling while ranges are decoded in parallel stops every goroutine and closes every decoder.
func TestDecodeCancel(t *testing.T) {
	goroutines, decoders := runtime.NumGoroutine(), h264.LiveDecoders()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := openFixture(t, filepath.Join(testdata, "media/high-bframes-320x320-30fps.mp4"))
	n := 0
	_, err := Decode(ctx, src, DecodeOptions{Threads: 2}, md5Of, func(Frame[string]) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if d := h264.LiveDecoders(); d != decoders {
		t.Errorf("%d decoders open, want %d", d, decoders)
	}
	// Decode waits for its goroutines before it returns; allow the runtime a moment to reap.
	for range 100 {
		if runtime.NumGoroutine() <= goroutines {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > goroutines {
		t.Errorf("%d goroutines, %d before", g, goroutines)
	}
}

func TestDecodeErrors(t *testing.T) {
	convertFails := errors.New("convert failed")
	for _, tc := range []struct {
		name    string
		file    string
		opts    DecodeOptions
		convert func(*yuv.Picture) (string, error)
		want    error
	}{
		{"4112 wide", "broken/too-wide-4112x32.mp4", DecodeOptions{}, md5Of, ErrUnsupported},
		{"over MaxWidth option", "media/high-bframes-320x320-30fps.mp4", DecodeOptions{MaxWidth: 256, Threads: 2}, md5Of, ErrUnsupported},
		{"convert error", "media/high-bframes-320x320-30fps.mp4", DecodeOptions{Threads: 2}, func(*yuv.Picture) (string, error) { return "", convertFails }, convertFails},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decoders := h264.LiveDecoders()
			_, err := Decode(context.Background(), openFixture(t, filepath.Join(testdata, tc.file)), tc.opts, tc.convert, func(Frame[string]) error { return nil })
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if h264.LiveDecoders() != decoders {
				t.Errorf("%d decoders left open", h264.LiveDecoders()-decoders)
			}
		})
	}
}

// 200 random bytes in the middle of the stream: the damaged access units are counted, the
// decoder conceals the damage, and every picture still comes out.
func TestDecodeCorruptNAL(t *testing.T) {
	frames, stats, err := decodeFixture(t, "broken/corrupt-nal.mp4", DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Corrupt == 0 {
		t.Error("no access unit rejected")
	}
	t.Logf("%d frames, %+v", len(frames), stats)
}
