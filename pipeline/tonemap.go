package pipeline

import (
	"math"
	"sync"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// HDR and wide-gamut pictures (PQ or HLG transfer, BT.2020 primaries or matrix) are converted to
// BT.709 SDR per output pixel, after the area averaging: a GIF has no HDR and the encoder knows
// only BT.601 and BT.709. The conversion is the simple, documented one of the README's "HDR
// sources":
//
//  1. Y'CbCr to R'G'B' with the stream's matrix, from the exact area averages of the samples;
//  2. to linear light: PQ (SMPTE ST 2084) to absolute luminance; HLG (ARIB STD-B67) through
//     its inverse OETF and the BT.2100 OOTF for a 1000 cd/m² display; SDR through BT.1886's
//     gamma 2.4;
//  3. BT.2020 primaries to BT.709 (ITU-R BT.2087), out-of-gamut colours clipped;
//  4. HDR only: the brightest component tone mapped with ITU-R BT.2390's EETF from a 1000 cd/m²
//     master to 203 cd/m² (BT.2408's HDR reference white, which becomes SDR white), the others
//     scaled with it so that hues stay; what is below about 90 cd/m² is left as it is;
//  5. back to R'G'B' with gamma 1/2.4 and to full-range BT.709 Y'CbCr, 8 bits.
const (
	hdrSourcePeak  = 1000.0 // cd/m²: HDR10 masters' usual peak, and HLG's reference display
	hdrSDRWhite    = 203.0  // cd/m²: BT.2408 reference white
	hlgSystemGamma = 1.2    // BT.2100 for a 1000 cd/m² display
	sdrGamma       = 2.4    // BT.1886
)

// needsColorConversion reports whether pictures of colour c go through colorConverter rather
// than straight to the encoder.
func needsColorConversion(c yuv.Color) bool {
	return c.Transfer != yuv.TransferSDR || c.Primaries == yuv.PrimariesBT2020 || c.Matrix == yuv.MatrixBT2020
}

// colorConverter turns Y'CbCr of one colour description and bit depth into full-range BT.709
// SDR Y'CbCr, one pixel at a time. The transfer functions are tables (curve) built once per
// process: the exact functions below cost a dozen math.Pow calls per pixel, a table a few
// multiplications.
type colorConverter struct {
	color      yuv.Color
	depth      int
	maxCode    float64 // 2^depth - 1
	scale      float64 // 2^(depth-8), limited range's step
	kr, kb, kg float64 // the source matrix's luma weights (H.273 Table 4)
	// toLinear is the source's transfer: signal to linear light, in units of linearMax (1 for
	// SDR and HLG, pqMax cd/m² for PQ).
	toLinear  func(float64) float64
	linearMax float64
	// toneMap is the factor a component of linear light m (cd/m², below the master's peak) is
	// multiplied by to make it SDR, given sqrt(m/hdrSourcePeak); encode is gamma 1/2.4 given the
	// square root of linear light.
	toneMap, encode func(float64) float64
}

func newColorConverter(c yuv.Color, depth int) *colorConverter {
	cc := &colorConverter{color: c, depth: depth, maxCode: float64(uint64(1)<<depth - 1), scale: float64(uint64(1) << (depth - 8))}
	switch c.Matrix {
	case yuv.MatrixBT709:
		cc.kr, cc.kb = 0.2126, 0.0722
	case yuv.MatrixBT2020:
		cc.kr, cc.kb = 0.2627, 0.0593
	default:
		cc.kr, cc.kb = 0.299, 0.114
	}
	cc.kg = 1 - cc.kr - cc.kb
	switch c.Transfer {
	case yuv.TransferPQ:
		cc.toLinear, cc.linearMax = curves.pq().at, pqMax
	case yuv.TransferHLG:
		cc.toLinear, cc.linearMax = curves.hlg().at, 1
	default:
		cc.toLinear, cc.linearMax = curves.gamma().at, 1
	}
	cc.toneMap, cc.encode = curves.eetf().at, curves.encode().at
	return cc
}

// convert takes one pixel's Y, Cb and Cr as (possibly fractional) code values of the source's
// depth and returns full-range BT.709 SDR Y'CbCr.
func (c *colorConverter) convert(y, cb, cr float64) (uint8, uint8, uint8) {
	// 1. Normalised Y' in [0, 1] and Cb, Cr in [-0.5, 0.5] (H.273 equations 20 to 25).
	var ey, epb, epr float64
	if c.color.FullRange {
		half := (c.maxCode + 1) / 2
		ey, epb, epr = y/c.maxCode, (cb-half)/c.maxCode, (cr-half)/c.maxCode
	} else {
		ey, epb, epr = (y/c.scale-16)/219, (cb/c.scale-128)/224, (cr/c.scale-128)/224
	}
	r := ey + 2*(1-c.kr)*epr
	b := ey + 2*(1-c.kb)*epb
	g := (ey - c.kr*r - c.kb*b) / c.kg
	// Y'CbCr combinations no R'G'B' makes are clipped to the R'G'B' cube.
	r, g, b = min(max(r, 0), 1), min(max(g, 0), 1), min(max(b, 0), 1)

	// 2. Linear light: cd/m² for HDR, relative to SDR white for SDR.
	r, g, b = c.linearMax*c.toLinear(r), c.linearMax*c.toLinear(g), c.linearMax*c.toLinear(b)
	if c.color.Transfer == yuv.TransferHLG {
		// The OOTF works on the scene's BT.2100 luminance (BT.2100 Table 5).
		ys := 0.2627*r + 0.6780*g + 0.0593*b
		f := hdrSourcePeak * math.Pow(ys, hlgSystemGamma-1)
		r, g, b = f*r, f*g, f*b
	}

	// 3. BT.2020 to BT.709 primaries (BT.2087 equation 7, linear light).
	if c.color.Primaries == yuv.PrimariesBT2020 {
		r, g, b = 1.6605*r-0.5876*g-0.0728*b, -0.1246*r+1.1329*g-0.0083*b, -0.0182*r-0.1006*g+1.1187*b
	}
	r, g, b = max(r, 0), max(g, 0), max(b, 0)

	// 4. Tone mapping of the brightest component; SDR white is 203 cd/m². From the master's
	// peak on (which light beyond BT.2020's gamut can pass) the EETF gives SDR white itself.
	if m := max(r, g, b); c.color.Transfer != yuv.TransferSDR && m > 0 {
		k := 1 / m
		if m < hdrSourcePeak {
			k = c.toneMap(math.Sqrt(m / hdrSourcePeak))
		}
		r, g, b = r*k, g*k, b*k
	}

	// 5. R'G'B' and full-range BT.709 Y'CbCr.
	r, g, b = c.encode(math.Sqrt(min(r, 1))), c.encode(math.Sqrt(min(g, 1))), c.encode(math.Sqrt(min(b, 1)))
	oy := 0.2126*r + 0.7152*g + 0.0722*b
	return toByte(255 * oy), toByte(128 + 255*(b-oy)/1.8556), toByte(128 + 255*(r-oy)/1.5748)
}

// curvePoints is the size of a curve's table: the largest interpolation error it leaves is far
// below half an 8-bit step (TestCurvesMatchTheirFunctions).
const curvePoints = 4096

// curve is a function on [0, 1] as a table, read with linear interpolation; arguments outside
// [0, 1] are clamped.
type curve [curvePoints + 1]float64

func newCurve(f func(float64) float64) *curve {
	c := new(curve)
	for i := range c {
		c[i] = f(float64(i) / curvePoints)
	}
	return c
}

func (c *curve) at(x float64) float64 {
	x = min(max(x, 0), 1) * curvePoints
	i := int(x)
	if i >= curvePoints {
		return c[curvePoints]
	}
	f := x - float64(i)
	return c[i] + f*(c[i+1]-c[i])
}

// curves are the tables of this file, each built the first time it is needed.
var curves struct {
	pq, hlg, gamma, eetf, encode func() *curve
}

func init() {
	curves.pq = sync.OnceValue(func() *curve { return newCurve(pqToRelative) })
	curves.hlg = sync.OnceValue(func() *curve { return newCurve(hlgToLinear) })
	curves.gamma = sync.OnceValue(func() *curve { return newCurve(gammaToLinear) })
	curves.eetf = sync.OnceValue(func() *curve { return newCurve(toneMapFactor) })
	curves.encode = sync.OnceValue(func() *curve { return newCurve(encodeRoot) })
}

// The exact functions the tables hold.

// pqToRelative is PQ's EOTF in units of pqMax.
func pqToRelative(e float64) float64 { return pqToLinear(e) / pqMax }

// toneMapFactor is the factor a component of m cd/m² is multiplied by, m/hdrSourcePeak given as
// its square root s (which spreads a table's points over the dark end): eetf(m)/m, in units of
// SDR white.
func toneMapFactor(s float64) float64 {
	m := s * s * hdrSourcePeak
	if m == 0 {
		return 1 / hdrSDRWhite
	}
	return eetf(m) / m / hdrSDRWhite
}

// encodeRoot is gamma 1/2.4 of linear light given as its square root, for the same reason.
func encodeRoot(s float64) float64 { return linearToGamma(s * s) }

func toByte(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }

// The PQ constants of SMPTE ST 2084 (and BT.2100 Table 4).
const (
	pqM1  = 2610.0 / 16384
	pqM2  = 2523.0 / 4096 * 128
	pqC1  = 3424.0 / 4096
	pqC2  = 2413.0 / 4096 * 32
	pqC3  = 2392.0 / 4096 * 32
	pqMax = 10000.0 // cd/m²
)

// pqToLinear is PQ's EOTF: a signal in [0, 1] to cd/m².
func pqToLinear(e float64) float64 {
	p := math.Pow(min(max(e, 0), 1), 1/pqM2)
	return pqMax * math.Pow(max(p-pqC1, 0)/(pqC2-pqC3*p), 1/pqM1)
}

// linearToPQ is PQ's inverse EOTF: cd/m² to a signal in [0, 1].
func linearToPQ(l float64) float64 {
	y := math.Pow(min(max(l/pqMax, 0), 1), pqM1)
	return math.Pow((pqC1+pqC2*y)/(1+pqC3*y), pqM2)
}

// The HLG constants of ARIB STD-B67 (BT.2100 Table 5).
const (
	hlgA = 0.17883277
	hlgB = 1 - 4*hlgA
	hlgC = 0.55991073 // 0.5 - a*ln(4a)
)

// hlgToLinear is HLG's inverse OETF: a signal in [0, 1] to scene light in [0, 1].
func hlgToLinear(e float64) float64 {
	e = min(max(e, 0), 1)
	if e <= 0.5 {
		return e * e / 3
	}
	return (math.Exp((e-hlgC)/hlgA) + hlgB) / 12
}

func gammaToLinear(e float64) float64 { return math.Pow(max(e, 0), sdrGamma) }
func linearToGamma(l float64) float64 { return math.Pow(max(l, 0), 1/sdrGamma) }

// eetf is ITU-R BT.2390's EETF (section 5.4) from a master of hdrSourcePeak to a display of
// hdrSDRWhite, black at 0 on both: in the PQ domain, identity up to a knee, then a Hermite
// spline that reaches the display's peak at the master's. It takes and returns cd/m².
func eetf(l float64) float64 {
	srcPQ := linearToPQ(hdrSourcePeak)
	e1 := min(linearToPQ(l)/srcPQ, 1)
	maxLum := linearToPQ(hdrSDRWhite) / srcPQ
	ks := 1.5*maxLum - 0.5
	e2 := e1
	if e1 > ks {
		t := (e1 - ks) / (1 - ks)
		t2, t3 := t*t, t*t*t
		e2 = (2*t3-3*t2+1)*ks + (t3-2*t2+t)*(1-ks) + (-2*t3+3*t2)*maxLum
	}
	return pqToLinear(e2 * srcPQ)
}
