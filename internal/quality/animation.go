// Package quality measures how close an animated GIF is to the video it was made from: it
// composes the GIF's frames as a browser shows them (disposal, transparency, delays) and compares
// them, matched by time, with reference frames of the source at the same size.
//
// It needs nothing but the standard library, so tests and other tools (bench/, bench/gifcompare)
// can use it without ffmpeg; making the reference frames is the caller's business.
package quality

import (
	"errors"
	"fmt"
	"image"
	"image/gif"
	"io"
	"time"
)

// Frame is one picture of an animation as a viewer sees it: the whole canvas, composed.
type Frame struct {
	Start    time.Duration // when the frame appears, from the start of the animation
	Duration time.Duration // how long it stays on screen
	Pix      []byte        // RGB, 3 bytes a pixel, rows top to bottom; transparent shows as black
}

// Animation is a decoded, composed GIF.
type Animation struct {
	Width, Height int
	Frames        []Frame
}

// ErrNoFrames is returned for a GIF without a single image.
var ErrNoFrames = errors.New("quality: GIF has no frames")

// Duration is the length of one loop of the animation.
func (a *Animation) Duration() time.Duration {
	if len(a.Frames) == 0 {
		return 0
	}
	last := a.Frames[len(a.Frames)-1]
	return last.Start + last.Duration
}

// At returns the frame on screen at time t of the first loop, or nil when t is outside it.
func (a *Animation) At(t time.Duration) *Frame {
	if t < 0 || t >= a.Duration() {
		return nil
	}
	// Binary search for the last frame starting at or before t; frames are in time order.
	lo, hi := 0, len(a.Frames)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if a.Frames[mid].Start <= t {
			lo = mid
		} else {
			hi = mid
		}
	}
	return &a.Frames[lo]
}

// DecodeGIF reads a whole GIF and composes its frames on the logical screen (GIF89a section 23,
// disposal methods section 23.c.iv), as browsers show them. A delay of d hundredths of a second
// is taken as written (browsers raise delays below 2 to 10; the encoders under test never write
// them, and changing them would hide a bug rather than measure it).
func DecodeGIF(r io.Reader) (*Animation, error) {
	g, err := gif.DecodeAll(r)
	if err != nil {
		return nil, fmt.Errorf("quality: decoding GIF: %w", err)
	}
	return Compose(g)
}

// Compose composes the frames of a GIF decoded by image/gif, as DecodeGIF does.
func Compose(g *gif.GIF) (*Animation, error) {
	if len(g.Image) == 0 {
		return nil, ErrNoFrames
	}
	w, h := g.Config.Width, g.Config.Height
	if w == 0 || h == 0 {
		// image/gif leaves Config empty when the screen descriptor says 0; fall back to the
		// first frame, as browsers do.
		b := g.Image[0].Bounds()
		w, h = b.Max.X, b.Max.Y
	}
	a := &Animation{Width: w, Height: h, Frames: make([]Frame, 0, len(g.Image))}
	screen := newCanvas(w, h)
	var saved *canvas
	var t time.Duration
	for i, m := range g.Image {
		disposal := byte(0)
		if i < len(g.Disposal) {
			disposal = g.Disposal[i]
		}
		if disposal == gif.DisposalPrevious {
			saved = screen.clone()
		}
		screen.draw(m)
		d := time.Duration(g.Delay[i]) * 10 * time.Millisecond
		a.Frames = append(a.Frames, Frame{Start: t, Duration: d, Pix: screen.rgb()})
		t += d
		switch disposal {
		case gif.DisposalBackground:
			// Browsers clear to transparent, not to the background colour the spec names.
			screen.clear(m.Bounds())
		case gif.DisposalPrevious:
			screen = saved
		}
	}
	return a, nil
}

// canvas is the GIF's logical screen: RGBA, alpha 0 where nothing was ever drawn.
type canvas struct {
	w, h int
	pix  []byte // 4 bytes a pixel
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, pix: make([]byte, w*h*4)} }

func (c *canvas) clone() *canvas {
	return &canvas{w: c.w, h: c.h, pix: append([]byte(nil), c.pix...)}
}

// draw paints m over the canvas; palette entries with alpha 0 (the transparent index) leave the
// pixel below, which is how GIF frames carry only what changed.
func (c *canvas) draw(m *image.Paletted) {
	r := m.Bounds().Intersect(image.Rect(0, 0, c.w, c.h))
	pal := make([][4]byte, len(m.Palette))
	for i, col := range m.Palette {
		cr, cg, cb, ca := col.RGBA()
		pal[i] = [4]byte{byte(cr >> 8), byte(cg >> 8), byte(cb >> 8), byte(ca >> 8)}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		src := m.Pix[m.PixOffset(r.Min.X, y):]
		dst := c.pix[(y*c.w+r.Min.X)*4:]
		for x := 0; x < r.Dx(); x++ {
			idx := int(src[x])
			if idx >= len(pal) {
				continue // out-of-palette index: browsers draw nothing
			}
			p := pal[idx]
			if p[3] == 0 {
				continue
			}
			copy(dst[x*4:x*4+4], p[:])
		}
	}
}

func (c *canvas) clear(r image.Rectangle) {
	r = r.Intersect(image.Rect(0, 0, c.w, c.h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		clear(c.pix[(y*c.w+r.Min.X)*4 : (y*c.w+r.Max.X)*4])
	}
}

// rgb flattens the canvas to RGB; a transparent pixel counts as black (what a viewer shows
// depends on the page behind it, so any fixed choice is as fair as another).
func (c *canvas) rgb() []byte {
	out := make([]byte, c.w*c.h*3)
	for i := 0; i < c.w*c.h; i++ {
		if c.pix[i*4+3] == 0 {
			continue
		}
		copy(out[i*3:i*3+3], c.pix[i*4:i*4+3])
	}
	return out
}
