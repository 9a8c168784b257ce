package pipeline

import (
	"bytes"
	"context"
	"errors"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

func fixture(name string) string { return filepath.Join("..", "testdata", name) }

// decodeGIF decodes a whole GIF and returns it with its total delay in hundredths.
func decodeGIF(t *testing.T, data []byte) (*gif.GIF, int) {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/gif cannot decode the output: %v", err)
	}
	total := 0
	for _, d := range g.Delay {
		total += d
	}
	return g, total
}

func TestConvertFixtures(t *testing.T) {
	tests := []struct {
		name          string
		frames        int // frames at 24 fps
		width, height int
		seconds       float64
	}{
		{"media/baseline-160x160-60fps.mp4", 48, 80, 80, 2},
		{"media/high-bframes-320x320-30fps.mp4", 72, 80, 80, 3},
		{"media/high-bframes-320x320-30fps-moov-end.mp4", 72, 80, 80, 3},
		{"media/high-bframes-128x128-30fps.mp4", 48, 80, 80, 2},
		{"media/fragmented-320x320-30fps.mp4", 72, 80, 80, 3},
		{"media/main-250x142-24fps.mp4", 48, 80, 45, 2},
		{"hevc/main-192x192-30fps.mp4", 72, 80, 80, 3},
		{"hevc/main10-250x142-24fps.mp4", 48, 80, 45, 2},
		{"hevc/main10-pq-160x160-30fps.mp4", 24, 80, 80, 1},
		{"hevc/main10-hlg-160x160-30fps.mp4", 24, 80, 80, 1},
		{"hevc/hev1-fragmented-160x160-30fps.mp4", 48, 80, 80, 2},
		{"hevc/main-160x160-30fps.ts", 48, 80, 80, 2},
		{"hevc/master-hevc-only.m3u8", 72, 80, 80, 3},
		{"hevc/master-pq-only.m3u8", 72, 80, 80, 3},
		{"broken/hevc-only.mp4", 24, 80, 80, 1},
		{"broken/hevc-master.m3u8", 96, 80, 80, 4},
		{"hevc/anamorphic-160x120-sar4x3.ts", 12, 80, 45, 0.5}, // shown at 213x120
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.name), func(t *testing.T) {
			var out bytes.Buffer
			stats, err := Convert(context.Background(), fixture(tt.name), Options{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Encoded != tt.frames {
				t.Errorf("encoded %d frames, want %d", stats.Encoded, tt.frames)
			}
			if stats.OutputBytes != int64(out.Len()) {
				t.Errorf("stats say %d bytes, wrote %d", stats.OutputBytes, out.Len())
			}
			g, total := decodeGIF(t, out.Bytes())
			if g.Config.Width != tt.width || g.Config.Height != tt.height {
				t.Errorf("GIF is %dx%d, want %dx%d", g.Config.Width, g.Config.Height, tt.width, tt.height)
			}
			if len(g.Image) == 0 || len(g.Image) > tt.frames {
				t.Errorf("GIF holds %d frames, want 1..%d (identical frames merge)", len(g.Image), tt.frames)
			}
			want := int(tt.seconds * 100)
			if diff := total - want; diff < -len(g.Image) || diff > len(g.Image) {
				t.Errorf("total delay %d/100 s, want %d ± 1 per frame", total, want)
			}
			if g.LoopCount != 0 {
				t.Errorf("loop count %d, want 0 (forever)", g.LoopCount)
			}
			if stats.Decoded+stats.Skipped < stats.Encoded || stats.SourceBytes == 0 || stats.FirstByte <= 0 {
				t.Errorf("implausible stats %+v", stats)
			}
			// Every stage did some work, and the single-threaded decode's busy time fits in the
			// conversion's wall time.
			if stats.FetchTime <= 0 || stats.DecodeTime <= 0 || stats.ResizeTime <= 0 || stats.EncodeTime <= 0 || stats.DecodeTime+stats.ResizeTime > stats.Wall {
				t.Errorf("stage times %+v", stats)
			}
		})
	}
}

