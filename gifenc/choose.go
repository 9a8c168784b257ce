package gifenc

// Choosing the palette of each frame. The global palette is built from the
// palette window; a frame the palette it is mapped to serves badly, in
// absolute terms (Options.LocalPaletteError), is mapped to the best palette
// already made if that one serves, else to a new local palette of its own when
// that is much better. Thresholds have hysteresis, so that grain and noise
// never make the palette flicker from frame to frame: only a cut or a new
// scene does.
const (
	// keepLocals is how many local palettes are kept for reuse: a clip that
	// cuts back to a scene (A, B, A) reuses its table instead of building it again.
	keepLocals = 4
	// exitFraction: a local palette gives way to the global one when the
	// global one's error on a frame is at most this fraction of the limit.
	exitFraction = 0.5
	// newGain: a new palette is taken only when its error on the frame is at
	// most this fraction of the best existing palette's (2.2 dB better).
	newGain = 0.6
	// raise: when a new palette would not help (the content is as hard as it
	// looks: grain, many colours), the current one serves until its error
	// grows to this many times what it is now.
	raise = 1.25
)

// choosePalette sets w.cur for a frame of pixels src.
func (w *Writer) choosePalette(src []uint32) {
	limit := w.opts.localLimit()
	if limit < 0 {
		return
	}
	e := w.cur.mse(src)
	if e <= w.enter {
		if w.cur != w.global && w.global.mse(src) <= exitFraction*limit {
			w.cur, w.enter = w.global, limit
		}
		return
	}
	best, bestE := w.cur, e
	w.forPalettes(func(p *palette) {
		if p != w.cur {
			if pe := p.mse(src); pe < bestE {
				best, bestE = p, pe
			}
		}
	})
	if bestE <= limit {
		w.cur, w.enter = best, limit
		return
	}
	w.hist.reset()
	w.hist.add(src, 1, 1)
	p := newPalette(&w.hist, w.opts.Colors-1)
	w.built++
	pe := p.mse(src)
	if pe > newGain*bestE {
		w.cur, w.enter = best, bestE*raise
		return
	}
	if len(w.locals) == keepLocals {
		w.locals = append(w.locals[:0], w.locals[1:]...)
	}
	w.locals = append(w.locals, p)
	w.localsMade++
	w.cur, w.enter = p, max(limit, pe*raise)
}

// forPalettes calls f with the global palette and every local one kept.
func (w *Writer) forPalettes(f func(*palette)) {
	f(w.global)
	for _, p := range w.locals {
		f(p)
	}
}
