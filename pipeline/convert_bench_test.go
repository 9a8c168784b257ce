package pipeline

import (
	"context"
	"io"
	"os"
	"testing"
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
