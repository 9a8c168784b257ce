package codec

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// fuzzSampleSize is the bytes of one picture in FuzzFrameSelection's input, in presentation
// order: the step from the previous presentation time (uint16, 1/10000 s; 0 makes two
// pictures at one time), duration (uint8, ms), flags (bit 0 IDR, bit 1 non-reference), the
// length of the mini-GOP it starts (1..16, read at a mini-GOP's first picture only) and its
// place in its mini-GOP's decoding order.
const fuzzSampleSize = 6

// decodeFuzzSamples turns fuzz bytes into a selector and samples in decoding order. Anything
// goes (equal times, zero durations, gaps, random reference flags) within what H.264 allows:
// pictures are reordered only inside groups of at most 16 (the decoded picture buffer's size,
// A.3.1), and DTS never decreases nor passes PTS (ISO/IEC 14496-12 8.6.1). Deeper reordering
// is not a stream any decoder outputs in presentation order.
func decodeFuzzSamples(data []byte) (FrameSelector, []Sample) {
	var sel FrameSelector
	if len(data) >= 2 {
		sel.FrameRate = float64(data[0] % 61) // 0: every picture
		sel.MaxDuration = time.Duration(data[1]) * 50 * time.Millisecond
		data = data[2:]
	}
	const unit = 100 * time.Microsecond
	type picture struct {
		Sample
		key byte
	}
	var samples []Sample
	var pts time.Duration
	for len(data) >= fuzzSampleSize && len(samples) < 2000 {
		n := min(1+int(data[4]%16), len(data)/fuzzSampleSize)
		group := make([]picture, n)
		for i := range group {
			b := data[i*fuzzSampleSize:]
			pts += time.Duration(binary.BigEndian.Uint16(b)) * unit
			group[i] = picture{Sample{PTS: pts, Duration: time.Duration(b[2]) * time.Millisecond,
				IDR: b[3]&1 != 0, NonReference: b[3]&2 != 0}, b[5]}
		}
		data = data[n*fuzzSampleSize:]
		slices.SortStableFunc(group, func(a, b picture) int { return int(a.key) - int(b.key) })
		for _, p := range group {
			samples = append(samples, p.Sample)
		}
	}
	// DTS: the earliest presentation time from here on, so that it never decreases nor passes PTS.
	for i := len(samples) - 1; i >= 0; i-- {
		samples[i].DTS = samples[i].PTS
		if i+1 < len(samples) {
			samples[i].DTS = min(samples[i].DTS, samples[i+1].DTS)
		}
	}
	return sel, samples
}

// encodeFuzzSamples is decodeFuzzSamples' inverse, for seeds made from real streams: its mini-GOPs
// are the shortest runs of pictures in presentation order that are decoded among themselves.
func encodeFuzzSamples(rate, limit uint8, samples []Sample) []byte {
	const unit = 100 * time.Microsecond
	order := make([]int, len(samples)) // decoding index of the k-th picture in presentation order
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(samples[a].PTS - samples[b].PTS) })
	out := []byte{rate, limit}
	var pts time.Duration
	for k0 := 0; k0 < len(order); {
		k1, top := k0, order[k0]
		for top != k1 || k1-k0 >= 16 {
			if k1-k0 >= 15 {
				break
			}
			k1++
			top = max(top, order[k1])
		}
		for k := k0; k <= k1; k++ {
			s := samples[order[k]]
			b := make([]byte, fuzzSampleSize)
			binary.BigEndian.PutUint16(b, uint16(min(max((s.PTS-pts)/unit, 0), 0xffff)))
			pts = s.PTS
			b[2] = uint8(min(s.Duration/time.Millisecond, 255))
			if s.IDR {
				b[3] |= 1
			}
			if s.NonReference {
				b[3] |= 2
			}
			b[4] = uint8(k1 - k0)
			b[5] = uint8(order[k] - order[k0] + 64)
			out = append(out, b...)
		}
		k0 = k1 + 1
	}
	return out
}

// FuzzFrameSelection drives the lookahead with arbitrary timing and flags: it never panics,
// decides each sample once, and the frames it shows never overlap in output time, are inside
// the duration limit and number at most duration*rate+1. Seeds are the timings of real
// fixtures (B-pyramids, 60 fps, HLS segments) at several rates and limits.
func FuzzFrameSelection(f *testing.F) {
	for _, file := range []string{
		"media/high-bframes-128x128-30fps.mp4", "media/baseline-160x160-60fps.mp4", "media/main-250x142-24fps.mp4", "media/vfr-160x160.mp4",
	} {
		samples := fixtureSamples(f, filepath.Join(fixtures, file))
		for _, sel := range [][2]uint8{{24, 0}, {10, 20}, {0, 0}, {60, 7}} {
			f.Add(encodeFuzzSamples(sel[0], sel[1], samples))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sel, samples := decodeFuzzSamples(data)
		look := newLookahead(&listSource{samples: samples}, sel)
		type shown struct{ at, end, pts time.Duration }
		var frames []shown
		decided := 0
		for {
			s, err := look.next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			decided++
			if decided > len(samples) {
				t.Fatalf("%d decisions from %d samples", decided, len(samples))
			}
			if s.show && !s.decode {
				t.Fatalf("picture at %v shown but not decoded", s.PTS)
			}
			if s.show {
				frames = append(frames, shown{s.at, s.at + s.length, s.PTS})
			}
		}
		if sel.MaxDuration == 0 && decided != len(samples) {
			t.Fatalf("%d of %d samples decided", decided, len(samples))
		}
		slices.SortFunc(frames, func(a, b shown) int { return int(a.at - b.at) })
		for i, fr := range frames {
			if fr.end < fr.at {
				t.Fatalf("frame of %v: ends at %v before it starts at %v", fr.pts, fr.end, fr.at)
			}
			if sel.MaxDuration > 0 && fr.at >= sel.MaxDuration {
				t.Fatalf("frame of %v at %v, past the limit %v", fr.pts, fr.at, sel.MaxDuration)
			}
			if i > 0 && frames[i-1].end > fr.at {
				t.Fatalf("frames overlap: picture %v shown %v..%v, picture %v from %v",
					frames[i-1].pts, frames[i-1].at, frames[i-1].end, fr.pts, fr.at)
			}
		}
		if sel.FrameRate > 0 && len(frames) > 0 {
			span := frames[len(frames)-1].end - frames[0].at
			if limit := int(span.Seconds()*sel.FrameRate) + 1; len(frames) > limit {
				t.Fatalf("%d frames over %v at %v fps, want at most %d", len(frames), span, sel.FrameRate, limit)
			}
		}
	})
}

// fixtureSamples reads the samples of a fixture, without their bytes.
func fixtureSamples(f *testing.F, file string) []Sample {
	data, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	d, err := openMP4(newMemoryStream(data), "mp4")
	if err != nil {
		f.Fatalf("%s: %v", file, err)
	}
	var samples []Sample
	for {
		s, err := d.Next(context.Background())
		if err == io.EOF {
			return samples
		}
		if err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		s.AnnexB = nil
		samples = append(samples, s)
	}
}
