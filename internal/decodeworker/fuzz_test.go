package decodeworker

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// FuzzWorkerAnswer feeds any bytes to the parent as a worker's stdout, for an output of w x h
// pixels: the parent trusts nothing the child says. For every input: no panic; every frame
// emitted has exactly the planes of a w x h output, a known matrix and sane times; an accepted
// answer counted exactly the frames sent, and its error is of a class of the table with a text
// within the limit; a refused one is a decoder crash whose message is one line.
func FuzzWorkerAnswer(f *testing.F) {
	for _, size := range [][2]uint8{{8, 6}, {5, 3}} {
		w, h := int(size[0]), int(size[1])
		for _, full := range []bool{false, true} {
			var buf bytes.Buffer
			m := newMsgWriter(&buf)
			cw, ch := chromaSize(w, h, full)
			p := &gifenc.YCbCr{Y: make([]byte, w*h), Cb: make([]byte, cw*ch), Cr: make([]byte, cw*ch),
				YStride: w, CStride: cw, Matrix: gifenc.BT709, FullChroma: full}
			for i := range 3 {
				_ = m.frame(Frame{Time: time.Duration(i) * time.Second / 24, Duration: time.Second / 24, Value: p}, w, h)
			}
			_ = m.done(codec.DecodeStats{Samples: 4, Decoded: 4, Emitted: 3, DecodeTime: time.Millisecond}, nil)
			f.Add(size[0], size[1], buf.Bytes())
		}
		for _, c := range errclass.Classes[1:] {
			var buf bytes.Buffer
			_ = newMsgWriter(&buf).done(codec.DecodeStats{Samples: 1}, c.Rebuild("h264: "+c.Name))
			f.Add(size[0], size[1], buf.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, w8, h8 uint8, data []byte) {
		w, h := int(w8%16)+1, int(h8%16)+1
		frames := 0
		rd := newMsgReader(bytes.NewReader(data), max(frameMessageSize(w, h, true), maxDoneMessage))
		a := readAnswer(rd, w, h, func(f Frame) error {
			frames++
			p := f.Value
			cw, ch := chromaSize(w, h, p.FullChroma)
			if len(p.Y) != w*h || p.YStride != w || len(p.Cb) != cw*ch || len(p.Cr) != cw*ch || p.CStride != cw {
				t.Fatalf("frame of planes %d, %d, %d (strides %d, %d) for %dx%d", len(p.Y), len(p.Cb), len(p.Cr), p.YStride, p.CStride, w, h)
			}
			if p.Matrix != gifenc.BT601 && p.Matrix != gifenc.BT709 {
				t.Fatalf("frame of matrix %d", p.Matrix)
			}
			if f.Time < 0 || f.Duration < 0 {
				t.Fatalf("frame at %v lasting %v", f.Time, f.Duration)
			}
			return nil
		})
		if a.answered && a.broken == nil {
			a.expectEnd(rd)
		}
		if a.answered && a.broken == nil {
			if a.stats.Emitted != frames {
				t.Fatalf("answer counts %d frames, %d emitted", a.stats.Emitted, frames)
			}
			if a.err != nil {
				c := errclass.Of(a.err)
				if c.Name == errclass.None.Name || len(a.err.Error()) > maxErrorBytes {
					t.Fatalf("worker error of class %s, %d bytes", c.Name, len(a.err.Error()))
				}
				for _, s := range c.Errs {
					if !errors.Is(a.err, s) {
						t.Fatalf("worker error of class %s does not wrap %v", c.Name, s)
					}
				}
			}
			return
		}
		if a.broken == nil {
			t.Fatal("neither an answer nor a broken protocol")
		}
		err := crashError(nil, nil, a.broken, "")
		if !errors.Is(err, errclass.ErrDecoderCrashed) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("refused answer: %q", err)
		}
		if c := errclass.Of(err); c.Status != 500 || c.Result != "decoder_crash" {
			t.Fatalf("refused answer of class %s", c.Name)
		}
	})
}
