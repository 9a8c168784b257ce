package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// The decode worker protocol: how a conversion hands a demuxed H.264 stream to a decode worker
// (a child process, `server decode-worker`, see worker.go) over the child's stdin, and gets the
// output-sized frames back over its stdout. The parent fetches and demuxes, so every source
// policy stays in one process; the child only ever sees access units.
//
// Both directions are a sequence of messages:
//
//	type     1 byte    one of the msg… constants below
//	length   4 bytes   big-endian length of the payload, bounded per direction (maxSampleMessage,
//	                   frameMessageSize), checked before anything is allocated
//	payload  length bytes
//
// Integers are big-endian; durations are int64 nanoseconds; the frame rate is float64 bits.
//
// Parent to child:
//
//	'H' header, once, first: version u32 (workerProtocolVersion), frame rate f64, max duration
//	    i64, threads u32, max width u32, max height u32, output width u32, output height u32,
//	    source width u32, source height u32, video format u8 (codec.VideoFormat: 0 H.264,
//	    1 HEVC), then the source URL (for error messages; at most maxURLBytes).
//	'S' sample, in decoding order: DTS i64, PTS i64, duration i64, flags u8 (1: IDR,
//	    2: non-reference), then the access unit in Annex B form (H.264 or H.265).
//	'E' end of the samples; the parent closes stdin after it.
//
// Child to parent:
//
//	'F' frame, in presentation order: time i64, duration i64, PTS i64, flags u8 (1: full range,
//	    2: full chroma, 4: BT.709), then the Y plane (output width x height, no padding), then
//	    Cb and Cr (output size when full chroma, else half of it rounded up, no padding).
//	'D' done, once, last: samples, decoded, skipped, dropped, emitted, corrupt as u32, decode
//	    and convert time as i64 nanoseconds (the codec.DecodeStats), error class u8 (errClass…),
//	    then the error message (empty when the
//	    class is errClassNone; at most maxErrorBytes).
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

// workerProtocolVersion changes with any change to the messages above: parent and child are the
// same binary, so a mismatch means a stale binary at the worker path.
const workerProtocolVersion = 3

// Bounds of the protocol's variable parts.
const (
	headerFixedSize  = 4 + 8 + 8 + 4*7 + 1
	sampleFixedSize  = 8 + 8 + 8 + 1
	frameFixedSize   = 8 + 8 + 8 + 1
	doneFixedSize    = 4*6 + 8*2 + 1
	maxURLBytes      = 8 << 10
	maxErrorBytes    = 4 << 10
	maxSampleMessage = sampleFixedSize + codec.MaxSampleSize
)

// Error classes carried by 'D', so that errors.Is(err, codec.ErrUnsupported) and
// codec.ErrInvalid hold on the parent's side as they do in process (the service answers 415).
const (
	errClassNone        = 0
	errClassUnsupported = 1
	errClassInvalid     = 2
	errClassOther       = 3
)

// errProtocol is wrapped by every framing error: a peer that breaks the protocol.
var errProtocol = errors.New("decode worker protocol")

// workerHeader is the payload of 'H'.
type workerHeader struct {
	decode     codec.DecodeOptions
	outW, outH int
	info       codec.StreamInfo // Width, Height, Format and URL only
}

// frameMessageSize is the payload size of every 'F' for an output of w x h pixels.
func frameMessageSize(w, h int, fullChroma bool) int {
	cw, ch := chromaSize(w, h, fullChroma)
	return frameFixedSize + w*h + 2*cw*ch
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
	w   *bufio.Writer
	err error
	buf [8]byte
}

