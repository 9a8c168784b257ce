package gifenc

import (
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// benchFrames are 80x80 frames of a moving scene with source noise, so
// most pixels go through the palette lookup and differencing every frame.
func benchFrames() [][]byte {
	rng := rand.New(rand.NewPCG(11, 11))
	var frames [][]byte
	for i := 0; i < 48; i++ {
		frames = append(frames, scene(80, 80, i, 6, rng))
	}
	return frames
}

// BenchmarkEncode80 measures steady-state encoding of 80x80 frames (palette
// lookup, dither, differencing, LZW, GIF blocks): the frames/s metric is the
// one to compare with the 20,000 frames/s goal; run with -cpu 1 for one core.
func BenchmarkEncode80(b *testing.B) {
	frames := benchFrames()
	for _, d := range []Dither{DitherBayer, DitherFloydSteinberg, DitherNone} {
		b.Run(d.String(), func(b *testing.B) {
			w, err := NewWriter(io.Discard, Options{Width: 80, Height: 80, Dither: d})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				if err := w.WriteFrame(Frame{Timestamp: frameTime(i, 24), RGB: frames[i%len(frames)]}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "frames/s")
			// On a shared machine wall time includes waiting for a core; CPU
			// time does not.
			b.ReportMetric(float64(i)/(cpuTime()-cpu0).Seconds(), "frames/cpu-s")
			b.ReportMetric(float64(w.Bytes())/float64(max(1, w.Frames())), "bytes/frame")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPalette measures building a palette (histogram, median cut and
// Lloyd rounds) from one 80x80 frame, what each local table costs.
func BenchmarkPalette(b *testing.B) {
	f := benchFrames()[0]
	px := make([]uint32, len(f)/3)
	for i := range px {
		px[i] = pack(f[3*i], f[3*i+1], f[3*i+2])
	}
	var h histogram
	for b.Loop() {
		h.reset()
		h.add(px, 1, 1)
		newPalette(&h, 31)
	}
}

// BenchmarkYCbCr measures the 4:2:0 to RGB conversion of one 80x80 frame.
func BenchmarkYCbCr(b *testing.B) {
	p := &YCbCr{Y: make([]byte, 80*80), Cb: make([]byte, 40*40), Cr: make([]byte, 40*40), YStride: 80, CStride: 40, Matrix: BT709}
	dst := make([]uint32, 80*80)
	for b.Loop() {
		p.toRGB(dst, 80, 80, newYUVTables(p.Matrix, p.FullRange), &yuvSamples{})
	}
}
