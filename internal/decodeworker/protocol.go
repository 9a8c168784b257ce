package decodeworker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// The decode worker protocol: how the parent hands a demuxed H.264 or H.265 stream to its
// child over the child's stdin, and gets the output-sized frames back over its stdout. The
// parent fetches and demuxes, so every source policy stays in one process; the child only ever
// sees access units.
//
// Both directions are a sequence of messages: a msgHead (type, then the payload's length,
// bounded per direction and checked before anything is allocated), then the payload. Every
// fixed part is a struct below, laid out by encoding/binary, big-endian, field after field as
// declared; its size is binary.Size of the struct. A field added to one is carried with no
// other change; TestWireCarriesEveryField fails when a field of codec.DecodeOptions,
// codec.DecodeStats, codec.Sample, codec.Frame or gifenc.YCbCr is not carried.
//
// Parent to child:
//
//	'H' header, once, first: headerFields, then the source URL (for error messages; at most
//	    maxURLBytes).
//	'S' sample, in decoding order: sampleFields, then the access unit in Annex B form.
//	'E' end of the samples; the parent closes stdin after it.
//
// Child to parent:
//
//	'F' frame, in presentation order: frameFields, then the Y plane (output width x height,
//	    no padding), then Cb and Cr (the output size when FullChroma, else half of it rounded
//	    up, no padding).
//	'D' done, once, last: doneFields (the codec.DecodeStats and the errclass code of the
//	    decoding error), then the error's text (empty for errclass.None; at most maxErrorBytes).
//
// The parent trusts nothing the child says: the child decodes hostile bytes and may have been
// subverted by them. Every reply is checked against the sizes the parent asked for.
const (
	msgHeader = 'H'
	msgSample = 'S'
	msgEnd    = 'E'
	msgFrame  = 'F'
	msgDone   = 'D'
)

// protocolVersion changes with any change to the messages: parent and child are the same
// binary, so a mismatch means a stale binary at the worker path.
const protocolVersion = 4

// msgHead starts every message.
type msgHead struct {
	Type   uint8
	Length uint32
}

// headerFields is the fixed part of 'H': the codec.DecodeOptions, the output size, and the
// source's size and format (the rest of codec.StreamInfo is the parent's business).
type headerFields struct {
	Version      uint32
	FrameRate    float64
	MaxDuration  time.Duration
	Threads      uint32
	MaxWidth     uint32
	MaxHeight    uint32
	OutWidth     uint32
	OutHeight    uint32
	SourceWidth  uint32
	SourceHeight uint32
	Format       codec.VideoFormat
}

// sampleFields is the fixed part of 'S': a codec.Sample but its AnnexB.
type sampleFields struct {
	DTS, PTS, Duration time.Duration
	IDR, NonReference  bool
}

// frameFields is the fixed part of 'F': a codec.Frame's times and its gifenc.YCbCr's format
// (its planes follow, unpadded, so the strides are implied).
type frameFields struct {
	Time, Duration, PTS   time.Duration
	Matrix                uint8 // gifenc.Matrix
	FullRange, FullChroma bool
}

// doneFields is the fixed part of 'D'.
type doneFields struct {
	Samples, Decoded, Skipped, Dropped, Emitted, Corrupt uint32
	DecodeTime, ConvertTime                              time.Duration
	Class                                                uint8 // errclass code
}

// Sizes of the fixed parts, and bounds of the variable ones.
var (
	msgHeadSize    = fixedSize(msgHead{})
	headerSize     = fixedSize(headerFields{})
	sampleHeadSize = fixedSize(sampleFields{})
	frameHeadSize  = fixedSize(frameFields{})
	doneSize       = fixedSize(doneFields{})

	maxSampleMessage = sampleHeadSize + codec.MaxSampleSize
	maxDoneMessage   = doneSize + maxErrorBytes
)

const (
	maxURLBytes   = 8 << 10
	maxErrorBytes = 4 << 10
)

