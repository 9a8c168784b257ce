package h265

/*
#cgo pkg-config: libde265
#include <stdlib.h>
#include <string.h>
#include <libde265/de265.h>

// dedec is every C allocation of one Decoder besides libde265's own: the decoder context and
// the buffer access units are copied into (cgo forbids C to keep Go pointers, and libde265's
// input queue is not promised to copy). One malloc, one free.
typedef struct {
	de265_decoder_context* ctx;
	unsigned char* in;
	size_t in_cap;
	const struct de265_image* img; // the picture handed to Go, until released
} dedec;

static dedec* dedec_new(int threads) {
	dedec* d = calloc(1, sizeof(dedec));
	if (d == NULL) return NULL;
	d->ctx = de265_new_decoder();
	if (d->ctx == NULL) { free(d); return NULL; }
	// Pictures with decoding errors still come out, as FFmpeg's do: a damaged picture is
	// better than a gap, and the caller counts the damage from the returned error.
	de265_set_parameter_bool(d->ctx, DE265_DECODER_PARAM_SUPPRESS_FAULTY_PICTURES, 0);
	if (threads > 1 && !de265_isOK(de265_start_worker_threads(d->ctx, threads))) {
		de265_free_decoder(d->ctx);
		free(d);
		return NULL;
	}
	return d;
}

static void dedec_free(dedec* d) {
	de265_free_decoder(d->ctx);
	free(d->in);
	free(d);
}

// dedec_reserve makes room for n input bytes; 0 when out of memory.
static int dedec_reserve(dedec* d, size_t n) {
	if (n <= d->in_cap) return 1;
	unsigned char* in = realloc(d->in, n);
	if (in == NULL) return 0;
	d->in = in;
	d->in_cap = n;
	return 1;
}

// dedec_push queues one NAL unit (without start code) of the access unit copied to d->in.
// Whole NAL units are pushed rather than the Annex B byte stream, which libde265 would hold
// until the next start code arrives. The access unit's end is not marked with
// de265_push_end_of_frame: libde265 1.0.11 then empties its reorder buffer after every picture,
// which puts B-pictures out of presentation order; a picture is finished when the next access
// unit's first slice arrives, or at the flush.
static de265_error dedec_push(dedec* d, size_t off, int n, long long pts) {
	return de265_push_NAL(d->ctx, d->in + off, n, pts, NULL);
}

static de265_error dedec_decode(dedec* d, int* more) {
	*more = 0;
	return de265_decode(d->ctx, more);
}

static de265_error dedec_flush(dedec* d) { return de265_flush_data(d->ctx); }
static de265_error dedec_warning(dedec* d) { return de265_get_warning(d->ctx); }

// dedec_next takes the next picture in output order, if any; dedec_release gives it back.
static int dedec_next(dedec* d) {
	d->img = de265_peek_next_picture(d->ctx);
	return d->img != NULL;
}
static void dedec_release(dedec* d) {
	d->img = NULL;
	de265_release_next_picture(d->ctx);
}

static int dedec_width(dedec* d) { return de265_get_image_width(d->img, 0); }
static int dedec_height(dedec* d) { return de265_get_image_height(d->img, 0); }
static int dedec_chroma(dedec* d) { return (int)de265_get_chroma_format(d->img); }
static int dedec_bits(dedec* d, int c) { return de265_get_bits_per_pixel(d->img, c); }
static long long dedec_pts(dedec* d) { return de265_get_image_PTS(d->img); }
static const unsigned char* dedec_plane(dedec* d, int c, int* stride) {
	return de265_get_image_plane(d->img, c, stride);
}
*/
import "C"

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// libde265 return codes the decoder acts on (de265.h, de265_error).
const (
	deOK                = 0
	deOutOfMemory       = 7
	deImageBufferFull   = 9
	deWaitingForInput   = 13
	deNotImplementedYet = 502
	// Warnings about multi-threading, not about the stream: a stream without wavefront
	// parallel processing decodes on one thread.
	deWarnNoWPPThreads      = 1000
	deWarnThreadsLimited    = 1022
	deWarningBufferOverflow = 1001 // the warning queue itself is full
)

