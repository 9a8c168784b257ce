package gifenc

import "image"

// bayer8 is the 8x8 Bayer threshold matrix (values 0..63).
var bayer8 = func() (m [64]int) {
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			v, xy := 0, x^y
			for bit := 0; bit < 3; bit++ {
				v = v<<2 | (xy>>bit&1)<<1 | (y >> bit & 1)
			}
			m[y*8+x] = v
		}
	}
	return m
}()

// bayerOffsets returns the offsets added to all three channels before the
// palette lookup: the Bayer matrix centred on zero, strength*64 levels from
// lowest to highest.
func bayerOffsets(strength float64) (o [64]int32) {
	for i, v := range bayer8 {
		f := ((float64(v)+0.5)/64 - 0.5) * strength * 64
		if f < 0 {
			o[i] = int32(f - 0.5)
		} else {
			o[i] = int32(f + 0.5)
		}
	}
	return o
}

// clampTab maps v+clampBias to v clamped to 0..255, for v in
// -clampBias..255+clampBias; its size lets an index masked with clampMask
// need no bounds check.
const (
	clampBias = 64
	clampMask = 511
)

var clampTab = func() (t [clampMask + 1]byte) {
	for i := range t {
		t[i] = clamp8(int32(i - clampBias))
	}
	return t
}()

// mapOrdered maps src to p with the given per-position offsets (all zero for
// DitherNone) and returns the rectangle that changed. The result depends only
// on each pixel's colour and position, so unchanged areas stay identical.
func (s *screen) mapOrdered(src []byte, p *palette, off *[64]int32) image.Rectangle {
	ch := newChanges(s.w, s.h)
	w, prev, tol2, pal, trans := s.w, s.havePrev, s.tol2, p.rgb, p.trans
	for y := 0; y < s.h; y++ {
		row := src[y*w*3 : (y+1)*w*3]
		canvas := s.canvas[y*w : (y+1)*w]
		idx := s.idx[y*w : (y+1)*w]
		o := off[(y&7)*8 : (y&7)*8+8]
		first, last := w, -1
		for x := range canvas {
			px := row[3*x : 3*x+3]
			r, g, b := px[0], px[1], px[2]
			d := o[x&7] + clampBias
			k := p.index(clampTab[(int32(r)+d)&clampMask], clampTab[(int32(g)+d)&clampMask], clampTab[(int32(b)+d)&clampMask])
			col, old := pal[k], canvas[x]
			if prev && (col == old || tol2 >= 0 && dist2(pack(r, g, b), old) <= dist2(pack(r, g, b), col)+tol2) {
				idx[x] = trans
				continue
			}
			canvas[x], idx[x] = col, k
			first, last = min(first, x), x
		}
		if last >= 0 {
			ch.addRow(y, first, last)
		}
	}
	return ch.rect()
}

// mapFloydSteinberg maps src to p diffusing each pixel's error (against what
// the screen will show there, kept pixels included) 7/16 right, 3/16 down
// left, 5/16 down, 1/16 down right.
func (s *screen) mapFloydSteinberg(src []byte, p *palette) image.Rectangle {
	ch := newChanges(s.w, s.h)
	n := (s.w + 2) * 3
	if s.fsErr == nil {
		s.fsErr = make([]int32, 2*n)
	}
	cur, next := s.fsErr[:n], s.fsErr[n:2*n]
	clear(cur)
	for y := 0; y < s.h; y++ {
		clear(next)
		row := src[y*s.w*3 : (y+1)*s.w*3]
		base := y * s.w
		for x := 0; x < s.w; x++ {
			i := base + x
			r, g, b := row[3*x], row[3*x+1], row[3*x+2]
			e := cur[3*(x+1) : 3*(x+1)+3]
			vr := clamp8(int32(r) + (e[0]+8)>>4)
			vg := clamp8(int32(g) + (e[1]+8)>>4)
			vb := clamp8(int32(b) + (e[2]+8)>>4)
			k := p.index(vr, vg, vb)
			shown := p.rgb[k]
			if s.keep(i, pack(vr, vg, vb), shown) {
				s.idx[i] = p.trans
				shown = s.canvas[i]
			} else {
				if s.draw(i, shown, k) {
					ch.add(x, y)
				} else {
					s.idx[i] = p.trans
				}
			}
			for j, v := range [3]int32{int32(vr) - int32(shown>>16), int32(vg) - int32(shown>>8&0xff), int32(vb) - int32(shown&0xff)} {
				cur[3*(x+2)+j] += 7 * v
				next[3*x+j] += 3 * v
				next[3*(x+1)+j] += 5 * v
				next[3*(x+2)+j] += v
			}
		}
		cur, next = next, cur
	}
	return ch.rect()
}
