package codec

import (
	"context"
	"io"
	"path/filepath"
	"testing"
)

// BenchmarkDemux measures demuxing alone (no decoding) of fixtures read from files.
func BenchmarkDemux(b *testing.B) {
	for _, name := range []string{"media/high-bframes-320x320-30fps.mp4", "media/fragmented-320x320-30fps.mp4", "hls/master.m3u8", "hls/master-ts.m3u8"} {
		b.Run(filepath.Base(name), func(b *testing.B) {
			samples := 0
			for b.Loop() {
				src, err := Open(context.Background(), filepath.Join(fixtures, name), OpenOptions{})
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := src.Next(context.Background()); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
					samples++
				}
				src.Close()
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
