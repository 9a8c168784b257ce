package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// Deep samples are rounded to 8 bits once, from the exact average. Rounding each sample first
// would give 101 for this 2x2 block (402 and 401 round to 101 and 100, whose mean 100.5 rounds
// up); its exact average, 401.5/4 = 100.375, is 100.
func TestDeepRoundsOnce(t *testing.T) {
	s, err := newPlaneScaler(2, 2, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	d := newDeepPlane(s)
	div := planeSums(d, []uint16{402, 402, 401, 401}, 2)
	dst := make([]byte, 1)
	newQuantiser(10, false, false).quantise(dst, d.sums, div)
	if dst[0] != 100 {
		t.Errorf("block 402 402 401 401: %d, want 100", dst[0])
	}
}

// The 8-bit value of a 10-bit sample, at every code value: limited range is the 10-bit value
// divided by 4 (BT.709 and BT.2020 quantise 10 bits as 8 bits times 4); full range scales 0..1023
// onto 0..255, chroma around its centre (H.273 equations 26 to 28).
func TestQuantiserAtEveryCode(t *testing.T) {
	for _, tc := range []struct {
		name         string
		full, chroma bool
		want         func(v float64) float64
	}{
		{"limited luma", false, false, func(v float64) float64 { return v / 4 }},
		{"limited chroma", false, true, func(v float64) float64 { return v / 4 }},
		{"full luma", true, false, func(v float64) float64 { return v * 255 / 1023 }},
		{"full chroma", true, true, func(v float64) float64 { return (v-512)*255/1023 + 128 }},
	} {
		q := newQuantiser(10, tc.full, tc.chroma)
		sums := make([]uint64, 1024)
		for v := range sums {
			sums[v] = uint64(v)
		}
		dst := make([]byte, 1024)
		q.quantise(dst, sums, 1)
		for v, got := range dst {
			want := math.Min(math.Max(math.Floor(tc.want(float64(v))+0.5), 0), 255)
			if float64(got) != want {
				t.Errorf("%s: %d -> %d, want %v", tc.name, v, got, want)
			}
		}
	}
	// The ends and the centre map exactly.
	for _, tc := range []struct {
		full, chroma bool
		in           uint64
		want         byte
	}{
		{false, false, 64, 16}, {false, false, 940, 235}, {false, true, 960, 240}, {false, true, 512, 128},
		{true, false, 0, 0}, {true, false, 1023, 255}, {true, true, 512, 128}, {true, true, 0, 0}, {true, true, 1023, 255},
	} {
		dst := make([]byte, 1)
		newQuantiser(10, tc.full, tc.chroma).quantise(dst, []uint64{tc.in}, 1)
		if dst[0] != tc.want {
			t.Errorf("full %v chroma %v: %d -> %d, want %d", tc.full, tc.chroma, tc.in, dst[0], tc.want)
		}
	}
}

// At every ratio, box and general, each 8-bit output of a random 10-bit plane is the area
// average of the samples it covers, rounded to nearest: exactly the rounded block mean for whole
// ratios, and otherwise within half a step of the average real-valued area weights give, plus
// what the integer weights (each within 2^-14 of its real value, rounding leftovers on the last
// tap) can move a sum of up to 900 code values: 0.1 of a step.
func TestDeepScalerMatchesAreaAverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range [][4]int{{1280, 1280, 80, 80}, {360, 360, 80, 80}, {250, 142, 80, 45}, {125, 71, 80, 45}, {64, 48, 16, 12}, {7, 5, 3, 2}} {
		srcW, srcH, dstW, dstH := c[0], c[1], c[2], c[3]
		src := make([]uint16, srcW*srcH)
		for i := range src {
			src[i] = uint16(64 + rng.IntN(877))
		}
		s, err := newPlaneScaler(srcW, srcH, dstW, dstH)
		if err != nil {
			t.Fatal(err)
		}
		d := newDeepPlane(s)
		div := planeSums(d, src, srcW)
		dst := make([]byte, dstW*dstH)
		newQuantiser(10, false, false).quantise(dst, d.sums, div)
		whole := srcW%dstW == 0 && srcH%dstH == 0
		for oy := range dstH {
			for ox := range dstW {
				avg := areaAverage(src, srcW, srcH, dstW, dstH, ox, oy) / 4
				got := float64(dst[oy*dstW+ox])
				if whole && got != math.Floor(avg+0.5) || math.Abs(got-avg) > 0.6 {
					t.Fatalf("%v: (%d,%d) = %v, exact average %.4f", c, ox, oy, got, avg)
				}
			}
		}
	}
}

