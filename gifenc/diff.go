package gifenc

import "image"

// screen is what a decoder shows after the frames written so far, and the
// source colours each pixel was drawn from, for frame differencing.
type screen struct {
	w, h     int
	canvas   []uint32 // colour on screen, 0xRRGGBB
	ref      []uint32 // source colour when the pixel was last drawn
	idx      []byte   // this frame's output index per pixel, palette.trans where kept
	tol2     int32    // squared tolerance; -1 for exact differencing
	havePrev bool     // canvas holds a frame
	fsErr    []int32  // Floyd-Steinberg error rows, 16ths, allocated on first use
}

func newScreen(w, h, tolerance int) *screen {
	s := &screen{
		w: w, h: h,
		canvas: make([]uint32, w*h),
		ref:    make([]uint32, w*h),
		idx:    make([]byte, w*h),
		tol2:   -1,
	}
	if tolerance != NoTolerance {
		s.tol2 = int32(tolerance * tolerance)
	}
	return s
}

// keep reports whether a pixel whose source colour is c may stay as it is:
// its colour moved less than the tolerance since it was drawn (PERFORMANCE.md:
// source noise defeats exact-index differencing).
func (s *screen) keep(i int, c uint32) bool {
	if !s.havePrev || s.tol2 < 0 {
		return false
	}
	r := s.ref[i]
	dr := int32(c>>16) - int32(r>>16)
	dg := int32(c>>8&0xff) - int32(r>>8&0xff)
	db := int32(c&0xff) - int32(r&0xff)
	return dr*dr+dg*dg+db*db <= s.tol2
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

func (c changes) rect() image.Rectangle {
	if c.maxX < 0 {
		return image.Rectangle{}
	}
	return image.Rect(c.minX, c.minY, c.maxX+1, c.maxY+1)
}

// draw records that pixel i now shows colour col from palette index k and
// source colour c; it returns false when the screen already showed col, so
// the pixel can be transparent (GIF89a section 23, disposal 1 "do not dispose").
func (s *screen) draw(i int, c, col uint32, k byte) bool {
	s.ref[i] = c
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
