package gifenc

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"time"
)

// Block introducers and labels (GIF89a sections 17-27).
const (
	sExtension       = 0x21
	sImageDescriptor = 0x2C
	sTrailer         = 0x3B

	lGraphicControl = 0xF9
	lApplication    = 0xFF

	fColorTable     = 0x80 // global or local colour table present
	fColorRes       = 0x70 // colour resolution 8 bits
	fTransparent    = 0x01 // graphic control: transparent index valid
	disposalNone    = 1 << 2
	paletteFrameMax = 8 // frames a global palette is built from at most
)

// flusher and plainFlusher are the destinations whose buffered bytes are
// pushed out after every frame (bufio.Writer, http.Flusher).
type flusher interface{ Flush() error }
type plainFlusher interface{ Flush() }

// Writer encodes frames into an animated GIF on an io.Writer, as they come.
// It holds back one encoded frame, whose delay is known only when the next
// frame (or Close) gives the time it stops showing. The first error is kept
// and returned by every later call.
type Writer struct {
	w     io.Writer
	flush func() error
	opts  Options
	err   error
	bytes int64 // written to w
	count int   // images written to w

	scr     *screen
	global  *palette // colour table of the logical screen
	cur     *palette // palette frames are mapped to now: global or a local one
	bayer   [64]int32
	reduce  *reduceTable // bayer folded into the colour reduction, for mapOrdered
	lzw     *lzwEncoder
	rgb     []byte // YCbCr frames converted to RGB
	sub     []byte // indices of the changed rectangle
	codes   []byte // LZW code stream of the changed rectangle
	last    time.Duration
	clock   clock
	pending []byte // encoded image (descriptor onward) waiting for its delay
	hasPend bool
	pendTr  bool // pending image uses transparency
	pendIdx byte // its transparent index
	closed  bool
	merged  int // frames identical to the one before, folded into its delay
}

// NewWriter returns a Writer of an animated GIF that loops forever. Nothing is
// written until the first frame.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	wr := &Writer{w: w, opts: o, lzw: new(lzwEncoder)}
	switch f := w.(type) {
	case flusher:
		wr.flush = f.Flush
	case plainFlusher:
		wr.flush = func() error { f.Flush(); return nil }
	}
	wr.scr = newScreen(o.Width, o.Height, o.Tolerance)
	if o.Dither == DitherBayer {
		wr.bayer = bayerOffsets(o.BayerStrength)
	}
	wr.reduce = newReduceTable(&wr.bayer)
	return wr, nil
}

// Frames returns the number of images written so far (identical frames are
// merged into the one before and not counted; the frame held back is not yet).
func (w *Writer) Frames() int { return w.count }

// Merged returns the number of frames merged into the frame before them.
func (w *Writer) Merged() int { return w.merged }

// Bytes returns the number of bytes written to the destination so far.
func (w *Writer) Bytes() int64 { return w.bytes }

// WriteFrame encodes f at once; it is written when the next frame or Close
// says how long it shows. A frame identical to the one before (after
// differencing) only lengthens that frame's delay.
func (w *Writer) WriteFrame(f Frame) error {
	return w.WriteFrames(f)
}

// WriteFrames writes several frames; when they are the first, the global
// palette is built from (up to 8 of) them all instead of only the first.
func (w *Writer) WriteFrames(frames ...Frame) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	if w.global == nil && len(frames) > 0 {
		w.start(frames)
	}
	for i := range frames {
		if w.err != nil {
			break
		}
		w.writeFrame(&frames[i])
	}
	return w.err
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// start builds the global palette and writes the header, logical screen
// descriptor, global colour table and NETSCAPE2.0 loop extension.
func (w *Writer) start(frames []Frame) {
	o := w.opts
	n := min(len(frames), paletteFrameMax)
	step := len(frames) / n
	var pixels []byte
	for i := 0; i < n; i++ {
		f := &frames[i*step]
		if err := f.check(o.Width, o.Height); err != nil {
			w.fail(fmt.Errorf("frame at %v: %w", f.Timestamp, err))
			return
		}
		pixels = append(pixels, w.pixels(f)...)
	}
	w.global = newPalette(pixels, o.Colors-1)
	w.cur = w.global

	b := make([]byte, 0, 32+3<<w.global.bits)
	b = append(b, "GIF89a"...)
	b = le16(b, o.Width)
	b = le16(b, o.Height)
	b = append(b, fColorTable|fColorRes|byte(w.global.bits-1), w.global.trans, 0)
	b = append(b, w.global.table()...)
	// NETSCAPE2.0 application extension: sub-block 1, loop count 0 = forever.
	b = append(b, sExtension, lApplication, 11)
	b = append(b, "NETSCAPE2.0"...)
	b = append(b, 3, 1, 0, 0, 0)
	w.write(b)
	w.doFlush()
}

