package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
	"github.com/musicpresence/animated-album-covers/internal/quality"
)

// BT.2390's EETF as this conversion uses it: the master's peak becomes SDR white, nothing below
// the knee (about 90 cd/m²) changes, and brighter light is compressed, never inverted.
func TestEETF(t *testing.T) {
	if got := eetf(hdrSourcePeak); math.Abs(got-hdrSDRWhite) > 0.01 {
		t.Errorf("eetf(%v) = %v, want %v", hdrSourcePeak, got, hdrSDRWhite)
	}
	for _, l := range []float64{0.01, 1, 10, 50, 80} {
		if got := eetf(l); math.Abs(got-l) > 1e-9*l {
			t.Errorf("eetf(%v) = %v, want it unchanged below the knee", l, got)
		}
	}
	prev := 0.0
	for l := 0.0; l <= pqMax; l += 0.5 {
		got := eetf(l)
		if got < prev || got > hdrSDRWhite+0.01 {
			t.Fatalf("eetf(%v) = %v after %v: not monotonic, or over SDR white", l, got, prev)
		}
		prev = got
	}
	if pq, back := linearToPQ(1000), pqToLinear(linearToPQ(1000)); math.Abs(pq-0.7518) > 1e-4 || math.Abs(back-1000) > 1e-6 {
		t.Errorf("PQ of 1000 cd/m² = %v (want 0.7518), back %v", pq, back)
	}
	// HLG's reference white, 75% signal (BT.2408), on the 1000 cd/m² display: 203 cd/m².
	if got := hdrSourcePeak * math.Pow(hlgToLinear(0.75), hlgSystemGamma); math.Abs(got-203) > 1.5 {
		t.Errorf("HLG 75%% on a 1000 cd/m² display: %v cd/m², want 203", got)
	}
}

// exactConverter is c with the exact transfer functions instead of their tables.
func exactConverter(c yuv.Color, depth int) *colorConverter {
	cc := newColorConverter(c, depth)
	switch c.Transfer {
	case yuv.TransferPQ:
		cc.toLinear = pqToRelative
	case yuv.TransferHLG:
		cc.toLinear = hlgToLinear
	default:
		cc.toLinear = gammaToLinear
	}
	cc.toneMap, cc.encode = toneMapFactor, encodeRoot
	return cc
}

// The tables give the exact functions' result to within one 8-bit step, and almost always
// exactly, over random colours of every kind of source.
func TestCurvesMatchTheirFunctions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []yuv.Color{
		{Matrix: yuv.MatrixBT2020, Transfer: yuv.TransferPQ, Primaries: yuv.PrimariesBT2020},
		{Matrix: yuv.MatrixBT2020, Transfer: yuv.TransferHLG, Primaries: yuv.PrimariesBT2020},
		{Matrix: yuv.MatrixBT2020, Primaries: yuv.PrimariesBT2020, FullRange: true},
	} {
		table, exact := newColorConverter(c, 10), exactConverter(c, 10)
		off := 0
		const n = 200_000
		for range n {
			y, cb, cr := 64+rng.Float64()*876, 64+rng.Float64()*896, 64+rng.Float64()*896
			a0, a1, a2 := table.convert(y, cb, cr)
			b0, b1, b2 := exact.convert(y, cb, cr)
			for _, d := range []int{int(a0) - int(b0), int(a1) - int(b1), int(a2) - int(b2)} {
				if d < -1 || d > 1 {
					t.Fatalf("%+v: (%v, %v, %v): table %d %d %d, exact %d %d %d", c, y, cb, cr, a0, a1, a2, b0, b1, b2)
				}
				if d != 0 {
					off++
				}
			}
		}
		if off > n*3/100 {
			t.Errorf("%+v: %d of %d components one step off", c, off, 3*n)
		}
	}
}

// Known colours of a 10-bit limited-range BT.2020 PQ picture: black stays black, greys stay
// grey, a grey below the knee keeps its luminance (50 cd/m² is 50/203 of SDR white), the
// master's peak white becomes SDR white.
func TestColorConverterKnownColors(t *testing.T) {
	pq := newColorConverter(yuv.Color{Matrix: yuv.MatrixBT2020, Transfer: yuv.TransferPQ, Primaries: yuv.PrimariesBT2020}, 10)
	code := func(l float64) float64 { return 64 + 876*linearToPQ(l) } // a grey of l cd/m², 10-bit limited
	for _, tc := range []struct {
		name   string
		y      float64
		wantY  uint8
		approx bool
	}{
		{"black", 64, 0, false},
		{"50 cd/m² grey", code(50), uint8(math.Round(255 * math.Pow(50/hdrSDRWhite, 1/sdrGamma))), false},
		{"1000 cd/m² white", code(1000), 255, true},
		{"10000 cd/m² white", code(10000), 255, false},
	} {
		y, cb, cr := pq.convert(tc.y, 512, 512)
		if cb != 128 || cr != 128 || (y != tc.wantY && !(tc.approx && y >= tc.wantY-1)) {
			t.Errorf("%s: %d %d %d, want %d 128 128", tc.name, y, cb, cr, tc.wantY)
		}
	}
	// BT.2020's pure green is outside BT.709: it clips to BT.709's green, whose Cb and Cr are
	// both below the centre.
	sdr := newColorConverter(yuv.Color{Matrix: yuv.MatrixBT2020, Primaries: yuv.PrimariesBT2020}, 10)
	const kr, kb = 0.2627, 0.0593
	ey := 1 - kr - kb
	y, cb, cr := sdr.convert(64+876*ey, 512+896*(0-ey)/(2*(1-kb)), 512+896*(0-ey)/(2*(1-kr)))
	if cb >= 100 || cr >= 100 || y < 180 {
		t.Errorf("BT.2020 green: %d %d %d, want BT.709 green (Y about 220, Cb and Cr far below 128)", y, cb, cr)
	}
}

