package gifenc

import "time"

// The palette window: the first frames of the animation wait until the global
// colour table is built from all of them, so that it represents the clip, not
// a dark, faded or title first frame. It closes at the first frame at least
// Options.PaletteWindow after the first one, unless the picture is still
// fading (its mean colour moved over the last settleTime), in which case it
// stays open until the fade settles, up to maxWindowFactor times as long.
// Later frames weigh more in the table: the scene a fade-in reveals, or the one
// after a cut, is what the rest of the clip looks like.
const (
	// settleTime is how far back a frame's mean colour is compared to tell a
	// fade or a cut from a settled picture.
	settleTime = 500 * time.Millisecond
	// settleLevels is the largest change of a channel's mean, in 8-bit
	// levels, over settleTime of a settled picture. A one-second fade moves
	// the mean of a bright scene by 50 to 100 levels in that time; camera
	// motion and grain move it by a few.
	settleLevels = 6
	// maxWindowFactor bounds a window kept open by a fade.
	maxWindowFactor = 3
	// maxWindowBytes bounds the pixels the window holds: 5 s of 80x80 at
	// 24 fps; larger frames get a shorter window.
	maxWindowBytes = 3 << 20
)

// windowFrame is a frame waiting for the global palette.
type windowFrame struct {
	at   time.Duration
	px   []uint32
	mean [3]int // mean of each channel, 8-bit levels
}

// hold keeps a copy of a frame's pixels in the window and reports whether
// the window is complete.
func (w *Writer) hold(at time.Duration, px []uint32) bool {
	f := windowFrame{at: at, px: append([]uint32(nil), px...)}
	var sum [3]int
	for _, c := range px {
		sum[0] += int(c >> 16)
		sum[1] += int(c >> 8 & 0xff)
		sum[2] += int(c & 0xff)
	}
	for c := range sum {
		f.mean[c] = sum[c] / max(1, len(px))
	}
	w.window = append(w.window, f)
	w.winSize += 4 * len(px)
	span := at - w.window[0].at
	minSpan := w.opts.PaletteWindow
	switch {
	case minSpan < 0 || w.winSize >= maxWindowBytes || span >= maxWindowFactor*minSpan:
		return true
	case span < minSpan:
		return false
	}
	// The frame settleTime before this one (or the first after that time).
	back := w.window[0]
	for _, g := range w.window {
		if g.at > at-settleTime {
			break
		}
		back = g
	}
	for c := range f.mean {
		if d := f.mean[c] - back.mean[c]; d > settleLevels || d < -settleLevels {
			return false
		}
	}
	return true
}
