package decodeworker

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/errclass"
	"github.com/musicpresence/animated-album-covers/internal/errclass/errclasstest"
)

// roundTrip writes one message with put and reads it back: its type and payload.
func roundTrip(t *testing.T, put func(*msgWriter) error) (byte, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := put(newMsgWriter(&buf)); err != nil {
		t.Fatal(err)
	}
	typ, payload, err := newMsgReader(&buf, maxSampleMessage).next()
	if err != nil {
		t.Fatal(err)
	}
	return typ, payload
}

// nonZero sets v (a settable value) to a value other than its zero, distinct per seed where
// its kind allows; false for a kind it does not know.
func nonZero(v reflect.Value, seed int) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(7 + seed))
	case reflect.Uint8:
		v.SetUint(1) // codec.FormatHEVC
	case reflect.Float64:
		v.SetFloat(1.5 + float64(seed))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString(fmt.Sprint("field ", seed))
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			return false
		}
		v.SetBytes([]byte{0, 0, 0, 1, byte(seed)})
	default:
		return false
	}
	return true
}

// eachField calls check with base and one field of it made non-zero, for every field of T.
func eachField[T any](t *testing.T, base T, check func(field string, v T)) {
	rt := reflect.TypeFor[T]()
	for i := range rt.NumField() {
		v := base
		if !nonZero(reflect.ValueOf(&v).Elem().Field(i), i) {
			t.Errorf("%s.%s: a field of kind %s; teach the protocol and this test to carry it", rt, rt.Field(i).Name, rt.Field(i).Type.Kind())
			continue
		}
		check(rt.Field(i).Name, v)
	}
}

// A field added to one of the structs that cross the pipe must cross it: each field, alone
// non-zero, comes back as it went. This fails for a field the wire structs do not carry.
func TestWireCarriesEveryField(t *testing.T) {
	eachField(t, codec.DecodeOptions{}, func(field string, o codec.DecodeOptions) {
		h := header{decode: o, outW: 80, outH: 60, info: codec.StreamInfo{Width: 320, Height: 240}}
		_, payload := roundTrip(t, func(m *msgWriter) error { return m.header(h) })
		if got, err := parseHeader(payload); err != nil || !reflect.DeepEqual(got, h) {
			t.Errorf("DecodeOptions.%s: %+v (%v), sent %+v", field, got, err, h)
		}
	})
	// Of the StreamInfo, the child needs the picture size, the format and the URL for its
	// messages; the rest is the parent's. A new field must be put in one list or the other.
	carried := map[string]bool{"Width": true, "Height": true, "Format": true, "URL": true}
	notCarried := map[string]bool{"Container": true, "Codec": true, "Profile": true, "Level": true, "BitDepth": true,
		"Transfer": true, "SampleAspect": true, "FrameRate": true, "Duration": true, "Frames": true}
	for f := range reflect.TypeFor[codec.StreamInfo]().Fields() {
		if !carried[f.Name] && !notCarried[f.Name] {
			t.Errorf("StreamInfo.%s: say whether the decode worker needs it", f.Name)
		}
	}
	info := codec.StreamInfo{Width: 7, Height: 9, Format: codec.FormatHEVC, URL: "https://origin.test/a.mp4"}
	_, payload := roundTrip(t, func(m *msgWriter) error { return m.header(header{outW: 1, outH: 1, info: info}) })
	if got, err := parseHeader(payload); err != nil || got.info != info {
		t.Errorf("StreamInfo: %+v (%v), sent %+v", got.info, err, info)
	}

	eachField(t, codec.Sample{}, func(field string, s codec.Sample) {
		_, payload := roundTrip(t, func(m *msgWriter) error { return m.sample(s) })
		got, err := parseSample(payload)
		if len(got.AnnexB) == 0 {
			got.AnnexB = nil // the zero sample's empty access unit
		}
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("Sample.%s: %+v (%v), sent %+v", field, got, err, s)
		}
	})

	eachField(t, codec.DecodeStats{}, func(field string, s codec.DecodeStats) {
		_, payload := roundTrip(t, func(m *msgWriter) error { return m.done(s, nil) })
		if got, err := parseDone(payload); err != nil || got.stats != s || got.err != nil {
			t.Errorf("DecodeStats.%s: %+v (%v), sent %+v", field, got, err, s)
		}
	})

	// A frame: its times, and its picture's format (the planes are the payload's rest, their
	// strides implied by the output size).
	const w, h = 5, 3
	picture := func(full bool) *gifenc.YCbCr {
		cw, ch := chromaSize(w, h, full)
		p := &gifenc.YCbCr{Y: make([]byte, w*h), Cb: make([]byte, cw*ch), Cr: make([]byte, cw*ch), YStride: w, CStride: cw, FullChroma: full}
		for i, plane := range [][]byte{p.Y, p.Cb, p.Cr} {
			for j := range plane {
				plane[j] = byte(i*100 + j)
			}
		}
		return p
	}
	sendFrame := func(field string, f Frame) {
		_, payload := roundTrip(t, func(m *msgWriter) error { return m.frame(f, w, h) })
		if got, err := parseFrame(payload, w, h); err != nil || !reflect.DeepEqual(got, f) {
			t.Errorf("Frame.%s: %+v %+v (%v), sent %+v %+v", field, got, got.Value, err, f, f.Value)
		}
	}
	eachField(t, codec.Frame[[]byte]{}, func(field string, f codec.Frame[[]byte]) {
		if field != "Value" {
			sendFrame(field, Frame{Time: f.Time, Duration: f.Duration, PTS: f.PTS, Value: picture(false)})
		}
	})
	implied := map[string]bool{"Y": true, "Cb": true, "Cr": true, "YStride": true, "CStride": true}
	for f := range reflect.TypeFor[gifenc.YCbCr]().Fields() {
		if implied[f.Name] {
			continue
		}
		p := picture(f.Name == "FullChroma")
		v := reflect.ValueOf(p).Elem().FieldByIndex(f.Index)
		if f.Type == reflect.TypeFor[gifenc.Matrix]() {
			v.SetInt(int64(gifenc.BT709)) // the one other matrix there is
		} else if !nonZero(v, 0) {
			t.Errorf("YCbCr.%s: a field of kind %s; teach the protocol and this test to carry it", f.Name, f.Type.Kind())
			continue
		}
		sendFrame("Value."+f.Name, Frame{Value: p})
	}
}