// Bounds on the decoding loops, so that a decoder that misbehaves fails instead of spinning:
// de265_decode takes one NAL unit per call, and an access unit has at most a few dozen; the
// decoded picture buffer holds at most 16 pictures (A.4.2, MaxDpbSize).
const (
	maxDecodeCalls = 1 << 12
	maxWarnings    = 64
)

// NAL unit types of the parameter sets (Table 7-1), and the number of PPS ids (7.4.3.3.1).
const (
	nalVPS   = 32
	nalSPS   = 33
	nalPPS   = 34
	maxPPSID = 64
)

// live counts decoders created and not yet closed, so tests can show that nothing leaks.
var live atomic.Int64

// LiveDecoders is the number of decoders created and not yet closed in this process.
func LiveDecoders() int64 { return live.Load() }

// Decoder decodes one H.265 stream, whole access units per call. Pictures come out in
// presentation order (libde265 bumps them out of its decoded picture buffer by picture order
// count, C.5.2), each with the PTS of its own access unit. A Decoder is safe to Close from
// another goroutine; Decode and Flush must not run at the same time.
type Decoder struct {
	mu     sync.Mutex
	c      *C.dedec // owned; nil once closed
	sps    SPS      // the last SPS seen
	hasSPS bool
	sent   map[paramSetKey][]byte // the parameter sets given to libde265, by type and id
	pic    yuv.Picture            // handed to emit; reused
}

// NewDecoder makes a decoder that decodes on the calling goroutine's thread (threads <= 1) or,
// for streams coded with wavefront parallel processing or tiles, on that many libde265 worker
// threads. Close it.
//
// Unlike codec/h264, it leaves glibc's mmap threshold alone: libde265 allocates large blocks for
// every picture, which a fixed low threshold turns into an mmap, a munmap and fresh zeroed pages
// each time. Measured on the 1280x1280 clips of bench/hevc in a decode worker (two arenas,
// MALLOC_ARENA_MAX=2; codec.Decode keeps each range's decoder on one thread): 0.8 to 1.7 s more
// system time per 10 s conversion, a quarter of its CPU, for the same peak (55 MB) on an
// open-GOP stream, and 77 MB instead of 74 to 114 MB on a closed-GOP one decoded range by range.
func NewDecoder(threads int) (*Decoder, error) {
	c := C.dedec_new(C.int(threads))
	if c == nil {
		return nil, fmt.Errorf("h265: libde265 decoder could not be created")
	}
	live.Add(1)
	return &Decoder{c: c}, nil
}

// Close frees the decoder and every picture it holds. Calling it again does nothing; any other
// call after it returns ErrClosed.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		C.dedec_free(d.c)
		d.c = nil
		live.Add(-1)
	}
	return nil
}

// Decode decodes one access unit in Annex B form (ITU-T H.265 Annex B) whose picture is to be
// presented at pts, and calls emit for every picture that is ready, in presentation order: none,
// one, or several.
//
// An access unit libde265 rejects or decodes with errors gives an error wrapping ErrInvalid
// (its pictures still come out, and the decoder stays usable). A size, chroma format or bit
// depth it cannot handle gives ErrUnsupported. An error from emit stops decoding and is
// returned as is.
func (d *Decoder) Decode(accessUnit []byte, pts time.Duration, emit func(*yuv.Picture) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return ErrClosed
	}
	if len(accessUnit) > MaxAccessUnitSize {
		return fmt.Errorf("%w: access unit at %v has %d bytes, over the limit %d", ErrUnsupported, pts, len(accessUnit), MaxAccessUnitSize)
	}
	var nalus mch264.AnnexB // Annex B framing is the same in H.264 and H.265
	if err := nalus.Unmarshal(accessUnit); err != nil {
		return fmt.Errorf("%w: access unit at %v: %v", ErrInvalid, pts, err)
	}
	keep := make([][]byte, 0, len(nalus))
	size := 0
	for _, n := range nalus {
		if len(n) == 0 {
			continue
		}
		resent, err := d.parameterSet(n)
		if err != nil {
			return fmt.Errorf("access unit at %v: %w", pts, err)
		}
		if !resent {
			keep = append(keep, n)
			size += len(n)
		}
	}
	if len(keep) == 0 {
		return nil // parameter sets libde265 already has, and nothing else
	}
	if C.dedec_reserve(d.c, C.size_t(size)) == 0 {
		return fmt.Errorf("h265: out of memory for an access unit of %d bytes", size)
	}
	in := unsafe.Slice((*byte)(unsafe.Pointer(d.c.in)), size)
	off := 0
	what := fmt.Sprintf("access unit at %v (%d bytes)", pts, len(accessUnit))
	for _, n := range keep {
		copy(in[off:], n)
		if err := C.dedec_push(d.c, C.size_t(off), C.int(len(n)), C.longlong(pts)); err != deOK {
			return d.fail(err, what)
		}
		off += len(n)
	}
	return d.run(emit, what)
}

