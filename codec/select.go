package codec

import (
	"context"
	"errors"
	"io"
	"math"
	"time"
)

// FrameSelector decides which pictures a conversion at FrameRate frames per second (0: every
// picture) and MaxDuration (0: no limit) shows, with the semantics of FFmpeg's fps filter with
// rounding to nearest: the picture presented at p falls into output slot round(p*F); of the
// pictures in one slot the last one is shown; a slot without a picture repeats the one before
// (the GIF shows that frame longer). A picture that falls into no slot of its own (the next one
// rounds to the same slot) is not shown. Pictures presented at or after MaxDuration are not
// part of the output.
//
// Decode refines "the last one" where it saves work: every picture of a slot is equally near
// the slot in time (each rounds to it), so when the slot holds a reference picture, the last
// reference picture is shown and the non-reference ones are never decoded. FFmpeg's choice
// would show a non-reference picture and decode the reference one for nothing.
type FrameSelector struct {
	FrameRate   float64
	MaxDuration time.Duration
}

// slotTieTolerance absorbs the nanosecond truncation of container times: a picture at 1/48 s is
// 20833333 ns, which times 24 is just below the tie 0.5 that FFmpeg, working in the stream's
// exact time base, rounds up (AV_ROUND_NEAR_INF). One microsecond is far below any frame
// interval and far above the truncation.
const slotTieTolerance = time.Microsecond

// Slot is the output slot of a picture presented at pts: round(pts*F), halves away from zero.
func (s FrameSelector) Slot(pts time.Duration) int64 {
	return int64(math.Floor((pts+slotTieTolerance).Seconds()*s.FrameRate + 0.5))
}

// SlotTime is the start of output slot k: k/F.
func (s FrameSelector) SlotTime(k int64) time.Duration {
	return time.Duration(math.Round(float64(k) * float64(time.Second) / s.FrameRate))
}

// Within reports whether a picture presented at pts is inside the duration limit.
func (s FrameSelector) Within(pts time.Duration) bool {
	return s.MaxDuration <= 0 || pts < s.MaxDuration
}

// Choose decides for the picture presented at pts, given when the next picture in presentation
// order is presented (for the last one: its end, pts+Duration). It returns whether the picture is
// shown and, if so, when (its slot's time, or pts when every picture is kept) and for how long.
func (s FrameSelector) Choose(pts, next time.Duration) (show bool, at, length time.Duration) {
	if !s.Within(pts) {
		return false, 0, 0
	}
	if s.MaxDuration > 0 {
		next = min(next, s.MaxDuration)
	}
	if s.FrameRate <= 0 {
		return true, pts, max(next-pts, 0)
	}
	first, end := s.Slot(pts), s.Slot(next)
	if end <= first {
		return false, 0, 0
	}
	return true, s.SlotTime(first), s.SlotTime(end) - s.SlotTime(first)
}

// maxReorder is how far, in samples of decoding order, a picture's successor in presentation
// order may be: the decoded picture buffer holds at most 16 frames (A.3.1, max_dec_frame_buffering),
// so no picture is output more than 16 pictures after it was decoded.
const maxReorder = 16

// selectedSample is a sample with the selector's decision, made before it is decoded.
type selectedSample struct {
	Sample
	show   bool
	at     time.Duration // output time, when shown
	length time.Duration // how long it is shown
	decode bool          // false: never decoded (a non-reference picture that is not shown)
}

// lookahead reads samples from a source in decoding order and decides for each before it is
// decoded, by looking ahead for the next presentation time: maxReorder samples, or further (up
// to maxLookahead) until no sample not yet read can change the decision. It stops reading once
// a sample is decoded at or after the duration limit: its picture and every later one are
// presented after the limit too (presentation never precedes decoding).
type lookahead struct {
	src    Source
	sel    FrameSelector
	queue  []Sample         // read, not yet decided, decoding order
	recent []decidedPicture // the last samples decided (ring)
	ri     int              // next index of recent to overwrite
	step   time.Duration    // last interval between presentation times seen, for a last sample without duration
	done   bool             // the source ended or the limit was reached
	read   int              // samples read from the source
}

// decidedPicture is what the lookahead remembers of a sample it has decided.
type decidedPicture struct {
	pts       time.Duration
	reference bool
}

func newLookahead(src Source, sel FrameSelector) *lookahead {
	return &lookahead{src: src, sel: sel, recent: make([]decidedPicture, 0, maxLookahead)}
}

// maxLookahead bounds how far the lookahead reads beyond maxReorder when the pictures it holds
// cannot yet tell where the next one's presentation time falls (see next).
const maxLookahead = 4 * maxReorder