// fixedSize is binary.Size of a wire struct. A field of a type without a fixed size would make
// it -1 and every message unreadable: this fails at start instead, and so every test.
func fixedSize(v any) int {
	n := binary.Size(v)
	if n <= 0 {
		panic(fmt.Sprintf("decodeworker: %T has no fixed size", v))
	}
	return n
}

// errProtocol is wrapped by every framing error: a peer that breaks the protocol.
var errProtocol = errors.New("decode worker protocol")

// header is the payload of 'H'.
type header struct {
	decode     codec.DecodeOptions
	outW, outH int
	info       codec.StreamInfo // Width, Height, Format and URL only
}

// frameMessageSize is the payload size of every 'F' for an output of w x h pixels.
func frameMessageSize(w, h int, fullChroma bool) int {
	cw, ch := chromaSize(w, h, fullChroma)
	return frameHeadSize + w*h + 2*cw*ch
}

// chromaSize is the size of the Cb and Cr planes of a w x h output frame.
func chromaSize(w, h int, fullChroma bool) (int, int) {
	if fullChroma {
		return w, h
	}
	return (w + 1) / 2, (h + 1) / 2
}

// msgWriter writes messages. As in image/gif's encoder, the first error is kept and every later
// write is a no-op, so a message reads as a straight sequence of puts.
type msgWriter struct {
	w       *bufio.Writer
	err     error
	scratch []byte // the encoding of the last fixed part
}

