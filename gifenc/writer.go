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

	fColorTable  = 0x80 // global or local colour table present
	fColorRes    = 0x70 // colour resolution 8 bits
	fTransparent = 0x01 // graphic control: transparent index valid
	disposalNone = 1 << 2
)

// flusher and plainFlusher are the destinations whose buffered bytes are
// pushed out after every frame (bufio.Writer, http.Flusher).
type flusher interface{ Flush() error }
type plainFlusher interface{ Flush() }

// Writer encodes frames into an animated GIF on an io.Writer, as they come.
// The frames of the palette window (Options.PaletteWindow) wait until the
// global colour table is built from all of them; after that, each frame is
// encoded when it arrives and written when the next frame (or Close) gives the
// time it stops showing. The first error is kept and returned by every later
// call.
type Writer struct {
	w     io.Writer
	flush func() error
	opts  Options
	err   error
	bytes int64 // written to w
	count int   // images written to w

	scr     *screen
	global  *palette      // colour table of the logical screen; nil until the window is full
	cur     *palette      // palette frames are mapped to now: global or a local one
	locals  []*palette    // local palettes made so far, the most recent last (at most keepLocals)
	enter   float64       // error (MSE per channel) above which cur no longer serves
	hist    histogram     // colours of the frames the next palette is built from
	window  []windowFrame // frames the global palette is built from, waiting for it
	winSize int           // bytes of pixels held in window
	bayer   [64]int32
	reduce  *reduceTable // bayer folded into the colour reduction, for mapOrdered
	lzw     *lzwEncoder
	px      []uint32   // the frame being encoded, packed 0xRRGGBB
	prevPx  []uint32   // the frame mapped before it, with ordered or no dither
	prevPal *palette   // the palette prevPx was mapped to
	yuv     *yuvTables // for the matrix and range of the last YCbCr frame
	lastYUV yuvSamples // the samples px was converted from, when it was
	sub     []byte     // indices of the changed rectangle
	codes   []byte     // LZW code stream of the changed rectangle
	last    time.Duration
	clock   clock
	pending []byte // encoded image (descriptor onward) waiting for its delay
	hasPend bool
	pendTr  bool // pending image uses transparency
	pendIdx byte // its transparent index
	closed  bool

	merged      int // frames identical to the one before, folded into its delay
	localsMade  int // local palettes built and used
	built       int // palettes built, the global one and candidates not used included
	localFrames int // images written with a local colour table
}

// NewWriter returns a Writer of an animated GIF that loops forever. Nothing is
// written until the palette window is full (or Close).
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

// LocalPalettes returns the number of local colour tables built so far: one
// per scene the global table does not serve.
func (w *Writer) LocalPalettes() int { return w.localsMade }

// PalettesBuilt returns the number of palettes built so far, the global one
// and candidates that were not better enough to be used included: what the
// encoder's palette work cost.
func (w *Writer) PalettesBuilt() int { return w.built }

// LocalFrames returns the number of images written with a local colour table
// (a table serves every frame of its scene, and each such frame carries it).
func (w *Writer) LocalFrames() int { return w.localFrames }

// Bytes returns the number of bytes written to the destination so far.
func (w *Writer) Bytes() int64 { return w.bytes }

// WriteFrame encodes f: at once, or when the palette window is full. A frame
// identical to the one before (after differencing) only lengthens that
// frame's delay. The writer keeps no reference to f's pixels.
func (w *Writer) WriteFrame(f Frame) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return ErrClosed
	}
	o := w.opts
	if err := f.check(o.Width, o.Height); err != nil {
		w.fail(fmt.Errorf("frame at %v: %w", f.Timestamp, err))
		return w.err
	}
	if f.Timestamp < w.last || f.Timestamp < 0 {
		w.fail(fmt.Errorf("%w: frame at %v after one at %v", ErrTimestamp, f.Timestamp, w.last))
		return w.err
	}
	if w.global != nil {
		w.writeFrame(f.Timestamp, w.pixels(&f))
		return w.err
	}
	w.last = f.Timestamp
	if w.hold(f.Timestamp, w.pixels(&f)) {
		w.start()
	}
	return w.err
}

func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// start builds the global palette from the window's frames, writes the
// header, logical screen descriptor, global colour table and NETSCAPE2.0 loop
// extension, then encodes the window's frames.
func (w *Writer) start() {
	o := w.opts
	w.hist.reset()
	step := (w.winSize/4 + histSample - 1) / histSample
	for i, f := range w.window {
		w.hist.add(f.px, step, uint64(i+1))
	}
	w.global = newPalette(&w.hist, o.Colors-1)
	w.built++
	w.cur = w.global
	w.enter = w.opts.localLimit()

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

	window := w.window
	w.window, w.winSize = nil, 0
	for _, f := range window {
		w.writeFrame(f.at, f.px)
	}
}