// next returns the next sample with its decision, or io.EOF.
func (l *lookahead) next(ctx context.Context) (selectedSample, error) {
	for !l.done && len(l.queue) <= maxReorder {
		if err := l.read1(ctx); err != nil {
			return selectedSample{}, err
		}
	}
	// A picture held back long in the decoded picture buffer (a P picture ahead of 15 B
	// pictures) has its successor in presentation order more than maxReorder samples later.
	// A sample not yet read is presented at or after the last decoding time read (DTS never
	// decreases, PTS never precedes DTS), so reading on until that time passes the end of the
	// first sample's slot and the next presentation time in view makes the decision certain.
	// Found by FuzzFrameSelection: without it two frames overlapped or shared a slot.
	for !l.done && len(l.queue) > 0 && len(l.queue) < maxLookahead && l.queue[len(l.queue)-1].DTS < l.horizon() {
		if err := l.read1(ctx); err != nil {
			return selectedSample{}, err
		}
	}
	if len(l.queue) == 0 {
		return selectedSample{}, io.EOF
	}
	s := l.queue[0]
	l.queue = l.queue[1:]
	// The pictures around s in presentation order are in the queue (read on far enough, see
	// above) or among the recent ones.
	slot := l.sel.Slot(s.PTS)
	var v slotView
	consider := func(p decidedPicture) {
		if p.pts == s.PTS {
			return
		}
		if p.pts > s.PTS && (!v.found || p.pts < v.next) {
			v.next, v.found = p.pts, true
		}
		if l.sel.FrameRate <= 0 || !l.sel.Within(p.pts) || l.sel.Slot(p.pts) != slot {
			return
		}
		if p.pts > s.PTS {
			v.later = true
			v.laterRef = v.laterRef || p.reference
			v.lastInSlot = max(v.lastInSlot, p.pts)
		}
		v.otherRef = v.otherRef || p.reference
	}
	for _, q := range l.queue {
		// Two pictures at one time (a broken or hostile container) would be shown over each
		// other: as in a slot, the last in decoding order is the one shown.
		v.sameLater = v.sameLater || q.PTS == s.PTS
		consider(decidedPicture{pts: q.PTS, reference: !q.NonReference})
	}
	for _, p := range l.recent {
		consider(p)
	}
	next, found := v.next, v.found
	if v.later {
		// s is shown, if at all, until the first picture of a later slot.
		next, found = v.lastInSlot, false
		for _, q := range l.queue {
			if l.sel.Slot(q.PTS) > slot && (!found || q.PTS < next) {
				next, found = q.PTS, true
			}
		}
		for _, p := range l.recent {
			if l.sel.Slot(p.pts) > slot && (!found || p.pts < next) {
				next, found = p.pts, true
			}
		}
		if !found {
			// Nothing after the slot is known yet: the slot's last picture ends the stream.
			next, found = v.lastInSlot+max(l.step, s.Duration), true
		}
	}
	if !found {
		switch {
		case s.Duration > 0:
			next = s.PTS + s.Duration
		case l.step > 0:
			next = s.PTS + l.step
		default:
			next = s.PTS + time.Second/30
		}
	} else if d := next - s.PTS; d > 0 {
		l.step = d
	}
	l.remember(decidedPicture{pts: s.PTS, reference: !s.NonReference})
	out := selectedSample{Sample: s}
	out.show, out.at, out.length = l.sel.Choose(s.PTS, next)
	out.show = out.show && !v.sameLater
	if out.show && l.sel.FrameRate > 0 {
		if s.NonReference {
			out.show = !v.otherRef && !v.later
		} else {
			out.show = !v.laterRef
		}
	}
	out.decode = out.show || (!s.NonReference && l.referencedBefore(s))
	return out, nil
}

// read1 reads one sample into the queue, or notes that the source ended or the limit is reached.
func (l *lookahead) read1(ctx context.Context) error {
	s, err := l.src.Next(ctx)
	if errors.Is(err, io.EOF) {
		l.done = true
		return nil
	}
	if err != nil {
		return err
	}
	l.read++
	if !l.sel.Within(s.DTS) && l.sel.MaxDuration > 0 {
		l.done = true
		// Its time still bounds the last picture before the limit.
		l.remember(decidedPicture{pts: s.PTS})
		return nil
	}
	l.queue = append(l.queue, s)
	return nil
}

// horizon is the presentation time up to which the first queued sample's decision needs to
// see every picture: the end of its slot, and the first presentation time in view after that
// slot (or after the sample, when every picture is kept).
func (l *lookahead) horizon() time.Duration {
	s := l.queue[0]
	h := s.PTS + max(s.Duration, l.step)
	slot := l.sel.Slot(s.PTS)
	if l.sel.FrameRate > 0 {
		h = max(h, l.sel.SlotTime(slot+1))
	}
	next, found := time.Duration(0), false
	for _, q := range l.queue[1:] {
		after := q.PTS > s.PTS && (l.sel.FrameRate <= 0 || l.sel.Slot(q.PTS) > slot)
		if after && (!found || q.PTS < next) {
			next, found = q.PTS, true
		}
	}
	if found {
		h = max(h, next)
	}
	return h
}

// slotView is what the lookahead sees of the other pictures of a sample's output slot.
type slotView struct {
	next       time.Duration // the next presentation time after the sample's
	found      bool          // next is known
	later      bool          // a picture of the same slot is presented later
	laterRef   bool          // … and one of those is a reference picture
	otherRef   bool          // a reference picture other than the sample is in the slot
	lastInSlot time.Duration // the latest presentation time in the slot
	sameLater  bool          // a picture at the same time follows in decoding order
}

// referencedBefore reports whether a reference picture that is not shown must still be decoded:
// always, unless it lies past the duration limit and no picture inside the limit follows it in
// the lookahead (only such a picture could refer to it).
func (l *lookahead) referencedBefore(s Sample) bool {
	if l.sel.Within(s.PTS) {
		return true
	}
	for _, q := range l.queue {
		if q.IDR {
			return false
		}
		if l.sel.Within(q.PTS) {
			return true
		}
	}
	return false
}

func (l *lookahead) remember(p decidedPicture) {
	if len(l.recent) < cap(l.recent) {
		l.recent = append(l.recent, p)
		return
	}
	l.recent[l.ri] = p
	l.ri = (l.ri + 1) % len(l.recent)
}