// Every error class crosses the pipe: the parent's error is of the class the child's was, wraps
// each of its sentinels and says what the child's said.
func TestEveryClassCrossesThePipe(t *testing.T) {
	for _, c := range errclass.Classes {
		sent := errclasstest.Error(c, "h264: at sample 7")
		var buf bytes.Buffer
		if err := newMsgWriter(&buf).done(codec.DecodeStats{Samples: 3}, sent); err != nil {
			t.Fatal(err)
		}
		a := readAnswer(newMsgReader(&buf, maxDoneMessage), 8, 8, nil)
		if !a.answered || a.broken != nil {
			t.Fatalf("%s: answer broken: %v", c.Name, a.broken)
		}
		if got := errclass.Of(a.err); got.Name != c.Name {
			t.Errorf("%s: crossed as %s (%v)", c.Name, got.Name, a.err)
		}
		for _, s := range c.Errs {
			if !errors.Is(a.err, s) {
				t.Errorf("%s: %v does not wrap %v", c.Name, a.err, s)
			}
		}
		if sent != nil && (a.err == nil || a.err.Error() != sent.Error()) {
			t.Errorf("%s: says %v, sent %v", c.Name, a.err, sent)
		}
	}
	// A message too long is cut to the limit between two characters, not inside one.
	long := fmt.Errorf("%w: %s", codec.ErrInvalid, strings.Repeat("é", maxErrorBytes))
	var buf bytes.Buffer
	_ = newMsgWriter(&buf).done(codec.DecodeStats{}, long)
	a := readAnswer(newMsgReader(&buf, maxDoneMessage), 8, 8, nil)
	if a.broken != nil || !errors.Is(a.err, codec.ErrInvalid) || len(a.err.Error()) > maxErrorBytes || !utf8.ValidString(a.err.Error()) {
		t.Errorf("long message: %d bytes, valid UTF-8 %t, %v", len(a.err.Error()), utf8.ValidString(a.err.Error()), a.broken)
	}
}

