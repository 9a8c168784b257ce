package pipeline

import (
	"math/rand/v2"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
)

func TestOutputSize(t *testing.T) {
	square := codec.AspectRatio{}
	tests := []struct {
		w, h   int
		aspect codec.AspectRatio
		box    int
		wantW  int
		wantH  int
	}{
		{1280, 1280, square, 80, 80, 80},
		{250, 142, square, 80, 80, 45},
		{142, 250, square, 80, 45, 80},
		{360, 360, square, 80, 80, 80},
		{64, 48, square, 80, 64, 48}, // never upscaled
		{4000, 10, square, 80, 80, 1},
		{320, 240, codec.AspectRatio{Width: 1, Height: 1}, 80, 80, 60},
		{320, 240, codec.AspectRatio{Width: 4, Height: 3}, 80, 80, 45}, // 16:9 shown
		{320, 240, codec.AspectRatio{Width: 5, Height: 4}, 80, 80, 48}, // 400x240 shown
		{720, 576, codec.AspectRatio{Width: 16, Height: 11}, 80, 80, 44},
		{240, 320, codec.AspectRatio{Width: 3, Height: 4}, 80, 45, 80}, // narrowed
		{60, 60, codec.AspectRatio{Width: 2, Height: 1}, 80, 60, 30},   // 120x60 shown: the width is not upscaled
		{1920, 1080, codec.AspectRatio{Width: 4, Height: 3}, 40, 40, 17},
	}
	for _, tt := range tests {
		w, h := outputSize(tt.w, tt.h, tt.aspect, tt.box)
		if w != tt.wantW || h != tt.wantH {
			t.Errorf("outputSize(%d, %d, %v, %d) = %dx%d, want %dx%d", tt.w, tt.h, tt.aspect, tt.box, w, h, tt.wantW, tt.wantH)
		}
	}
}

func TestAreaTapsWeightsSumToOne(t *testing.T) {
	for _, c := range [][2]int{{1280, 80}, {360, 80}, {250, 80}, {142, 45}, {71, 23}, {80, 80}, {3, 1}} {
		taps := newAreaTaps(c[0], c[1], weightBits)
		covered := 0
		for i := range c[1] {
			var sum int32
			for k := range taps.count[i] {
				sum += taps.weight[taps.offset[i]+k]
			}
			if sum != 1<<weightBits {
				t.Errorf("%d->%d: output %d weights sum to %d", c[0], c[1], i, sum)
			}
			covered += int(taps.count[i])
		}
		if covered < c[0] {
			t.Errorf("%d->%d: taps cover %d source samples", c[0], c[1], covered)
		}
	}
}

// The area average of an integer-ratio downscale is the plain mean of each block.
func TestPlaneScalerMatchesBlockMean(t *testing.T) {
	const srcW, srcH, f = 64, 48, 4
	src := make([]byte, srcW*srcH)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range src {
		src[i] = byte(rng.IntN(256))
	}
	s, err := newPlaneScaler(srcW, srcH, srcW/f, srcH/f)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, (srcW/f)*(srcH/f))
	s.scale(dst, src, srcW)
	for oy := range srcH / f {
		for ox := range srcW / f {
			sum := 0
			for y := range f {
				for x := range f {
					sum += int(src[(oy*f+y)*srcW+ox*f+x])
				}
			}
			want := (sum + f*f/2) / (f * f)
			if got := int(dst[oy*(srcW/f)+ox]); got != want && got != want-1 && got != want+1 {
				t.Fatalf("(%d,%d) = %d, want %d±1", ox, oy, got, want)
			}
		}
	}
}

// A flat plane stays flat at every ratio, odd ones included: no weight is lost or doubled. The
// word-wise box path at its row limit, on the largest samples (1024 -> 8: 128 rows of 255),
// neither overflows a lane nor loses a sample.
func TestPlaneScalerKeepsFlatPlanes(t *testing.T) {
	for _, c := range []struct {
		srcW, srcH, dstW, dstH int
		value                  byte
	}{
		{250, 142, 80, 45, 201}, {125, 71, 80, 45, 201}, {360, 360, 80, 80, 201}, {7, 5, 3, 2, 201},
		{1024, 1024, 8, 8, 255}, {1280, 1280, 80, 80, 255}, {256, 4, 1, 1, 255},
	} {
		src := make([]byte, c.srcW*c.srcH)
		for i := range src {
			src[i] = c.value
		}
		s, err := newPlaneScaler(c.srcW, c.srcH, c.dstW, c.dstH)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]byte, c.dstW*c.dstH)
		s.scale(dst, src, c.srcW)
		for i, v := range dst {
			if v != c.value {
				t.Fatalf("%+v: sample %d = %d", c, i, v)
			}
		}
	}
	if _, err := newPlaneScaler(10, 10, 20, 5); err == nil {
		t.Error("upscaling accepted")
	}
}