// pixels returns f's picture as packed RGB, converting YCbCr into w.rgb.
func (w *Writer) pixels(f *Frame) []byte {
	if f.RGB != nil {
		return f.RGB
	}
	n := w.opts.Width * w.opts.Height * 3
	if len(w.rgb) != n {
		w.rgb = make([]byte, n)
	}
	f.YCbCr.toRGB(w.rgb, w.opts.Width, w.opts.Height)
	return w.rgb
}

func (w *Writer) writeFrame(f *Frame) {
	o := w.opts
	if err := f.check(o.Width, o.Height); err != nil {
		w.fail(fmt.Errorf("frame at %v: %w", f.Timestamp, err))
		return
	}
	if f.Timestamp < w.last || f.Timestamp < 0 {
		w.fail(fmt.Errorf("%w: frame at %v after one at %v", ErrTimestamp, f.Timestamp, w.last))
		return
	}
	src := w.pixels(f)
	if w.scr.havePrev {
		w.choosePalette(src)
	}
	var r image.Rectangle
	switch o.Dither {
	case DitherFloydSteinberg:
		r = w.scr.mapFloydSteinberg(src, w.cur)
	default:
		r = w.scr.mapOrdered(src, w.cur, w.reduce)
	}
	if r.Empty() && w.hasPend {
		w.merged++
		w.last = f.Timestamp
		return
	}
	if r.Empty() {
		r = image.Rect(0, 0, 1, 1) // a first frame with nothing to draw still needs an image
	}
	if w.hasPend {
		w.writePending(f.Timestamp)
	}
	w.encode(r)
	w.scr.havePrev = true
	w.last = f.Timestamp
}

// choosePalette switches to a local colour table for a frame the current
// palette serves badly, back to the global one when it serves again.
func (w *Writer) choosePalette(src []byte) {
	t := w.opts.LocalPaletteThreshold
	if t < 0 {
		return
	}
	if w.cur.mse(src) <= w.cur.limit(t) {
		return
	}
	if w.cur != w.global && w.global.mse(src) <= w.global.limit(t) {
		w.cur = w.global
		return
	}
	w.cur = newPalette(src, w.opts.Colors-1)
}

// encode makes the pending image from the screen's indices inside r.
func (w *Writer) encode(r image.Rectangle) {
	p := w.cur
	b := w.pending[:0]
	b = append(b, sImageDescriptor)
	b = le16(b, r.Min.X)
	b = le16(b, r.Min.Y)
	b = le16(b, r.Dx())
	b = le16(b, r.Dy())
	if p != w.global {
		b = append(b, fColorTable|byte(p.bits-1))
		b = append(b, p.table()...)
	} else {
		b = append(b, 0)
	}
	litWidth := max(2, p.bits) // GIF89a Appendix F: minimum code size is at least 2
	b = append(b, byte(litWidth))
	w.sub = w.scr.crop(w.sub, r)
	w.codes = w.lzw.encode(w.codes[:0], w.sub, litWidth)
	w.pending = appendBlocks(b, w.codes)
	w.hasPend = true
	w.pendTr = w.scr.havePrev
	w.pendIdx = p.trans
}

// writePending writes the held-back image with its graphic control extension.
func (w *Writer) writePending(end time.Duration) {
	var flags byte = disposalNone
	if w.pendTr {
		flags |= fTransparent
	}
	gce := []byte{sExtension, lGraphicControl, 4, flags, 0, 0, w.pendIdx, 0}
	d := w.clock.delay(end)
	gce[4], gce[5] = byte(d), byte(d>>8)
	w.write(gce)
	w.write(w.pending)
	w.hasPend = false
	w.count++
	w.doFlush()
}

// Close writes the last frame, which shows until end, and the trailer. It
// does not close the destination.
func (w *Writer) Close(end time.Duration) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	if !w.hasPend {
		w.fail(ErrNoFrames)
		return w.err
	}
	if end < w.last {
		w.fail(fmt.Errorf("%w: end %v before last frame at %v", ErrTimestamp, end, w.last))
		return w.err
	}
	w.writePending(end)
	w.write([]byte{sTrailer})
	w.doFlush()
	w.closed = true
	return w.err
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.bytes += int64(n)
	if err != nil {
		w.fail(fmt.Errorf("gifenc: write: %w", err))
	}
}

func (w *Writer) doFlush() {
	if w.err != nil || w.flush == nil {
		return
	}
	if err := w.flush(); err != nil {
		w.fail(fmt.Errorf("gifenc: flush: %w", err))
	}
}

func le16(b []byte, v int) []byte { return append(b, byte(v), byte(v>>8)) }

var _ flusher = (*bufio.Writer)(nil)
