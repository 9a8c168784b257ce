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
// When the previous frame, last, was mapped to the same palette, a pixel whose
// colour did not change at all keeps what is on screen without a lookup: the
// same colour at the same position maps to the same entry, and the screen
// shows either that entry's colour or one kept against it by the same test.
// Decoded video repeats many pixels exactly (skipped macroblocks): a third to
// four fifths of them on real covers. last is nil when not usable.
//
// This loop is most of the encoder's time: the palette is copied into an array
// a byte indexes without bounds checks, the colour cache is read inline, and
// slices are cut to the row length once so the compiler drops their checks.
func (s *screen) mapOrdered(src, last []uint32, p *palette, tab *reduceTable) image.Rectangle {
	ch := newChanges(s.w, s.h)
	w, prev, tol2, trans := s.w, s.havePrev, s.tol2, p.trans
	var pal [256]uint32
	copy(pal[:], p.rgb)
	for y := 0; y < s.h; y++ {
		row := src[y*w : (y+1)*w]
		canvas := s.canvas[y*w : (y+1)*w]
		idx := s.idx[y*w : (y+1)*w]
		idx = idx[:len(canvas)]
		var lastRow []uint32
		if prev && last != nil {
			lastRow = last[y*w : (y+1)*w]
		}
		lookupRow(idx, row, lastRow, (*[8][256]byte)(tab[(y&7)*8:]), p)
		if !prev {
			for x, k := range idx {
				canvas[x] = pal[k]
			}
			ch.addRow(y, 0, w-1)
			continue
		}
		first, end := w, -1
		for x, k := range idx {
			if k == trans {
				continue // unchanged since the last frame
			}
			col, old := pal[k], canvas[x]
			if col == old {
				idx[x] = trans
				continue
			}
			if tol2 >= 0 {
				// The source colour weighs keeping the colour on screen.
				if c := row[x]; dist2(c, old) <= dist2(c, col)+tol2 {
					idx[x] = trans
					continue
				}
			}
			canvas[x] = col
			first, end = min(first, x), x
		}
		if end >= 0 {
			ch.addRow(y, first, end)
		}
	}
	return ch.rect()
}

// lookupRow sets idx[x] to the palette entry of row's pixel x after the
// position's reduction t, or to p's transparent index when the pixel equals
// lastRow's (nil: none does): a pass of its own, with no other state live and
// no call on its path (colours not yet in the cache are looked up after it),
// so the compiler keeps it all in registers.
func lookupRow(idx []byte, row, lastRow []uint32, t *[8][256]byte, p *palette) {
	cache := &p.cache
	row = row[:len(idx)]
	missed := false
	if lastRow != nil {
		lastRow = lastRow[:len(row)]
		for x, c := range row {
			if c == lastRow[x] {
				idx[x] = p.trans
				continue
			}
			k := cache[reducedKey(&t[x&7], c)]
			missed = missed || k == cacheUnknown
			idx[x] = k
		}
	} else {
		for x, c := range row {
			k := cache[reducedKey(&t[x&7], c)]
			missed = missed || k == cacheUnknown
			idx[x] = k
		}
	}
	if !missed {
		return
	}
	for x, k := range idx {
		if k == cacheUnknown {
			idx[x] = p.fill(reducedKey(&t[x&7], row[x]))
		}
	}
}

// reducedKey is the colour cache key of colour c after the reduction tx.
func reducedKey(tx *[256]byte, c uint32) int {
	return int(tx[byte(c>>16)])<<(2*cacheBits) | int(tx[byte(c>>8)])<<cacheBits | int(tx[byte(c)])
}

// mapFloydSteinberg maps src to p diffusing each pixel's error (against what
// the screen will show there, kept pixels included) 7/16 right, 3/16 down
// left, 5/16 down, 1/16 down right.
func (s *screen) mapFloydSteinberg(src []uint32, p *palette) image.Rectangle {
	ch := newChanges(s.w, s.h)
	n := (s.w + 2) * 3
	if s.fsErr == nil {
		s.fsErr = make([]int32, 2*n)
	}
	cur, next := s.fsErr[:n], s.fsErr[n:2*n]
	clear(cur)
	for y := 0; y < s.h; y++ {
		clear(next)
		row := src[y*s.w : (y+1)*s.w]
		base := y * s.w
		for x := 0; x < s.w; x++ {
			i := base + x
			r, g, b := byte(row[x]>>16), byte(row[x]>>8), byte(row[x])
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