// The parent believes nothing a worker sends: every malformed answer is a crash, not a GIF.
func TestWorkerAnswerRejectsMalformed(t *testing.T) {
	const w, h = 8, 6
	frame := func(m *msgWriter) {
		v := &gifenc.YCbCr{Y: make([]byte, w*h), Cb: make([]byte, 4*3), Cr: make([]byte, 4*3), YStride: w, CStride: 4}
		_ = m.frame(Frame{Time: 0, Duration: time.Second / 24, Value: v}, w, h)
	}
	raw := func(typ byte, payload []byte) func(*msgWriter) {
		return func(m *msgWriter) { m.start(typ, len(payload)); m.write(payload); _ = m.flush() }
	}
	fields := func(typ byte, v any, rest []byte) func(*msgWriter) {
		return func(m *msgWriter) { m.start(typ, fixedSize(v)+len(rest)); m.fields(v); m.write(rest); _ = m.flush() }
	}
	done := func(emitted int) func(*msgWriter) {
		return func(m *msgWriter) { _ = m.done(codec.DecodeStats{Samples: 3, Decoded: 3, Emitted: emitted}, nil) }
	}
	planes := make([]byte, w*h+2*4*3)
	tests := []struct {
		name    string
		answer  []func(*msgWriter)
		frames  int
		healthy bool
	}{
		{"frame and done", []func(*msgWriter){frame, done(1)}, 1, true},
		{"nothing", nil, 0, false},
		{"frames without done", []func(*msgWriter){frame, frame}, 2, false},
		{"frame of the wrong size", []func(*msgWriter){raw(msgFrame, make([]byte, frameHeadSize+w*h)), done(0)}, 0, false},
		{"frame shorter than its fixed part", []func(*msgWriter){raw(msgFrame, make([]byte, frameHeadSize-1)), done(0)}, 0, false},
		{"frame claiming full chroma with 4:2:0 planes", []func(*msgWriter){fields(msgFrame, frameFields{FullChroma: true}, planes), done(0)}, 0, false},
		{"frame of an unknown matrix", []func(*msgWriter){fields(msgFrame, frameFields{Matrix: 2}, planes), done(0)}, 0, false},
		{"frame before time zero", []func(*msgWriter){fields(msgFrame, frameFields{Time: -1}, planes), done(0)}, 0, false},
		{"frame of negative duration", []func(*msgWriter){fields(msgFrame, frameFields{Duration: -1}, planes), done(0)}, 0, false},
		{"oversized message", []func(*msgWriter){raw(msgFrame, make([]byte, 1<<20))}, 0, false},
		{"unknown message", []func(*msgWriter){raw('Z', nil), done(0)}, 0, false},
		{"done miscounting frames", []func(*msgWriter){frame, done(2)}, 1, false},
		{"message after done", []func(*msgWriter){done(0), frame}, 0, false},
		{"unknown error class", []func(*msgWriter){fields(msgDone, doneFields{Class: 200}, nil)}, 0, false},
		{"no error with a message", []func(*msgWriter){fields(msgDone, doneFields{}, []byte("all went well"))}, 0, false},
		{"done shorter than its fixed part", []func(*msgWriter){raw(msgDone, make([]byte, doneSize-1))}, 0, false},
		{"error message over the limit", []func(*msgWriter){fields(msgDone, doneFields{Class: errclass.Other.Code()}, make([]byte, maxErrorBytes+1))}, 0, false},
		{"truncated message", []func(*msgWriter){func(m *msgWriter) { m.start(msgFrame, 100); _ = m.flush() }}, 0, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		m := newMsgWriter(&buf)
		for _, put := range tt.answer {
			put(m)
		}
		frames := 0
		rd := newMsgReader(&buf, max(frameMessageSize(w, h, true), maxDoneMessage))
		a := readAnswer(rd, w, h, func(Frame) error { frames++; return nil })
		if a.answered && a.broken == nil {
			a.expectEnd(rd)
		}
		healthy := a.answered && a.broken == nil
		if healthy != tt.healthy || frames != tt.frames {
			t.Errorf("%s: healthy %v (%v), %d frames; want %v, %d", tt.name, healthy, a.broken, frames, tt.healthy, tt.frames)
		}
		if !tt.healthy {
			if err := crashError(nil, nil, a.broken, ""); !errors.Is(err, errclass.ErrDecoderCrashed) {
				t.Errorf("%s: %v, want errclass.ErrDecoderCrashed", tt.name, err)
			}
		}
	}
}