// The general path in 16-bit lanes (at most 9 source rows an output row) against the same
// scaling one column at a time with 14-bit weights: within one level everywhere, on noise (the
// worst case: real pictures are smoother) and on Apple's 360 px variant's ratio.
func TestLanePathMatchesColumnPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range [][4]int{{360, 360, 80, 80}, {180, 180, 80, 80}, {250, 142, 80, 45}, {333, 201, 71, 43}} {
		srcW, srcH, dstW, dstH := c[0], c[1], c[2], c[3]
		stride := srcW + 5
		src := make([]byte, stride*srcH)
		for i := range src {
			src[i] = byte(rng.IntN(256))
		}
		lanes, err := newPlaneScaler(srcW, srcH, dstW, dstH)
		if err != nil {
			t.Fatal(err)
		}
		if !lanes.lanes || lanes.fx != 0 {
			t.Fatalf("%v: lanes %v, box %d: want the lane path", c, lanes.lanes, lanes.fx)
		}
		columns := *lanes
		columns.lanes, columns.y, columns.yBits, columns.words = false, newAreaTaps(srcH, dstH, weightBits), weightBits, nil
		columns.acc = make([]uint32, srcW+denseTaps-1)
		a, b := make([]byte, dstW*dstH), make([]byte, dstW*dstH)
		lanes.scale(a, src, stride)
		columns.scale(b, src, stride)
		for i := range a {
			if d := int(a[i]) - int(b[i]); d < -1 || d > 1 {
				t.Fatalf("%v: sample %d: lanes %d, columns %d", c, i, a[i], b[i])
			}
		}
	}
}

// BenchmarkPlaneScaler360To80 is Apple's smallest sufficient variant to an 80 px GIF.
func BenchmarkPlaneScaler360To80(b *testing.B) {
	src := make([]byte, 360*360)
	for i := range src {
		src[i] = byte(i * 7)
	}
	s, _ := newPlaneScaler(360, 360, 80, 80)
	dst := make([]byte, 80*80)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		s.scale(dst, src, 360)
	}
}

func BenchmarkPlaneScaler1280To80(b *testing.B) { benchmarkPlaneScaler(b, true) }

// BenchmarkPlaneScalerGeneral1280To80 is the same work on the general area path, for comparison.
func BenchmarkPlaneScalerGeneral1280To80(b *testing.B) { benchmarkPlaneScaler(b, false) }

func benchmarkPlaneScaler(b *testing.B, box bool) {
	src := make([]byte, 1280*1280)
	for i := range src {
		src[i] = byte(i * 7)
	}
	s, _ := newPlaneScaler(1280, 1280, 80, 80)
	if !box {
		s.fx, s.fy = 0, 0
	}
	dst := make([]byte, 80*80)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		s.scale(dst, src, 1280)
	}
}

func TestFrameScalerChromaLayout(t *testing.T) {
	tests := []struct {
		srcW, srcH, dstW, dstH int
		full                   bool
	}{
		{1280, 1280, 80, 80, true}, // chroma 640x640 holds more than 80x80
		{160, 160, 80, 80, true},   // chroma 80x80: exactly one sample per pixel
		{128, 128, 80, 80, false},  // chroma 64x64 would need upscaling: stay 4:2:0
		{250, 142, 80, 45, true},
	}
	for _, tt := range tests {
		s, err := newFrameScaler(tt.srcW, tt.srcH, tt.dstW, tt.dstH)
		if err != nil {
			t.Fatal(err)
		}
		if s.fullChroma != tt.full {
			t.Errorf("%dx%d -> %dx%d: full chroma %v, want %v", tt.srcW, tt.srcH, tt.dstW, tt.dstH, s.fullChroma, tt.full)
		}
	}
}

// The whole-ratio box path gives what the general area path gives: exactly for power-of-two
// ratios (their weights are exact in fixed point), within one level otherwise.
func TestBoxPathMatchesAreaPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range [][4]int{{1280, 1280, 80, 80}, {640, 640, 80, 80}, {160, 160, 80, 80}, {166, 82, 83, 41}, {80, 80, 80, 80}, {240, 90, 80, 30}, {96, 48, 4, 2}, {24, 24, 1, 1}} {
		srcW, srcH, dstW, dstH := c[0], c[1], c[2], c[3]
		stride := srcW + 7 // padded rows, as decoders give them
		src := make([]byte, stride*srcH)
		for i := range src {
			src[i] = byte(rng.IntN(256))
		}
		s, err := newPlaneScaler(srcW, srcH, dstW, dstH)
		if err != nil {
			t.Fatal(err)
		}
		if s.fx == 0 {
			t.Fatalf("%v: whole ratio not detected", c)
		}
		box := make([]byte, dstW*dstH)
		s.scale(box, src, stride)
		s.fx, s.fy = 0, 0 // force the general path
		area := make([]byte, dstW*dstH)
		s.scale(area, src, stride)
		fx, fy := srcW/dstW, srcH/dstH
		exact := fx&(fx-1) == 0 && fy&(fy-1) == 0
		for i := range box {
			d := int(box[i]) - int(area[i])
			if (exact && d != 0) || d < -1 || d > 1 {
				t.Fatalf("%v: sample %d: box %d, area %d", c, i, box[i], area[i])
			}
		}
	}
}
