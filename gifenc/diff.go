package gifenc

import "image"

// screen is what a decoder shows after the frames written so far, and the
// source colours each pixel was drawn from, for frame differencing.
type screen struct {
	w, h     int
	canvas   []uint32 // colour on screen, 0xRRGGBB
	idx      []byte   // this frame's output index per pixel, palette.trans where kept
	tol2     int32    // squared tolerance; -1 for exact differencing
	havePrev bool     // canvas holds a frame
	fsErr    []int32  // Floyd-Steinberg error rows, 16ths, allocated on first use
}

func newScreen(w, h, tolerance int) *screen {
	s := &screen{
		w: w, h: h,
		canvas: make([]uint32, w*h),
		idx:    make([]byte, w*h),
		tol2:   -1,
	}
	if tolerance != NoTolerance {
		s.tol2 = int32(tolerance * tolerance)
	}
	return s
}

// changes tracks the rectangle of pixels a frame redraws.
type changes struct {
	minX, minY, maxX, maxY int
}

func newChanges(w, h int) changes { return changes{minX: w, minY: h, maxX: -1, maxY: -1} }

func (c *changes) add(x, y int) {
	c.minX = min(c.minX, x)
	c.maxX = max(c.maxX, x)
	c.minY = min(c.minY, y)
	c.maxY = max(c.maxY, y)
}

func (c *changes) addRow(y, first, last int) {
	c.minX = min(c.minX, first)
	c.maxX = max(c.maxX, last)
	c.minY = min(c.minY, y)
	c.maxY = y
}

func (c changes) rect() image.Rectangle {
	if c.maxX < 0 {
		return image.Rectangle{}
	}
	return image.Rect(c.minX, c.minY, c.maxX+1, c.maxY+1)
}

// draw records that pixel i now shows colour col from palette index k; it
// returns false when the screen already showed col, so the pixel can be
// transparent (GIF89a section 23, disposal 1 "do not dispose").
func (s *screen) draw(i int, col uint32, k byte) bool {
	if s.havePrev && s.canvas[i] == col {
		return false
	}
	s.canvas[i] = col
	s.idx[i] = k
	return true
}

// crop copies the indices inside r into dst.
func (s *screen) crop(dst []byte, r image.Rectangle) []byte {
	dst = dst[:0]
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dst = append(dst, s.idx[y*s.w+r.Min.X:y*s.w+r.Max.X]...)
	}
	return dst
}

func dist2(a, b uint32) int32 {
	dr := int32(a>>16) - int32(b>>16)
	dg := int32(a>>8&0xff) - int32(b>>8&0xff)
	db := int32(a&0xff) - int32(b&0xff)
	return dr*dr + dg*dg + db*db
}

// keep reports whether pixel i may keep the colour on screen rather than
// change to col, for a pixel whose wanted colour is c: when the colour on
// screen is at most the tolerance (squared) worse than col. Source noise
// flips exact indices from frame to frame for no visible gain, and each flip
// costs bytes (docs/BASELINE.md); this leaves such changes out, and only them.
func (s *screen) keep(i int, c, col uint32) bool {
	if !s.havePrev || s.tol2 < 0 {
		return false
	}
	return dist2(c, s.canvas[i]) <= dist2(c, col)+s.tol2
}
