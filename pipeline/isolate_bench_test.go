package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
)

// isolationBenchInputs are a 320x320 fixture and, when the codec benchmarks have made it, the
// TIDAL-like 1280x1280 10 s clip of bench/work/.
func isolationBenchInputs(b *testing.B) map[string]string {
	in := map[string]string{"320": fixture("media/high-bframes-320x320-30fps.mp4")}
	big := filepath.Join("..", "bench", "work", "h264-high-1280-30fps-10s.mp4")
	if _, err := os.Stat(big); err == nil {
		in["1280"] = big
	} else {
		b.Logf("%s missing (go test -bench DecodeStage ./codec makes it): 1280 skipped", big)
	}
	return in
}

// cpuTimes is this process's CPU time plus that of its waited-for children (the workers).
func cpuTimes(b *testing.B) time.Duration {
	var self, children syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err != nil {
		b.Fatal(err)
	}
	sum := func(r syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return sum(self) + sum(children)
}

// BenchmarkIsolation converts the same source in process and isolated: what a decode worker
// costs per conversion, in wall and CPU time (the worker's included).
func BenchmarkIsolation(b *testing.B) {
	for _, size := range []string{"320", "1280"} {
		src, ok := isolationBenchInputs(b)[size]
		if !ok {
			continue
		}
		for _, isolate := range []bool{false, true} {
			name := size + "/in-process"
			if isolate {
				name = size + "/isolated"
			}
			b.Run(name, func(b *testing.B) {
				start, cpu := time.Now(), cpuTimes(b)
				for range b.N {
					if _, err := Convert(context.Background(), src, Options{Isolate: isolate}, io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "wall-ms/op")
				b.ReportMetric(float64((cpuTimes(b)-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// emptySource is a stream without samples: the worker starts, answers and exits.
type emptySource struct{}

func (emptySource) Info() codec.StreamInfo {
	return codec.StreamInfo{Width: 320, Height: 320, URL: "empty"}
}
func (emptySource) Next(context.Context) (codec.Sample, error) {
	return codec.Sample{}, io.EOF
}
func (emptySource) Close() error { return nil }

// BenchmarkWorkerStart is the fixed cost of one decode worker: start the process, put the
// limits on, exchange the header and the answer, exit, be waited for.
func BenchmarkWorkerStart(b *testing.B) {
	start, cpu := time.Now(), cpuTimes(b)
	for range b.N {
		_, err := decodeworker.Decode(context.Background(), emptySource{}, codec.DecodeOptions{MaxDuration: DefaultMaxDuration}, 80, 80, WorkerOptions{},
			func(decodeworker.Frame) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64((cpuTimes(b)-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkWorkerMemory finds the smallest memory budget (Options.Worker.MaxMemory, address
// space beyond the worker's at start) a conversion succeeds with, in 16 MiB steps: what
// decodeworker.DefaultMemory must cover. The worker's peak resident size is reported beside it.
func BenchmarkWorkerMemory(b *testing.B) {
	for size, src := range isolationBenchInputs(b) {
		for _, threads := range []int{1, 2} {
			b.Run(size+"/threads="+strconv.Itoa(threads), func(b *testing.B) {
				for range b.N {
					need := int64(0)
					for budget := int64(16 << 20); budget <= decodeworker.DefaultMemory; budget += 16 << 20 {
						_, err := Convert(context.Background(), src, Options{Isolate: true, Threads: threads, Worker: WorkerOptions{MaxMemory: budget}}, io.Discard)
						if err == nil {
							need = budget
							break
						}
						if !errors.Is(err, ErrDecoderCrashed) {
							b.Fatal(err)
						}
					}
					if need == 0 {
						b.Fatalf("no budget up to %d MiB was enough", decodeworker.DefaultMemory>>20)
					}
					b.ReportMetric(float64(need>>20), "MiB-budget-needed")
				}
				var children syscall.Rusage
				if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children); err == nil {
					b.ReportMetric(float64(children.Maxrss>>10), "MiB-max-worker-rss")
				}
			})
		}
	}
}