func newMsgWriter(w io.Writer) *msgWriter { return &msgWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (m *msgWriter) write(p []byte) {
	if m.err == nil {
		_, m.err = m.w.Write(p)
	}
}

// fields writes a wire struct.
func (m *msgWriter) fields(v any) {
	if m.err != nil {
		return
	}
	m.scratch, m.err = binary.Append(m.scratch[:0], binary.BigEndian, v)
	m.write(m.scratch)
}

func (m *msgWriter) start(typ byte, length int) {
	m.fields(msgHead{Type: typ, Length: uint32(length)})
}

// flush sends what is buffered: after every message, so the peer never waits on a buffer.
func (m *msgWriter) flush() error {
	if m.err == nil {
		m.err = m.w.Flush()
	}
	return m.err
}

func (m *msgWriter) header(h header) error {
	url := h.info.URL
	if len(url) > maxURLBytes {
		url = url[:maxURLBytes]
	}
	m.start(msgHeader, headerSize+len(url))
	m.fields(headerFields{
		Version:   protocolVersion,
		FrameRate: h.decode.FrameRate, MaxDuration: h.decode.MaxDuration,
		Threads: uint32(h.decode.Threads), MaxWidth: uint32(h.decode.MaxWidth), MaxHeight: uint32(h.decode.MaxHeight),
		OutWidth: uint32(h.outW), OutHeight: uint32(h.outH),
		SourceWidth: uint32(h.info.Width), SourceHeight: uint32(h.info.Height), Format: h.info.Format,
	})
	m.write([]byte(url))
	return m.flush()
}

func (m *msgWriter) sample(s codec.Sample) error {
	m.start(msgSample, sampleHeadSize+len(s.AnnexB))
	m.fields(sampleFields{DTS: s.DTS, PTS: s.PTS, Duration: s.Duration, IDR: s.IDR, NonReference: s.NonReference})
	m.write(s.AnnexB)
	return m.flush()
}

func (m *msgWriter) end() error {
	m.start(msgEnd, 0)
	return m.flush()
}

func (m *msgWriter) frame(f Frame, w, h int) error {
	p := f.Value
	cw, ch := chromaSize(w, h, p.FullChroma)
	m.start(msgFrame, frameMessageSize(w, h, p.FullChroma))
	m.fields(frameFields{Time: f.Time, Duration: f.Duration, PTS: f.PTS,
		Matrix: uint8(p.Matrix), FullRange: p.FullRange, FullChroma: p.FullChroma})
	// The scaler makes unpadded planes; rows are copied one by one anyway so that the message
	// holds exactly what the header promises whatever the strides.
	for y := range h {
		m.write(p.Y[y*p.YStride:][:w])
	}
	for _, plane := range [][]byte{p.Cb, p.Cr} {
		for y := range ch {
			m.write(plane[y*p.CStride:][:cw])
		}
	}
	return m.flush()
}

func (m *msgWriter) done(s codec.DecodeStats, err error) error {
	class, text := errclass.Of(err), ""
	if err != nil {
		text = err.Error()
		if len(text) > maxErrorBytes {
			text = strings.ToValidUTF8(text[:maxErrorBytes], "") // not half a character
		}
	}
	m.start(msgDone, doneSize+len(text))
	m.fields(doneFields{
		Samples: uint32(s.Samples), Decoded: uint32(s.Decoded), Skipped: uint32(s.Skipped),
		Dropped: uint32(s.Dropped), Emitted: uint32(s.Emitted), Corrupt: uint32(s.Corrupt),
		DecodeTime: s.DecodeTime, ConvertTime: s.ConvertTime,
		Class: class.Code(),
	})
	m.write([]byte(text))
	return m.flush()
}

// msgReader reads messages, refusing any payload over max before allocating it.
type msgReader struct {
	r    *bufio.Reader
	max  int
	head []byte // msgHeadSize bytes
}

func newMsgReader(r io.Reader, max int) *msgReader {
	return &msgReader{r: bufio.NewReaderSize(r, 64<<10), max: max, head: make([]byte, msgHeadSize)}
}

// next returns the next message's type and payload (its own slice). At a clean end between
// messages it returns io.EOF; an end inside a message is io.ErrUnexpectedEOF.
func (m *msgReader) next() (byte, []byte, error) {
	if _, err := io.ReadFull(m.r, m.head); err != nil {
		return 0, nil, err
	}
	var head msgHead
	if _, err := binary.Decode(m.head, binary.BigEndian, &head); err != nil {
		return 0, nil, err
	}
	if int64(head.Length) > int64(m.max) {
		return 0, nil, fmt.Errorf("%w: message %q of %d bytes, over the limit %d", errProtocol, head.Type, head.Length, m.max)
	}
	payload := make([]byte, head.Length)
	if _, err := io.ReadFull(m.r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return head.Type, payload, nil
}

// decodeFields reads the wire struct v points to off the front of payload and returns the
// rest; it fails when payload is shorter than v.
func decodeFields(payload []byte, v any) ([]byte, error) {
	n, err := binary.Decode(payload, binary.BigEndian, v)
	if err != nil {
		return nil, err
	}
	return payload[n:], nil
}

func parseHeader(payload []byte) (header, error) {
	var f headerFields
	url, err := decodeFields(payload, &f)
	if err != nil || len(url) > maxURLBytes {
		return header{}, fmt.Errorf("%w: header of %d bytes", errProtocol, len(payload))
	}
	if f.Version != protocolVersion {
		return header{}, fmt.Errorf("%w: version %d, this worker speaks %d (a stale binary?)", errProtocol, f.Version, protocolVersion)
	}
	h := header{
		decode: codec.DecodeOptions{FrameRate: f.FrameRate, MaxDuration: f.MaxDuration,
			Threads: int(f.Threads), MaxWidth: int(f.MaxWidth), MaxHeight: int(f.MaxHeight)},
		outW: int(f.OutWidth), outH: int(f.OutHeight),
		info: codec.StreamInfo{Width: int(f.SourceWidth), Height: int(f.SourceHeight), Format: f.Format, URL: string(url)},
	}
	// The output size decides what the child allocates per frame; it is never larger than the
	// largest picture. The parent is the same binary and checked its options: the threads are
	// bounded by the child's own limits.
	if h.outW < 1 || h.outH < 1 || h.outW > yuv.MaxWidth || h.outH > yuv.MaxHeight || h.info.Format > codec.FormatHEVC {
		return header{}, fmt.Errorf("%w: output %dx%d, video format %d", errProtocol, h.outW, h.outH, h.info.Format)
	}
	return h, nil
}

func parseSample(payload []byte) (codec.Sample, error) {
	var f sampleFields
	annexB, err := decodeFields(payload, &f)
	if err != nil {
		return codec.Sample{}, fmt.Errorf("%w: sample of %d bytes", errProtocol, len(payload))
	}
	return codec.Sample{AnnexB: annexB, DTS: f.DTS, PTS: f.PTS, Duration: f.Duration, IDR: f.IDR, NonReference: f.NonReference}, nil
}

// parseFrame checks a frame against the output size the parent asked for: the planes must be
// exactly that size, the times sane, the matrix one the encoder knows.
func parseFrame(payload []byte, w, h int) (Frame, error) {
	var f frameFields
	planes, err := decodeFields(payload, &f)
	if err != nil {
		return Frame{}, fmt.Errorf("%w: frame of %d bytes", errProtocol, len(payload))
	}
	frame := Frame{Time: f.Time, Duration: f.Duration, PTS: f.PTS}
	if len(payload) != frameMessageSize(w, h, f.FullChroma) {
		return frame, fmt.Errorf("%w: frame of %d bytes (full chroma %t) for a %dx%d output", errProtocol, len(payload), f.FullChroma, w, h)
	}
	if m := gifenc.Matrix(f.Matrix); m != gifenc.BT601 && m != gifenc.BT709 {
		return frame, fmt.Errorf("%w: frame with matrix %d", errProtocol, f.Matrix)
	}
	if f.Time < 0 || f.Duration < 0 {
		return frame, fmt.Errorf("%w: frame at %v lasting %v", errProtocol, f.Time, f.Duration)
	}
	cw, ch := chromaSize(w, h, f.FullChroma)
	frame.Value = &gifenc.YCbCr{
		Y: planes[:w*h], Cb: planes[w*h:][:cw*ch], Cr: planes[w*h+cw*ch:],
		YStride: w, CStride: cw,
		Matrix: gifenc.Matrix(f.Matrix), FullRange: f.FullRange, FullChroma: f.FullChroma,
	}
	return frame, nil
}

// doneMessage is what 'D' says: the child's statistics, and its decoding error (nil when it
// succeeded), rebuilt so that errors.Is finds the class it had and Error says what it said.
type doneMessage struct {
	stats codec.DecodeStats
	err   error
}

// parseDone reads 'D'; its error says the message is malformed, never how the decoding went.
func parseDone(payload []byte) (doneMessage, error) {
	var f doneFields
	rest, err := decodeFields(payload, &f)
	if err != nil || len(rest) > maxErrorBytes {
		return doneMessage{}, fmt.Errorf("%w: done of %d bytes", errProtocol, len(payload))
	}
	d := doneMessage{stats: codec.DecodeStats{
		Samples: int(f.Samples), Decoded: int(f.Decoded), Skipped: int(f.Skipped),
		Dropped: int(f.Dropped), Emitted: int(f.Emitted), Corrupt: int(f.Corrupt),
		DecodeTime: f.DecodeTime, ConvertTime: f.ConvertTime,
	}}
	class, ok := errclass.ByCode(f.Class)
	text := string(rest)
	switch {
	case !ok:
		return doneMessage{}, fmt.Errorf("%w: unknown error class %d", errProtocol, f.Class)
	case class.Name == errclass.None.Name && text != "":
		return doneMessage{}, fmt.Errorf("%w: done without an error but with the message %q", errProtocol, text)
	case class.Name != errclass.None.Name:
		d.err = class.Rebuild(text)
	}
	return d, nil
}

// Frame is what a conversion's decoding stage hands to its encoder: an output frame resized to
// the GIF's size, with its times. The worker sends these back to the parent.
type Frame = codec.Frame[*gifenc.YCbCr]
