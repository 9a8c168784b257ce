package codec

import (
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// every returns n presentation times k/rate.
func every(n int, rate float64) []time.Duration {
	p := make([]time.Duration, n)
	for k := range p {
		p[k] = time.Duration(float64(k) * float64(time.Second) / rate)
	}
	return p
}

// shownCount applies Choose to pictures in presentation order, the last one ending at end.
func shownCount(sel FrameSelector, pts []time.Duration, end time.Duration) (n int, total time.Duration) {
	for i, p := range pts {
		next := end
		if i+1 < len(pts) {
			next = pts[i+1]
		}
		if show, _, length := sel.Choose(p, next); show {
			n++
			total += length
		}
	}
	return n, total
}

// The counts are what `ffmpeg -vf fps=F` gives for these inputs (F*duration frames, the first
// slot at 0).
func TestFrameSelectorCounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       float64
		n        int
		sel      FrameSelector
		want     int
		wantTime time.Duration
	}{
		{"30 to 24, 3 s", 30, 90, FrameSelector{FrameRate: 24}, 72, 3 * time.Second},
		{"60 to 24, 2 s", 60, 120, FrameSelector{FrameRate: 24}, 48, 2 * time.Second},
		{"48 to 24, ties round up", 48, 96, FrameSelector{FrameRate: 24}, 48, 2 * time.Second},
		{"24 to 24", 24, 48, FrameSelector{FrameRate: 24}, 48, 2 * time.Second},
		{"15 to 24 repeats", 15, 30, FrameSelector{FrameRate: 24}, 30, 2 * time.Second},
		{"all pictures", 30, 90, FrameSelector{}, 90, 3 * time.Second},
		{"30 to 24, limit 1 s", 30, 90, FrameSelector{FrameRate: 24, MaxDuration: time.Second}, 24, time.Second},
		{"all, limit 1 s", 30, 90, FrameSelector{MaxDuration: time.Second}, 30, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts := every(tc.n, tc.in)
			end := time.Duration(float64(tc.n) * float64(time.Second) / tc.in)
			n, total := shownCount(tc.sel, pts, end)
			if n != tc.want {
				t.Errorf("%d pictures shown, want %d", n, tc.want)
			}
			if d := total - tc.wantTime; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("shown for %v in all, want %v", total, tc.wantTime)
			}
		})
	}
}

// Of the pictures in one slot the last is shown; at 30 -> 24 fps the picture dropped is every
// fifth one starting at the third (k = 2, 7, 12 …: 2/30*24 = 1.6 and 3/30*24 = 2.4 share slot 2).
func TestFrameSelectorKeepsLastInSlot(t *testing.T) {
	sel := FrameSelector{FrameRate: 24}
	pts := every(15, 30)
	var dropped []int
	for k, p := range pts {
		next := p + time.Second/30
		if k+1 < len(pts) {
			next = pts[k+1]
		}
		if show, at, _ := sel.Choose(p, next); !show {
			dropped = append(dropped, k)
		} else if want := sel.SlotTime(sel.Slot(p)); at != want {
			t.Errorf("picture %d shown at %v, want %v", k, at, want)
		}
	}
	if want := []int{2, 7, 12}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
}

// listSource is a Source over samples in memory.
type listSource struct {
	samples []Sample
	next    int
}

func (s *listSource) Info() StreamInfo { return StreamInfo{} }
func (s *listSource) Close() error     { return nil }
func (s *listSource) Next(context.Context) (Sample, error) {
	if s.next == len(s.samples) {
		return Sample{}, io.EOF
	}
	s.next++
	return s.samples[s.next-1], nil
}

// The lookahead, seeing samples in decoding order, decides as a selector that knows the whole
// presentation order does, on a stream with B-pyramids (decode order I P B b b, GOPs of 8):
// FFmpeg's choice (the last picture of a slot), refined so that a slot holding a reference
// picture shows its last reference picture instead of a non-reference one.
func TestLookaheadMatchesPresentationOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, rate = 96, 30.0
	frame := time.Second / rate
	// Presentation index of the samples in decoding order: per mini-GOP of 4 (P at +3, then
	// B at +1 referenced, b at +0 and +2 non-reference).
	var samples []Sample
	for g := 0; g < n; g += 4 {
		for i, off := range []int{3, 1, 0, 2} {
			k := g + off
			samples = append(samples, Sample{PTS: time.Duration(k) * frame, DTS: time.Duration(g+i-1) * frame, Duration: frame, IDR: g%32 == 0 && i == 0, NonReference: off == 0 || off == 2})
		}
	}
	// The first mini-GOP starts with its I picture at 0; its b pictures take 2 and 3 (not 0
	// again: two pictures at one time show only one, see FuzzFrameSelection).
	samples[0].PTS, samples[2].PTS, samples[3].PTS = 0, 2*frame, 3*frame
	for _, sel := range []FrameSelector{{FrameRate: 24}, {FrameRate: 10}, {}, {FrameRate: 24, MaxDuration: time.Second + time.Duration(rng.IntN(int(frame)))}} {
		look := newLookahead(&listSource{samples: samples}, sel)
		pts := make([]time.Duration, 0, n)
		for _, s := range samples {
			pts = append(pts, s.PTS)
		}
		slices.Sort(pts)
		reference := map[time.Duration]bool{}
		for _, s := range samples {
			reference[s.PTS] = !s.NonReference
		}
		want := map[time.Duration]bool{}
		for i, p := range pts {
			next := p + frame
			if i+1 < len(pts) {
				next = pts[i+1]
			}
			show, _, _ := sel.Choose(p, next)
			want[p] = show
			if !show || reference[p] || sel.FrameRate <= 0 {
				continue
			}
			for j := i - 1; j >= 0 && sel.Slot(pts[j]) == sel.Slot(p); j-- {
				if reference[pts[j]] {
					want[p], want[pts[j]] = false, true
					break
				}
			}
		}
		if sel.FrameRate == 24 && sel.MaxDuration == 0 {
			// Each slot of two pictures here holds a reference and a non-reference one.
			for p, show := range want {
				if !show && reference[p] {
					t.Errorf("%+v: reference picture at %v not shown: its slot's non-reference picture was", sel, p)
				}
			}
		}
		got := 0
		for {
			s, err := look.next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got++
			if s.show != want[s.PTS] {
				t.Errorf("%+v: picture at %v shown %v, want %v", sel, s.PTS, s.show, want[s.PTS])
			}
			if s.NonReference && !s.show && s.decode {
				t.Errorf("%+v: non-reference picture at %v decoded but not shown", sel, s.PTS)
			}
			if !s.NonReference && sel.Within(s.PTS) && !s.decode {
				t.Errorf("%+v: reference picture at %v not decoded", sel, s.PTS)
			}
		}
		if sel.MaxDuration == 0 && got != len(samples) {
			t.Errorf("%+v: %d samples decided, want %d", sel, got, len(samples))
		}
	}
}