// rgbOf is an output frame as 8-bit R'G'B', by the matrix and range it is labelled with.
func rgbOf(f *gifenc.YCbCr, w, h int) []byte {
	kr, kb := 0.299, 0.114
	if f.Matrix == gifenc.BT709 {
		kr, kb = 0.2126, 0.0722
	}
	out := make([]byte, 0, w*h*3)
	for y := range h {
		for x := range w {
			ci := y/2*f.CStride + x/2
			if f.FullChroma {
				ci = y*f.CStride + x
			}
			ey, cb, cr := float64(f.Y[y*f.YStride+x]), float64(f.Cb[ci]), float64(f.Cr[ci])
			if f.FullRange {
				ey, cb, cr = ey/255, (cb-128)/255, (cr-128)/255
			} else {
				ey, cb, cr = (ey-16)/219, (cb-128)/224, (cr-128)/224
			}
			r, b := ey+2*(1-kr)*cr, ey+2*(1-kb)*cb
			g := (ey - kr*r - kb*b) / (1 - kr - kb)
			out = append(out, toByte(255*r), toByte(255*g), toByte(255*b))
		}
	}
	return out
}

// resizedFrames decodes a fixture into 80x80 R'G'B' frames by PTS, through wrap(the resize).
func resizedFrames(t *testing.T, name string, wrap func(*yuv.Picture) *yuv.Picture) map[time.Duration][]byte {
	t.Helper()
	src, err := codec.Open(context.Background(), fixture(name), codec.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	resize := newFrameConverter(80, 80)
	out := map[time.Duration][]byte{}
	_, err = codec.Decode(context.Background(), src, codec.DecodeOptions{},
		func(p *yuv.Picture) (*gifenc.YCbCr, error) { return resize(wrap(p)) },
		func(f decodeworker.Frame) error { out[f.PTS] = rgbOf(f.Value, 80, 80); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// psnrAgainst is the PSNR of frames against ref's frames of the same PTS.
func psnrAgainst(t *testing.T, frames, ref map[time.Duration][]byte) float64 {
	t.Helper()
	var mse float64
	for pts, f := range frames {
		r, ok := ref[pts]
		if !ok {
			t.Fatalf("no reference frame at %v", pts)
		}
		mse += quality.MSE(f, r)
	}
	return quality.PSNR(mse / float64(len(frames)))
}

// minHDRPSNR bounds how near the resized frames of the HDR fixtures (the SDR source carried in
// PQ and in HLG, SDR white at 203 cd/m²) come to those of the same source coded in 8-bit SDR:
// measured 20.9 dB (PQ) and 20.9 dB (HLG); taken as they are, without the conversion, 13.5 and
// 16.7 dB. What remains is the EETF's compression above 90 cd/m² (SDR white comes back at 89%
// of its signal) and the fixtures' making: zscale takes the SDR source through BT.709's inverse
// OETF, where the conversion here assumes a BT.1886 display.
const minHDRPSNR = 20.0

func TestConvertHDRNearSDR(t *testing.T) {
	same := func(p *yuv.Picture) *yuv.Picture { return p }
	sdr := resizedFrames(t, "broken/hevc-only.mp4", same) // the same source, 8-bit BT.709 SDR
	for _, name := range []string{"hevc/main10-pq-160x160-30fps.mp4", "hevc/main10-hlg-160x160-30fps.mp4"} {
		converted := psnrAgainst(t, resizedFrames(t, name, same), sdr)
		asIs := psnrAgainst(t, resizedFrames(t, name, func(p *yuv.Picture) *yuv.Picture {
			q := *p
			q.Color = yuv.Color{Matrix: yuv.MatrixBT709}
			return &q
		}), sdr)
		t.Logf("%s: %.1f dB against the SDR coding of its source (%.1f dB unconverted)", name, converted, asIs)
		if converted < minHDRPSNR || converted < asIs+3 {
			t.Errorf("%s: %.1f dB, want at least %.0f dB and 3 dB more than unconverted", name, converted, minHDRPSNR)
		}
	}
}