// parameterSet checks a base-layer parameter set NAL unit before libde265 sees it: an SPS
// against the limits, and each against the one of its type and id already given to libde265.
// resent is true for a copy of that one, which is then left out: libde265 1.0.11 takes a
// repeated SPS or PPS (x265's repeat-headers, a transport stream's, or the demuxer's in front
// of a CRA picture) for a new one, and the RASL pictures after that CRA then lose their
// reference pictures (TestRepeatedParameterSets). Other NAL units pass.
func (d *Decoder) parameterSet(n []byte) (resent bool, err error) {
	if len(n) < 3 || n[0]&1 != 0 || n[1]>>3 != 0 { // nuh_layer_id 0 only
		return false, nil
	}
	key := paramSetKey{typ: n[0] >> 1 & 0x3f}
	switch key.typ {
	case nalVPS:
		key.id = uint32(n[2] >> 4) // vps_video_parameter_set_id, u(4) (7.3.2.1)
	case nalSPS:
		sps, err := ParseSPS(n)
		if err != nil {
			return false, err
		}
		d.sps, d.hasSPS, key.id = sps, true, sps.ID
	case nalPPS:
		var pps mch265.PPS
		if pps.Unmarshal(n) != nil || pps.ID >= maxPPSID {
			return false, nil // libde265 judges it
		}
		key.id = pps.ID
	default:
		return false, nil
	}
	if prev, ok := d.sent[key]; ok && bytes.Equal(prev, n) {
		return true, nil
	}
	if d.sent == nil {
		d.sent = map[paramSetKey][]byte{}
	}
	d.sent[key] = bytes.Clone(n)
	return false, nil
}

// paramSetKey names a parameter set: its NAL unit type and id.
type paramSetKey struct {
	typ uint8
	id  uint32
}

// Flush signals the end of the stream and emits the pictures still held for reordering.
func (d *Decoder) Flush(emit func(*yuv.Picture) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return ErrClosed
	}
	if err := C.dedec_flush(d.c); err != deOK {
		return d.fail(err, "the end of the stream")
	}
	return d.run(emit, "the end of the stream")
}

// run lets libde265 decode what it was given, handing every picture that comes out to emit,
// until it waits for more input or has nothing left. The first error or warning about the
// stream is returned once everything that can be decoded is.
func (d *Decoder) run(emit func(*yuv.Picture) error, what string) error {
	var streamErr error
	for range maxDecodeCalls {
		var more C.int
		err := C.dedec_decode(d.c, &more)
		if emitErr := d.emitReady(emit); emitErr != nil {
			return emitErr
		}
		switch {
		case err == deWaitingForInput:
			return d.warnings(streamErr, what)
		case err == deImageBufferFull:
			continue // the pictures were taken above; decoding goes on
		case err != deOK && C.de265_isOK(err) == 0:
			if streamErr == nil {
				streamErr = d.fail(err, what)
			}
			if err == deOutOfMemory {
				return streamErr
			}
		}
		if more == 0 {
			return d.warnings(streamErr, what)
		}
	}
	return fmt.Errorf("%w: %s: libde265 still busy after %d calls", ErrInvalid, what, maxDecodeCalls)
}

// warnings drains libde265's warning queue and returns err, or else an error for the first
// warning that says the stream is damaged.
func (d *Decoder) warnings(err error, what string) error {
	for range maxWarnings {
		w := C.dedec_warning(d.c)
		switch w {
		case deOK:
			return err
		case deWarnNoWPPThreads, deWarnThreadsLimited, deWarningBufferOverflow:
			continue
		}
		if err == nil {
			err = d.fail(w, what)
		}
	}
	return err
}