func TestConvertHonoursOptions(t *testing.T) {
	src := fixture("media/high-bframes-320x320-30fps.mp4") // 3 s at 30 fps
	tests := []struct {
		opts         Options
		frames, size int
		centiseconds int
	}{
		{Options{FrameRate: 10}, 30, 80, 300},
		{Options{MaxDuration: time.Second}, 24, 80, 100},
		{Options{Size: 40, MaxDuration: 1500 * time.Millisecond}, 36, 40, 150},
		{Options{Size: 320, FrameRate: 30, MaxDuration: time.Second}, 30, 320, 100},
		{Options{Dither: gifenc.DitherFloydSteinberg, Colors: 64, MaxDuration: time.Second}, 24, 80, 100},
		{Options{Dither: gifenc.DitherNone, Threads: 2}, 72, 80, 300},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		stats, err := Convert(context.Background(), src, tt.opts, &out)
		if err != nil {
			t.Fatalf("%+v: %v", tt.opts, err)
		}
		g, total := decodeGIF(t, out.Bytes())
		if stats.Encoded != tt.frames || g.Config.Width != tt.size {
			t.Errorf("%+v: %d frames at %d px, want %d at %d", tt.opts, stats.Encoded, g.Config.Width, tt.frames, tt.size)
		}
		if diff := total - tt.centiseconds; diff < -len(g.Image) || diff > len(g.Image) {
			t.Errorf("%+v: total delay %d, want %d", tt.opts, total, tt.centiseconds)
		}
	}
}

