package codec

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// benchInput (the same as codec/h264's, which a test cannot import) makes (once, cached in bench/work/, which git ignores) a TIDAL-like 10 s, 30 fps
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

// BenchmarkDecodeStage measures the decode stage on a sample list held in memory: every picture
// versus the frames of a 24 fps conversion (non-reference pictures not shown are never decoded),
// with one decoder versus two IDR ranges at once. frames/s counts source pictures per second.
func BenchmarkDecodeStage(b *testing.B) {
	for _, size := range []int{1280, 360} {
		src := openFixture(b, benchInput(b, size))
		for _, fps := range []float64{0, 24} {
			for _, threads := range []int{1, 2} {
				name := strconv.Itoa(size) + "/fps=" + strconv.FormatFloat(fps, 'f', -1, 64) + "/threads=" + strconv.Itoa(threads)
				b.Run(name, func(b *testing.B) {
					var stats DecodeStats
					start, cpu := time.Now(), cpuTime(b)
					for range b.N {
						src.next = 0
						var err error
						stats, err = Decode(context.Background(), src, DecodeOptions{FrameRate: fps, Threads: threads},
							func(*yuv.Picture) (struct{}, error) { return struct{}{}, nil },
							func(Frame[struct{}]) error { return nil })
						if err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(stats.Samples*b.N)/time.Since(start).Seconds(), "frames/s")
					// CPU time per source picture shows the work saved by skipping even when other
					// processes share the cores and wall time is noisy.
					b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(stats.Samples*b.N), "cpu-µs/frame")
					b.ReportMetric(100*float64(stats.Skipped)/float64(stats.Samples), "%skipped")
				})
			}
		}
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
