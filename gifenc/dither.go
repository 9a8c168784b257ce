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

// reduceTable maps, for each of the 64 positions of the Bayer pattern, a
// channel value to its dithered, clamped value reduced to cacheBits: the whole
// per-channel work of an ordered dither is one lookup in 16 KB.
type reduceTable [64][256]byte

func newReduceTable(off *[64]int32) *reduceTable {
	t := new(reduceTable)
	for j, d := range off {
		for v := range 256 {
			t[j][v] = clamp8(int32(v)+d) >> cacheShift
		}
	}
	return t
}

// mapOrdered maps src to p with the given per-position reduction (offsets all
// zero for DitherNone) and returns the rectangle that changed. The result depends only
// on each pixel's colour and position, so unchanged areas stay identical.
//
// This loop is most of the encoder's time: the palette is copied into an array
// a byte indexes without bounds checks, the colour cache is read inline, and
// slices are cut to the row length once so the compiler drops their checks.
func (s *screen) mapOrdered(src []byte, p *palette, tab *reduceTable) image.Rectangle {
	ch := newChanges(s.w, s.h)
	w, prev, tol2, trans := s.w, s.havePrev, s.tol2, p.trans
	var pal [256]uint32
	copy(pal[:], p.rgb)
	cache := &p.cache
	for y := 0; y < s.h; y++ {
		row := src[y*w*3 : (y+1)*w*3]
		canvas := s.canvas[y*w : (y+1)*w]
		idx := s.idx[y*w : (y+1)*w]
		idx = idx[:len(canvas)]
		row = row[:3*len(canvas)]
		t := (*[8][256]byte)(tab[(y&7)*8:])
		first, last := w, -1
		for x := range canvas {
			px := (*[3]byte)(row[3*x:])
			r, g, b := px[0], px[1], px[2]
			tx := &t[x&7]
			key := int(tx[r])<<(2*cacheBits) | int(tx[g])<<cacheBits | int(tx[b])
			k := cache[key&(cacheSize-1)]
			if k == cacheUnknown {
				k = p.fill(key)
			}
			col, old := pal[k], canvas[x]
			if prev {
				if col == old {
					idx[x] = trans
					continue
				}
				if tol2 >= 0 {
					c := pack(r, g, b)
					if dist2(c, old) <= dist2(c, col)+tol2 {
						idx[x] = trans
						continue
					}
				}
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
