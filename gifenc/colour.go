package gifenc

// yuvCoeffs converts Y'CbCr to R'G'B' in 16.16 fixed point, range scaling
// folded into the multipliers (BT.601 section 2.5.4, BT.709 table 3.2 / 3.5).
type yuvCoeffs struct {
	yOff     int32 // black level subtracted from luma
	yMul     int32 // luma gain
	rCr      int32 // Cr contribution to red
	gCb, gCr int32 // Cb and Cr contributions to green (negative)
	bCb      int32 // Cb contribution to blue
}

const fixOne = 1 << 16

func fix(f float64) int32 {
	if f < 0 {
		return int32(f*fixOne - 0.5)
	}
	return int32(f*fixOne + 0.5)
}

func coeffsFor(m Matrix, full bool) yuvCoeffs {
	kr, kb := 0.299, 0.114
	if m == BT709 {
		kr, kb = 0.2126, 0.0722
	}
	kg := 1 - kr - kb
	yScale, cScale, yOff := 1.0, 1.0, int32(0)
	if !full {
		yScale, cScale, yOff = 255.0/219, 255.0/224, 16
	}
	return yuvCoeffs{
		yOff: yOff,
		yMul: fix(yScale),
		rCr:  fix(cScale * 2 * (1 - kr)),
		gCb:  fix(-cScale * 2 * (1 - kb) * kb / kg),
		gCr:  fix(-cScale * 2 * (1 - kr) * kr / kg),
		bCb:  fix(cScale * 2 * (1 - kb)),
	}
}

func clamp8(v int32) byte {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return byte(v)
}

// toRGB converts p (w x h, 4:2:0 or 4:4:4) into dst as packed RGB.
func (p *YCbCr) toRGB(dst []byte, w, h int) {
	c := coeffsFor(p.Matrix, p.FullRange)
	const half = fixOne / 2
	shift := 1 // chroma sample of pixel x is x>>shift
	if p.FullChroma {
		shift = 0
	}
	for y := 0; y < h; y++ {
		yRow := p.Y[y*p.YStride : y*p.YStride+w]
		cRow := (y >> shift) * p.CStride
		cb, cr := p.Cb[cRow:], p.Cr[cRow:]
		out := dst[y*w*3 : (y+1)*w*3]
		for x, yv := range yRow {
			l := c.yMul*(int32(yv)-c.yOff) + half
			u, v := int32(cb[x>>shift])-128, int32(cr[x>>shift])-128
			out[3*x] = clamp8((l + c.rCr*v) >> 16)
			out[3*x+1] = clamp8((l + c.gCb*u + c.gCr*v) >> 16)
			out[3*x+2] = clamp8((l + c.bCb*u) >> 16)
		}
	}
}