func newMsgWriter(w io.Writer) *msgWriter { return &msgWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (m *msgWriter) write(p []byte) {
	if m.err == nil {
		_, m.err = m.w.Write(p)
	}
}

func (m *msgWriter) start(typ byte, length int) {
	m.buf[0] = typ
	m.write(m.buf[:1])
	m.u32(uint32(length))
}

func (m *msgWriter) u8(v uint8) { m.buf[0] = v; m.write(m.buf[:1]) }

func (m *msgWriter) u32(v uint32) {
	binary.BigEndian.PutUint32(m.buf[:4], v)
	m.write(m.buf[:4])
}

func (m *msgWriter) i64(v int64) {
	binary.BigEndian.PutUint64(m.buf[:8], uint64(v))
	m.write(m.buf[:8])
}

// flush sends what is buffered: after every message, so the peer never waits on a buffer.
func (m *msgWriter) flush() error {
	if m.err == nil {
		m.err = m.w.Flush()
	}
	return m.err
}

func (m *msgWriter) header(h workerHeader) error {
	url := h.info.URL
	if len(url) > maxURLBytes {
		url = url[:maxURLBytes]
	}
	m.start(msgHeader, headerFixedSize+len(url))
	m.u32(workerProtocolVersion)
	m.i64(int64(math.Float64bits(h.decode.FrameRate)))
	m.i64(int64(h.decode.MaxDuration))
	for _, v := range []int{h.decode.Threads, h.decode.MaxWidth, h.decode.MaxHeight, h.outW, h.outH, h.info.Width, h.info.Height} {
		m.u32(uint32(v))
	}
	m.u8(uint8(h.info.Format))
	m.write([]byte(url))
	return m.flush()
}

func (m *msgWriter) sample(s codec.Sample) error {
	m.start(msgSample, sampleFixedSize+len(s.AnnexB))
	m.i64(int64(s.DTS))
	m.i64(int64(s.PTS))
	m.i64(int64(s.Duration))
	var flags uint8
	if s.IDR {
		flags |= 1
	}
	if s.NonReference {
		flags |= 2
	}
	m.u8(flags)
	m.write(s.AnnexB)
	return m.flush()
}

func (m *msgWriter) end() error {
	m.start(msgEnd, 0)
	return m.flush()
}

func (m *msgWriter) frame(f codec.Frame[*gifenc.YCbCr], w, h int) error {
	p := f.Value
	cw, ch := chromaSize(w, h, p.FullChroma)
	m.start(msgFrame, frameMessageSize(w, h, p.FullChroma))
	m.i64(int64(f.Time))
	m.i64(int64(f.Duration))
	m.i64(int64(f.PTS))
	var flags uint8
	if p.FullRange {
		flags |= 1
	}
	if p.FullChroma {
		flags |= 2
	}
	if p.Matrix == gifenc.BT709 {
		flags |= 4
	}
	m.u8(flags)
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
	class, text := errClassNone, ""
	if err != nil {
		class, text = errClassOther, err.Error()
		switch {
		case errors.Is(err, codec.ErrUnsupported):
			class = errClassUnsupported
		case errors.Is(err, codec.ErrInvalid):
			class = errClassInvalid
		}
		if len(text) > maxErrorBytes {
			text = text[:maxErrorBytes]
		}
	}
	m.start(msgDone, doneFixedSize+len(text))
	for _, v := range []int{s.Samples, s.Decoded, s.Skipped, s.Dropped, s.Emitted, s.Corrupt} {
		m.u32(uint32(v))
	}
	m.i64(int64(s.DecodeTime))
	m.i64(int64(s.ConvertTime))
	m.u8(uint8(class))
	m.write([]byte(text))
	return m.flush()
}

// msgReader reads messages, refusing any payload over max before allocating it.
type msgReader struct {
	r   *bufio.Reader
	max int
}

func newMsgReader(r io.Reader, max int) *msgReader {
	return &msgReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next message's type and payload (its own slice). At a clean end between
// messages it returns io.EOF; an end inside a message is io.ErrUnexpectedEOF.
func (m *msgReader) next() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(m.r, head[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:]))
	if n > m.max {
		return 0, nil, fmt.Errorf("%w: message %q of %d bytes, over the limit %d", errProtocol, head[0], n, m.max)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(m.r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return head[0], payload, nil
}

// payloadReader takes fixed fields off the front of a payload, which the caller has checked is
// long enough.
type payloadReader []byte

func (p *payloadReader) u8() uint8 { v := (*p)[0]; *p = (*p)[1:]; return v }

func (p *payloadReader) u32() int {
	v := binary.BigEndian.Uint32(*p)
	*p = (*p)[4:]
	return int(v)
}

func (p *payloadReader) i64() int64 {
	v := binary.BigEndian.Uint64(*p)
	*p = (*p)[8:]
	return int64(v)
}

func (p *payloadReader) duration() time.Duration { return time.Duration(p.i64()) }

func parseHeader(payload []byte) (workerHeader, error) {
	if len(payload) < headerFixedSize || len(payload) > headerFixedSize+maxURLBytes {
		return workerHeader{}, fmt.Errorf("%w: header of %d bytes", errProtocol, len(payload))
	}
	p := payloadReader(payload)
	if v := p.u32(); v != workerProtocolVersion {
		return workerHeader{}, fmt.Errorf("%w: version %d, this worker speaks %d (a stale binary?)", errProtocol, v, workerProtocolVersion)
	}
	var h workerHeader
	h.decode.FrameRate = math.Float64frombits(uint64(p.i64()))
	h.decode.MaxDuration = p.duration()
	h.decode.Threads, h.decode.MaxWidth, h.decode.MaxHeight = p.u32(), p.u32(), p.u32()
	h.outW, h.outH = p.u32(), p.u32()
	h.info.Width, h.info.Height = p.u32(), p.u32()
	h.info.Format = codec.VideoFormat(p.u8())
	h.info.URL = string(p)
	if h.outW < 1 || h.outH < 1 || h.outW > MaxSize || h.outH > MaxSize || h.decode.Threads > MaxThreads || h.info.Format > codec.FormatHEVC {
		return workerHeader{}, fmt.Errorf("%w: output %dx%d, %d threads, video format %d", errProtocol, h.outW, h.outH, h.decode.Threads, h.info.Format)
	}
	return h, nil
}

func parseSample(payload []byte) (codec.Sample, error) {
	if len(payload) < sampleFixedSize {
		return codec.Sample{}, fmt.Errorf("%w: sample of %d bytes", errProtocol, len(payload))
	}
	p := payloadReader(payload)
	s := codec.Sample{DTS: p.duration(), PTS: p.duration(), Duration: p.duration()}
	flags := p.u8()
	s.IDR, s.NonReference = flags&1 != 0, flags&2 != 0
	s.AnnexB = p
	return s, nil
}

// parseFrame checks a frame against the output size the parent asked for: the planes must be
// exactly that size, the times sane.
func parseFrame(payload []byte, w, h int) (codec.Frame[*gifenc.YCbCr], error) {
	if len(payload) < frameFixedSize {
		return codec.Frame[*gifenc.YCbCr]{}, fmt.Errorf("%w: frame of %d bytes", errProtocol, len(payload))
	}
	p := payloadReader(payload)
	f := codec.Frame[*gifenc.YCbCr]{Time: p.duration(), Duration: p.duration(), PTS: p.duration()}
	flags := p.u8()
	full := flags&2 != 0
	if len(payload) != frameMessageSize(w, h, full) || flags&^7 != 0 {
		return f, fmt.Errorf("%w: frame of %d bytes with flags %#x for a %dx%d output", errProtocol, len(payload), flags, w, h)
	}
	if f.Time < 0 || f.Duration < 0 {
		return f, fmt.Errorf("%w: frame at %v lasting %v", errProtocol, f.Time, f.Duration)
	}
	cw, ch := chromaSize(w, h, full)
	v := &gifenc.YCbCr{
		Y: p[:w*h], Cb: p[w*h:][:cw*ch], Cr: p[w*h+cw*ch:],
		YStride: w, CStride: cw,
		Matrix: gifenc.BT601, FullRange: flags&1 != 0, FullChroma: full,
	}
	if flags&4 != 0 {
		v.Matrix = gifenc.BT709
	}
	f.Value = v
	return f, nil
}

// parseDone returns the child's statistics and its error, rebuilt so that errors.Is finds the
// class the child's error wrapped and Error says what it said.
func parseDone(payload []byte) (codec.DecodeStats, error, error) {
	if len(payload) < doneFixedSize || len(payload) > doneFixedSize+maxErrorBytes {
		return codec.DecodeStats{}, nil, fmt.Errorf("%w: done of %d bytes", errProtocol, len(payload))
	}
	p := payloadReader(payload)
	s := codec.DecodeStats{Samples: p.u32(), Decoded: p.u32(), Skipped: p.u32(), Dropped: p.u32(), Emitted: p.u32(), Corrupt: p.u32(),
		DecodeTime: p.duration(), ConvertTime: p.duration()}
	class, text := p.u8(), string(p)
	switch class {
	case errClassNone:
		if text != "" {
			return s, nil, fmt.Errorf("%w: done without error class but with message %q", errProtocol, text)
		}
		return s, nil, nil
	case errClassUnsupported:
		return s, &workerError{class: codec.ErrUnsupported, text: text}, nil
	case errClassInvalid:
		return s, &workerError{class: codec.ErrInvalid, text: text}, nil
	case errClassOther:
		return s, &workerError{text: text}, nil
	}
	return s, nil, fmt.Errorf("%w: unknown error class %d", errProtocol, class)
}

// workerError is an error the decode worker reported: its text as the worker wrote it, and the
// codec error class it wrapped.
type workerError struct {
	class error // codec.ErrUnsupported, codec.ErrInvalid or nil
	text  string
}

func (e *workerError) Error() string { return e.text }
func (e *workerError) Unwrap() error { return e.class }
