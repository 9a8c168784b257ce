package h265_test

import (
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// BenchmarkDecode measures libde265 alone, one thread, every access unit of the 8-bit and the
// 10-bit fixture decoded (go run ./bench/hevc compares it with FFmpeg on 1280x1280 streams).
func BenchmarkDecode(b *testing.B) {
	for _, f := range []struct{ name, file string }{
		{"main-192x192", "hevc/main-192x192-30fps.mp4"},
		{"main10-250x142", "hevc/main10-250x142-24fps.mp4"},
	} {
		b.Run(f.name, func(b *testing.B) {
			samples := readSamples(b, f.file)
			start, frames := time.Now(), 0
			for b.Loop() {
				d, err := h265.NewDecoder(1)
				if err != nil {
					b.Fatal(err)
				}
				count := func(*yuv.Picture) error { frames++; return nil }
				for _, s := range samples {
					if err := d.Decode(s.AnnexB, s.PTS, count); err != nil {
						b.Fatal(err)
					}
				}
				if err := d.Flush(count); err != nil {
					b.Fatal(err)
				}
				d.Close()
			}
			b.ReportMetric(float64(frames)/time.Since(start).Seconds(), "frames/s")
		})
	}
}
