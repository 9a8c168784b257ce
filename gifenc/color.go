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

// yuvTables hold each sample value's contribution to R, G and B in 16.16
// fixed point, for one matrix and range: the conversion of a pixel is then
// additions and table lookups, the same sums as coeffsFor's products.
type yuvTables struct {
	matrix Matrix
	full   bool
	y      [256]int32 // yMul*(Y-yOff), plus a half for rounding
	rCr    [256]int32
	gCb    [256]int32
	gCr    [256]int32
	bCb    [256]int32
}

func newYUVTables(m Matrix, full bool) *yuvTables {
	c := coeffsFor(m, full)
	t := &yuvTables{matrix: m, full: full}
	for i := range 256 {
		v := int32(i)
		t.y[i] = c.yMul*(v-c.yOff) + fixOne/2
		t.rCr[i] = c.rCr * (v - 128)
		t.gCb[i] = c.gCb * (v - 128)
		t.gCr[i] = c.gCr * (v - 128)
		t.bCb[i] = c.bCb * (v - 128)
	}
	return t
}

// toRGB converts p (w x h, 4:2:0 or 4:4:4) into dst, one packed 0xRRGGBB a
// pixel, with t, which must be the tables of p's matrix and range.
func (p *YCbCr) toRGB(dst []uint32, w, h int, t *yuvTables) {
	for y := 0; y < h; y++ {
		yRow := p.Y[y*p.YStride:][:w]
		out := dst[y*w:][:len(yRow)]
		if p.FullChroma {
			cRow := y * p.CStride
			t.row444(out, yRow, p.Cb[cRow:][:len(yRow)], p.Cr[cRow:][:len(yRow)])
		} else {
			cRow, cw := (y>>1)*p.CStride, (w+1)/2
			t.row420(out, yRow, p.Cb[cRow:][:cw], p.Cr[cRow:][:cw])
		}
	}
}

// row444 converts one row with a chroma sample per pixel; the slices have
// equal lengths.
func (t *yuvTables) row444(out []uint32, ys, cb, cr []byte) {
	ty, rCr, gCb, gCr, bCb := &t.y, &t.rCr, &t.gCb, &t.gCr, &t.bCb
	cb, cr = cb[:len(ys)], cr[:len(ys)]
	out = out[:len(ys)]
	for x, yv := range ys {
		l, u, v := ty[yv], cb[x], cr[x]
		out[x] = uint32(clamp8((l+rCr[v])>>16))<<16 | uint32(clamp8((l+gCb[u]+gCr[v])>>16))<<8 | uint32(clamp8((l+bCb[u])>>16))
	}
}

// row420 converts one row with a chroma sample per two pixels: len(cb) and
// len(cr) are (len(ys)+1)/2.
func (t *yuvTables) row420(out []uint32, ys, cb, cr []byte) {
	ty, rCr, gCb, gCr, bCb := &t.y, &t.rCr, &t.gCb, &t.gCr, &t.bCb
	out = out[:len(ys)]
	for x, yv := range ys {
		l, u, v := ty[yv], cb[x>>1], cr[x>>1]
		out[x] = uint32(clamp8((l+rCr[v])>>16))<<16 | uint32(clamp8((l+gCb[u]+gCr[v])>>16))<<8 | uint32(clamp8((l+bCb[u])>>16))
	}
}
