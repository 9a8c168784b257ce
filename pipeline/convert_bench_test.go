package pipeline

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
)

// BenchmarkConvert converts the bench harness's 1280x1280 clip when it is there (make bench
// makes it; go run ./bench -quick too), else a committed fixture, and reports source frames
// converted per second.
func BenchmarkConvert(b *testing.B) {
	src := "../bench/work/h264-high-1280-30fps-10s.mp4"
	if _, err := os.Stat(src); err != nil {
		src = fixture("media/high-bframes-320x320-30fps.mp4")
	}
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "threads=1", 2: "threads=2"}[threads], func(b *testing.B) {
			var samples int
			for b.Loop() {
				stats, err := Convert(context.Background(), src, Options{Threads: threads}, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				samples += stats.Samples
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

// BenchmarkEncodeRealFootage measures the GIF encoder alone inside a real conversion: the frames
// of real-footage clips (testdata/real, TIDAL's 160 px rendition size), decoded and resized as a
// conversion does, once; then gifenc makes the GIF of them, palette window and local palettes
// included. µs/frame is the encoder's share of a conversion per output frame.
func BenchmarkEncodeRealFootage(b *testing.B) {
	for _, clip := range []string{"cover-15s", "koala-heavy-grain", "face-15s"} {
		b.Run(clip, func(b *testing.B) {
			frames := decodeFrames(b, fixture("real/"+clip+".mp4"), 80)
			for b.Loop() {
				enc, err := gifenc.NewWriter(io.Discard, gifenc.Options{Width: 80, Height: 80})
				if err != nil {
					b.Fatal(err)
				}
				for _, f := range frames {
					if err := enc.WriteFrame(gifenc.Frame{Timestamp: f.Time, YCbCr: f.Value}); err != nil {
						b.Fatal(err)
					}
				}
				last := frames[len(frames)-1]
				if err := enc.Close(last.Time + last.Duration); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(frames)), "µs/frame")
		})
	}
}

// decodeFrames decodes a clip at 24 fps into frames resized to fit size x size, as Convert does.
func decodeFrames(tb testing.TB, path string, size int) []decodeworker.Frame {
	tb.Helper()
	src, err := codec.Open(context.Background(), path, codec.OpenOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	info := src.Info()
	w, h := outputSize(info.Width, info.Height, info.SampleAspect, size)
	var frames []decodeworker.Frame
	_, err = codec.Decode(context.Background(), src, codec.DecodeOptions{FrameRate: DefaultFrameRate}, newFrameConverter(w, h),
		func(f decodeworker.Frame) error { frames = append(frames, f); return nil })
	if err != nil {
		tb.Fatal(err)
	}
	return frames
}
