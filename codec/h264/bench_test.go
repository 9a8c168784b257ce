package h264

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// benchInput makes (once, cached in bench/work/, which git ignores) a TIDAL-like 10 s, 30 fps
// H.264 High stream: x264 preset medium, B-frames with b-pyramid, an IDR every 2 s, about
// 1 Mbit/s at 1280x1280. Without ffmpeg the benchmark is skipped.
func benchInput(b *testing.B, size int) string {
	b.Helper()
	dir := filepath.Join(testdata, "..", "bench", "work")
	path := filepath.Join(dir, "h264-high-"+strconv.Itoa(size)+"-30fps-10s.mp4")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		b.Skip("needs ffmpeg on PATH to make the benchmark input")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	s := strconv.Itoa(size)
	kbps := max(size*size*1000/(1280*1280), 100) // 1 Mbit/s at 1280x1280, by area
	tmp := path + ".tmp.mp4"
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
		"-i", "testsrc2=size="+s+"x"+s+":rate=30,noise=alls=6:allf=t,trim=duration=10",
		"-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", "medium",
		"-b:v", strconv.Itoa(kbps)+"k", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
		"-bf", "3", "-x264-params", "b-pyramid=normal", "-movflags", "+faststart", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkDecode measures OpenH264 alone, one thread, every access unit decoded.
func BenchmarkDecode(b *testing.B) {
	for _, size := range []int{1280, 360} {
		b.Run(strconv.Itoa(size)+"x"+strconv.Itoa(size), func(b *testing.B) {
			aus := readMP4(b, benchInput(b, size))
			b.ResetTimer()
			start, frames := time.Now(), 0
			for range b.N {
				d, err := NewDecoder()
				if err != nil {
					b.Fatal(err)
				}
				count := func(*yuv.Picture) error { frames++; return nil }
				for _, au := range aus {
					if err := d.Decode(au.annexB, au.pts, count); err != nil {
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