func TestConvertSkipsUnseenPictures(t *testing.T) {
	var out bytes.Buffer
	stats, err := Convert(context.Background(), fixture("media/high-bframes-320x320-30fps.mp4"), Options{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	// 30 -> 24 fps drops one picture in five; the non-reference ones are never decoded.
	if stats.Skipped == 0 || stats.Decoded+stats.Skipped != stats.Samples {
		t.Errorf("decoded %d + skipped %d of %d samples: want some skipped, all accounted", stats.Decoded, stats.Skipped, stats.Samples)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name string
		want error
	}{
		{"broken/not-video.html", codec.ErrUnsupported},
		{"broken/empty.mp4", codec.ErrUnsupported},
		{"broken/audio-only.mp4", codec.ErrUnsupported},
		{"broken/too-wide-4112x32.mp4", codec.ErrUnsupported},
		{"broken/hevc-too-wide-4112x32.mp4", codec.ErrUnsupported},
		{"broken/hevc-422-64x64.mp4", codec.ErrUnsupported},
		{"compat/koala.webm", codec.ErrUnsupported},
		{"compat/encrypted-cenc.mp4", codec.ErrUnsupported},
	}
	for _, tt := range tests {
		_, err := Convert(context.Background(), fixture(tt.name), Options{}, io.Discard)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := Convert(context.Background(), fixture("media/baseline-160x160-60fps.mp4"), Options{Colors: 300}, io.Discard); !errors.Is(err, ErrOptions) {
		t.Errorf("300 colours: err = %v, want ErrOptions", err)
	}
}

// slowWriter blocks every write until the test lets it go, so a conversion can be caught mid-way.
type slowWriter struct{ wrote chan struct{} }

func (w *slowWriter) Write(p []byte) (int, error) {
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	time.Sleep(5 * time.Millisecond)
	return len(p), nil
}

func TestConvertCancelLeavesNothingBehind(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, threads := range []int{1, 2} {
		for _, src := range []string{"media/high-bframes-320x320-30fps.mp4", "hevc/master-hevc-only.m3u8"} {
			ctx, cancel := context.WithCancel(context.Background())
			w := &slowWriter{wrote: make(chan struct{}, 1)}
			done := make(chan error, 1)
			go func() {
				_, err := Convert(ctx, fixture(src), Options{Threads: threads}, w)
				done <- err
			}()
			<-w.wrote
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("%s, threads %d: err = %v, want context.Canceled", src, threads, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s, threads %d: Convert did not return after cancel", src, threads)
			}
		}
	}
	if n := h264.LiveDecoders() + h265.LiveDecoders(); n != 0 {
		t.Errorf("%d decoders left open", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after cancelling, %d before", n, before)
	}
}

// Ten readers of one conversion's Result, reading while it is produced from a throttled origin,
// all get the same bytes as a plain conversion.
func TestConvertIntoSharedResult(t *testing.T) {
	data := mustRead(t, fixture("media/fragmented-320x320-30fps.mp4"))
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for off := 0; off < len(data); off += 16 << 10 {
			w.Write(data[off:min(off+16<<10, len(data))])
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
		}
	}))
	defer origin.Close()

	var want bytes.Buffer
	if _, err := Convert(context.Background(), fixture("media/fragmented-320x320-30fps.mp4"), Options{}, &want); err != nil {
		t.Fatal(err)
	}
	result := NewResult()
	got := make([][]byte, 10)
	early := make([]bool, 10)
	var wg sync.WaitGroup
	for i := range got {
		r := result.NewReader(context.Background())
		wg.Go(func() {
			var buf bytes.Buffer
			if _, err := r.WriteTo(&buf); err != nil {
				t.Errorf("reader %d: %v", i, err)
			}
			got[i] = buf.Bytes()
		})
		wg.Go(func() {
			// A reader sees bytes before the conversion is done.
			for result.Len() == 0 {
				select {
				case <-result.Done():
					return
				case <-time.After(time.Millisecond):
				}
			}
			select {
			case <-result.Done():
			default:
				early[i] = true
			}
		})
	}
	_, err := Convert(context.Background(), origin.URL+"/cover.mp4", Options{}, result)
	result.Close(err)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if !bytes.Equal(got[i], want.Bytes()) {
			t.Errorf("reader %d: %d bytes, want the %d bytes of a plain conversion", i, len(got[i]), want.Len())
		}
		if !early[i] {
			t.Errorf("reader %d saw no byte before the conversion ended", i)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Real footage converted as the earlier service converted it: anamorphic sources at their
// displayed shape (ffmpeg's scale=iw*sar), QuickTime files with zero-terminated user data, and
// sources cut inside themselves into a valid, shorter GIF that says so in Stats.
func TestConvertCompat(t *testing.T) {
	tests := []struct {
		name          string
		width, height int
		frames        int // GIF frames at most (frame differencing may merge some)
		truncated     bool
	}{
		{"compat/anamorphic-320x240-sar4x3.mp4", 80, 45, 24, false},
		{"compat/sar4x3-pasp1x1.mp4", 80, 60, 24, false},
		{"compat/sar5x4-sps-only.mp4", 80, 48, 24, false},
		{"compat/sar-tkhd-only.mp4", 80, 45, 24, false},
		{"compat/udta-terminated.mov", 80, 45, 24, false},
		{"compat/udta-terminated.mp4", 80, 45, 24, false},
		{"compat/truncated-inside.mp4", 80, 45, 9, true},
		{"compat/truncated-inside-fragmented.mp4", 80, 45, 9, true},
		{"broken/truncated.mp4", 80, 80, 36, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			stats, err := Convert(t.Context(), fixture(tt.name), Options{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("not a GIF: %v", err)
			}
			if g.Config.Width != tt.width || g.Config.Height != tt.height {
				t.Errorf("GIF of %dx%d, want %dx%d", g.Config.Width, g.Config.Height, tt.width, tt.height)
			}
			// An encoded frame identical to the one before extends its delay instead of
			// becoming an image of its own.
			if n := len(g.Image); n < 2 || n > tt.frames || n > stats.Encoded {
				t.Errorf("%d GIF frames (%d encoded), want 2 to %d, at most one per frame encoded", n, stats.Encoded, tt.frames)
			}
			if got := stats.Truncated != nil; got != tt.truncated || (got && !errors.Is(stats.Truncated, codec.ErrTruncated)) {
				t.Errorf("Stats.Truncated = %v, want truncated %v", stats.Truncated, tt.truncated)
			}
		})
	}
}