// fail describes a libde265 error code, under ErrUnsupported for a tool libde265 does not
// implement and ErrInvalid for the rest, except memory, which is no fault of the stream.
func (d *Decoder) fail(code C.de265_error, what string) error {
	text := C.GoString(C.de265_get_error_text(code))
	switch code {
	case deNotImplementedYet:
		return fmt.Errorf("%w: %s: libde265: %s", ErrUnsupported, what, text)
	case deOutOfMemory:
		return fmt.Errorf("h265: %s: libde265: %s", what, text)
	}
	return fmt.Errorf("%w: %s: libde265: %s (%d)", ErrInvalid, what, text, int(code))
}

// emitReady hands every picture libde265 has ready, in output order, to emit, and gives each
// back to libde265 afterwards, whatever emit returns.
func (d *Decoder) emitReady(emit func(*yuv.Picture) error) error {
	for C.dedec_next(d.c) != 0 {
		err := d.emitPicture(emit)
		C.dedec_release(d.c)
		if err != nil {
			return err
		}
	}
	return nil
}

// emitPicture checks the picture libde265 returned and hands it to emit.
func (d *Decoder) emitPicture(emit func(*yuv.Picture) error) error {
	w, h := int(C.dedec_width(d.c)), int(C.dedec_height(d.c))
	depth := int(C.dedec_bits(d.c, 0))
	if chroma := int(C.dedec_chroma(d.c)); chroma != C.de265_chroma_420 {
		return fmt.Errorf("%w: decoder returned a picture in chroma format %d (only 4:2:0)", ErrUnsupported, chroma)
	}
	if depth < 8 || depth > MaxBitDepth || int(C.dedec_bits(d.c, 1)) != depth || int(C.dedec_bits(d.c, 2)) != depth {
		return fmt.Errorf("%w: decoder returned a picture of %d/%d/%d bits", ErrUnsupported, depth, int(C.dedec_bits(d.c, 1)), int(C.dedec_bits(d.c, 2)))
	}
	var ys, cbs, crs C.int
	y, cb, cr := C.dedec_plane(d.c, 0, &ys), C.dedec_plane(d.c, 1, &cbs), C.dedec_plane(d.c, 2, &crs)
	size := 1 // bytes per sample
	if depth > 8 {
		size = 2
	}
	cw, ch := (w+1)/2, (h+1)/2
	if w <= 0 || h <= 0 || w > yuv.MaxWidth || h > yuv.MaxHeight || int(ys) < w*size || int(cbs) < cw*size || cbs != crs ||
		int(ys)%size != 0 || int(cbs)%size != 0 || y == nil || cb == nil || cr == nil {
		return fmt.Errorf("%w: decoder returned a %dx%d picture with strides %d/%d/%d", ErrInvalid, w, h, ys, cbs, crs)
	}
	p := &d.pic
	*p = yuv.Picture{Width: w, Height: h, BitDepth: depth, YStride: int(ys) / size, CStride: int(cbs) / size,
		PTS: time.Duration(int64(C.dedec_pts(d.c)))}
	if d.hasSPS {
		p.Color = d.sps.Color
	} else {
		p.Color = yuv.VUI{}.Color(h) // nothing described
	}
	lumaLen, chromaLen := (h-1)*p.YStride+w, (ch-1)*p.CStride+cw
	if size == 1 {
		p.Y = unsafe.Slice((*byte)(unsafe.Pointer(y)), lumaLen)
		p.Cb = unsafe.Slice((*byte)(unsafe.Pointer(cb)), chromaLen)
		p.Cr = unsafe.Slice((*byte)(unsafe.Pointer(cr)), chromaLen)
	} else {
		// libde265 keeps deeper samples as native uint16 (little-endian here), 2-byte aligned.
		p.Y16 = unsafe.Slice((*uint16)(unsafe.Pointer(y)), lumaLen)
		p.Cb16 = unsafe.Slice((*uint16)(unsafe.Pointer(cb)), chromaLen)
		p.Cr16 = unsafe.Slice((*uint16)(unsafe.Pointer(cr)), chromaLen)
	}
	err := emit(p)
	*p = yuv.Picture{} // the planes are not valid after emit returns
	return err
}
