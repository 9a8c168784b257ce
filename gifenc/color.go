package gifenc

import "encoding/binary"

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
// pixel, with t, which must be the tables of p's matrix and range. last holds
// the samples of the 4:4:4 picture dst holds now, if it does (valid), and
// receives p's: runs of 8 pixels whose samples did not change keep their RGB.
// Decoders repeat many blocks exactly (skipped macroblocks), and a picture
// halved by a box filter repeats them as 8x8 blocks: 42% of the 8-pixel runs
// of testdata/real/cover-15s.mp4 at 80x80, 64% of face-15s's.
func (p *YCbCr) toRGB(dst []uint32, w, h int, t *yuvTables, last *yuvSamples) {
	if !p.FullChroma {
		last.valid = false
		for y := 0; y < h; y++ {
			yRow := p.Y[y*p.YStride:][:w]
			cRow, cw := (y>>1)*p.CStride, (w+1)/2
			t.row420(dst[y*w:][:len(yRow)], yRow, p.Cb[cRow:][:cw], p.Cr[cRow:][:cw])
		}
		return
	}
	if !last.valid || len(last.y) != w*h {
		last.y, last.cb, last.cr = make([]byte, w*h), make([]byte, w*h), make([]byte, w*h)
		for y := 0; y < h; y++ {
			copy(last.y[y*w:][:w], p.Y[y*p.YStride:][:w])
			copy(last.cb[y*w:][:w], p.Cb[y*p.CStride:][:w])
			copy(last.cr[y*w:][:w], p.Cr[y*p.CStride:][:w])
			t.row444(dst[y*w:][:w], last.y[y*w:][:w], last.cb[y*w:][:w], last.cr[y*w:][:w])
		}
		last.valid = true
		return
	}
	for y := 0; y < h; y++ {
		t.row444Changed(dst[y*w:][:w], p.Y[y*p.YStride:][:w], p.Cb[y*p.CStride:][:w], p.Cr[y*p.CStride:][:w],
			last.y[y*w:][:w], last.cb[y*w:][:w], last.cr[y*w:][:w])
	}
}

// yuvSamples are the samples of a 4:4:4 picture, w x h each, rows packed.
type yuvSamples struct {
	y, cb, cr []byte
	valid     bool
}

// row444Changed converts the runs of 8 pixels whose samples differ from
// last's (ly, lcb, lcr) and stores their samples there; the other runs keep
// what out holds. Neighbouring changed runs convert in one row444 call. All
// slices have equal lengths.
func (t *yuvTables) row444Changed(out []uint32, ys, cb, cr, ly, lcb, lcr []byte) {
	n := len(ys)
	cb, cr, ly, lcb, lcr, out = cb[:n], cr[:n], ly[:n], lcb[:n], lcr[:n], out[:n]
	from := -1 // the start of the changed pixels not converted yet
	x := 0
	for ; x+8 <= n; x += 8 {
		yv, uv, vv := le64(ys[x:x+8]), le64(cb[x:x+8]), le64(cr[x:x+8])
		lyv, luv, lvv := ly[x:x+8], lcb[x:x+8], lcr[x:x+8]
		if yv == le64(lyv) && uv == le64(luv) && vv == le64(lvv) {
			if from >= 0 {
				t.row444(out[from:x], ys[from:x], cb[from:x], cr[from:x])
				from = -1
			}
			continue
		}
		binary.LittleEndian.PutUint64(lyv, yv)
		binary.LittleEndian.PutUint64(luv, uv)
		binary.LittleEndian.PutUint64(lvv, vv)
		if from < 0 {
			from = x
		}
	}
	if x < n && from < 0 { // a short run at the end: always converted, its samples never compared
		from = x
	}
	if from >= 0 {
		t.row444(out[from:], ys[from:], cb[from:], cr[from:])
	}
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

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