// pixels returns f's picture in w.px, one packed 0xRRGGBB a pixel.
func (w *Writer) pixels(f *Frame) []uint32 {
	n := w.opts.Width * w.opts.Height
	if len(w.px) != n {
		w.px = make([]uint32, n)
	}
	if f.RGB != nil {
		w.lastYUV.valid = false
		rgb := f.RGB[:3*n]
		for i := range w.px {
			s := rgb[3*i : 3*i+3 : 3*i+3] // one bounds check a pixel, not three
			w.px[i] = pack(s[0], s[1], s[2])
		}
		return w.px
	}
	if t := w.yuv; t == nil || t.matrix != f.YCbCr.Matrix || t.full != f.YCbCr.FullRange {
		w.yuv = newYUVTables(f.YCbCr.Matrix, f.YCbCr.FullRange)
		w.lastYUV.valid = false
	}
	f.YCbCr.toRGB(w.px, w.opts.Width, w.opts.Height, w.yuv, &w.lastYUV)
	return w.px
}

// writeFrame encodes one checked frame.
func (w *Writer) writeFrame(at time.Duration, src []uint32) {
	if w.err != nil {
		return
	}
	w.choosePalette(src)
	var r image.Rectangle
	switch w.opts.Dither {
	case DitherFloydSteinberg:
		r = w.scr.mapFloydSteinberg(src, w.cur)
	default:
		var prev []uint32
		if w.prevPal == w.cur {
			prev = w.prevPx
		}
		r = w.scr.mapOrdered(src, prev, w.cur, w.reduce)
		w.prevPx = append(w.prevPx[:0], src...)
		w.prevPal = w.cur
	}
	if r.Empty() && w.hasPend {
		w.merged++
		w.last = at
		return
	}
	if r.Empty() {
		r = image.Rect(0, 0, 1, 1) // a first frame with nothing to draw still needs an image
	}
	if w.hasPend {
		w.writePending(at)
	}
	w.encode(r)
	w.scr.havePrev = true
	w.last = at
}

// encode makes the pending image from the screen's indices inside r. An image
// mapped to a local palette carries, as its local colour table, only the
// colours it uses: a smaller table, and narrower LZW codes when it holds
// fewer than half the palette's colours.
func (w *Writer) encode(r image.Rectangle) {
	p := w.cur
	w.sub = w.scr.crop(w.sub, r)
	bits, trans := p.bits, p.trans
	var table []byte
	if p != w.global {
		table, bits, trans = w.subset(p)
		w.localFrames++
	}
	b := w.pending[:0]
	b = append(b, sImageDescriptor)
	b = le16(b, r.Min.X)
	b = le16(b, r.Min.Y)
	b = le16(b, r.Dx())
	b = le16(b, r.Dy())
	if table != nil {
		b = append(b, fColorTable|byte(bits-1))
		b = append(b, table...)
	} else {
		b = append(b, 0)
	}
	litWidth := max(2, bits) // GIF89a Appendix F: minimum code size is at least 2
	b = append(b, byte(litWidth))
	w.codes = w.lzw.encode(w.codes[:0], w.sub, litWidth)
	w.pending = appendBlocks(b, w.codes)
	w.hasPend = true
	w.pendTr = w.scr.havePrev
	w.pendIdx = trans
}

// subset renumbers w.sub, indices into p, to the colours it uses (in p's
// order) followed by the transparent index, and returns that colour table
// (3<<bits bytes) and the new transparent index.
func (w *Writer) subset(p *palette) (table []byte, bits int, trans byte) {
	var used [256]bool
	for _, k := range w.sub {
		used[k] = true
	}
	var remap [256]byte
	n := 0
	for k := range p.rgb {
		if used[k] {
			remap[k] = byte(n)
			n++
		}
	}
	trans = byte(n)
	remap[p.trans] = trans
	for bits = 1; 1<<bits < n+1; bits++ {
	}
	table = make([]byte, 3<<bits)
	for k, c := range p.rgb {
		if used[k] {
			j := 3 * int(remap[k])
			table[j], table[j+1], table[j+2] = byte(c>>16), byte(c>>8), byte(c)
		}
	}
	for i, k := range w.sub {
		w.sub[i] = remap[k]
	}
	return table, bits, trans
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

// Close encodes the frames still waiting for the palette window, writes the
// last frame, which shows until end, and the trailer. It does not close the
// destination.
func (w *Writer) Close(end time.Duration) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	if w.global == nil && len(w.window) > 0 {
		w.start()
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