// areaAverage is the exact area average of output sample (ox, oy), in floating point.
func areaAverage(src []uint16, srcW, srcH, dstW, dstH, ox, oy int) float64 {
	x0, x1 := float64(ox)*float64(srcW)/float64(dstW), float64(ox+1)*float64(srcW)/float64(dstW)
	y0, y1 := float64(oy)*float64(srcH)/float64(dstH), float64(oy+1)*float64(srcH)/float64(dstH)
	var sum, area float64
	for y := int(y0); float64(y) < y1; y++ {
		hy := math.Min(y1, float64(y+1)) - math.Max(y0, float64(y))
		for x := int(x0); float64(x) < x1; x++ {
			wx := math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))
			sum += float64(src[y*srcW+x]) * wx * hy
			area += wx * hy
		}
	}
	return sum / area
}

// A 10-bit SDR picture and the same picture at 8 bits (every sample a quarter, so exact) scale to
// the same output: the deep path agrees with the 8-bit one wherever both are exact.
func TestFrameScalerDeepMatches8Bit(t *testing.T) {
	const w, h = 320, 180
	rng := rand.New(rand.NewPCG(5, 6))
	p8 := &yuv.Picture{Width: w, Height: h, BitDepth: 8, Y: make([]byte, w*h), Cb: make([]byte, w*h/4), Cr: make([]byte, w*h/4), YStride: w, CStride: w / 2,
		Color: yuv.Color{Matrix: yuv.MatrixBT709}}
	p10 := &yuv.Picture{Width: w, Height: h, BitDepth: 10, Y16: make([]uint16, w*h), Cb16: make([]uint16, w*h/4), Cr16: make([]uint16, w*h/4), YStride: w, CStride: w / 2,
		Color: yuv.Color{Matrix: yuv.MatrixBT709}}
	for i := range p8.Y {
		p8.Y[i] = byte(16 + rng.IntN(220))
		p10.Y16[i] = uint16(p8.Y[i]) * 4
	}
	for i := range p8.Cb {
		p8.Cb[i], p8.Cr[i] = byte(16+rng.IntN(225)), byte(16+rng.IntN(225))
		p10.Cb16[i], p10.Cr16[i] = uint16(p8.Cb[i])*4, uint16(p8.Cr[i])*4
	}
	for _, size := range [][2]int{{80, 45}, {160, 90}} {
		s, err := newFrameScaler(w, h, size[0], size[1])
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.scale(p8)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.scale(p10)
		if err != nil {
			t.Fatal(err)
		}
		if a.FullChroma != b.FullChroma || a.Matrix != b.Matrix || a.FullRange != b.FullRange {
			t.Errorf("%v: 8-bit %+v, 10-bit %+v", size, a, b)
		}
		for name, planes := range map[string][2][]byte{"Y": {a.Y, b.Y}, "Cb": {a.Cb, b.Cb}, "Cr": {a.Cr, b.Cr}} {
			for i := range planes[0] {
				if d := int(planes[0][i]) - int(planes[1][i]); d < -1 || d > 1 {
					t.Fatalf("%v %s sample %d: 8-bit %d, 10-bit %d", size, name, i, planes[0][i], planes[1][i])
				}
			}
		}
	}
}

// BenchmarkPlaneScalerDeep1280To80 is a 10-bit plane through planeSums and the quantiser, the
// Main 10 counterpart of BenchmarkPlaneScaler1280To80.
func BenchmarkPlaneScalerDeep1280To80(b *testing.B) {
	src := make([]uint16, 1280*1280)
	for i := range src {
		src[i] = uint16(i*7) & 1023
	}
	s, _ := newPlaneScaler(1280, 1280, 80, 80)
	d := newDeepPlane(s)
	dst := make([]byte, 80*80)
	q := newQuantiser(10, false, false)
	b.SetBytes(int64(2 * len(src)))
	for b.Loop() {
		q.quantise(dst, d.sums, planeSums(d, src, 1280))
	}
}
