package h264

/*
#cgo pkg-config: openh264
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

// ohdec is every C allocation of one Decoder: the OpenH264 instance and the buffer access
// units are copied into (OpenH264 may read the input after the cgo call, e.g. when it flushes,
// and cgo forbids C to keep Go pointers). One malloc, one free.
typedef struct {
	ISVCDecoder* dec;
	unsigned char* in;
	size_t in_cap;
	unsigned char* dst[3];
	SBufferInfo info;
} ohdec;

static ohdec* ohdec_new(void) {
	ohdec* d = calloc(1, sizeof(ohdec));
	if (d == NULL) return NULL;
	if (WelsCreateDecoder(&d->dec) != 0 || d->dec == NULL) { free(d); return NULL; }
	int quiet = WELS_LOG_QUIET;
	(*d->dec)->SetOption(d->dec, DECODER_OPTION_TRACE_LEVEL, &quiet);
	SDecodingParam p;
	memset(&p, 0, sizeof p);
	// Error concealment stays at OpenH264's default; threads stay at 0 (single-threaded):
	// DECODER_OPTION_NUM_OF_THREADS returns corrupt pictures in 2.3.1.
	p.eEcActiveIdc = ERROR_CON_SLICE_MV_COPY_CROSS_IDR_FREEZE_RES_CHANGE;
	p.sVideoProperty.size = sizeof p.sVideoProperty;
	p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
	if ((*d->dec)->Initialize(d->dec, &p) != 0) { WelsDestroyDecoder(d->dec); free(d); return NULL; }
	return d;
}

static void ohdec_free(ohdec* d) {
	(*d->dec)->Uninitialize(d->dec);
	WelsDestroyDecoder(d->dec);
	free(d->in);
	free(d);
}

// ohdec_reserve makes room for n input bytes; 0 when out of memory.
static int ohdec_reserve(ohdec* d, size_t n) {
	if (n <= d->in_cap) return 1;
	unsigned char* in = realloc(d->in, n);
	if (in == NULL) return 0;
	d->in = in;
	d->in_cap = n;
	return 1;
}

static int ohdec_decode(ohdec* d, int n, unsigned long long ts) {
	memset(&d->info, 0, sizeof d->info);
	d->dst[0] = d->dst[1] = d->dst[2] = NULL;
	d->info.uiInBsTimeStamp = ts;
	return (*d->dec)->DecodeFrameNoDelay(d->dec, n > 0 ? d->in : NULL, n, d->dst, &d->info);
}

static int ohdec_flush(ohdec* d) {
	memset(&d->info, 0, sizeof d->info);
	d->dst[0] = d->dst[1] = d->dst[2] = NULL;
	return (*d->dec)->FlushFrame(d->dec, d->dst, &d->info);
}

static void ohdec_end_of_stream(ohdec* d) {
	int end = 1;
	(*d->dec)->SetOption(d->dec, DECODER_OPTION_END_OF_STREAM, &end);
}

static int ohdec_remaining(ohdec* d) {
	int n = 0;
	(*d->dec)->GetOption(d->dec, DECODER_OPTION_NUM_OF_FRAMES_REMAINING_IN_BUFFER, &n);
	return n;
}

static int ohdec_ready(ohdec* d) { return d->info.iBufferStatus == 1; }
static int ohdec_width(ohdec* d) { return d->info.UsrData.sSystemBuffer.iWidth; }
static int ohdec_height(ohdec* d) { return d->info.UsrData.sSystemBuffer.iHeight; }
static int ohdec_stride(ohdec* d, int i) { return d->info.UsrData.sSystemBuffer.iStride[i]; }
static unsigned long long ohdec_out_ts(ohdec* d) { return d->info.uiOutYuvTimeStamp; }
static unsigned char* ohdec_plane(ohdec* d, int i) { return d->dst[i]; }
*/
import "C"

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// maxFlushPictures bounds the pictures Flush drains: the decoded picture buffer holds at most 16
// frames (max_dec_frame_buffering, A.3.1), so more means the decoder misbehaves.
const maxFlushPictures = 32

// stateFramePending is OpenH264's dsFramePending: the access unit was consumed but its picture
// is not complete yet, which is not an error.
const stateFramePending = 0x01

// live counts decoders created and not yet closed, so tests can show that nothing leaks.
var live atomic.Int64

// LiveDecoders is the number of decoders created and not yet closed in this process.
func LiveDecoders() int64 { return live.Load() }

// Decoder decodes one H.264 stream, single-threaded, whole access units per call. Pictures come
// out in presentation order (OpenH264 reorders by picture order count). A Decoder is safe to
// Close from another goroutine; Decode and Flush must not run at the same time.
type Decoder struct {
	mu     sync.Mutex
	c      *C.ohdec // owned; nil once closed
	sps    SPS      // the last SPS seen
	hasSPS bool
	pic    yuv.Picture // handed to emit; reused
}

// NewDecoder makes a decoder. Close it.
func NewDecoder() (*Decoder, error) {
	tuneMalloc()
	c := C.ohdec_new()
	if c == nil {
		return nil, fmt.Errorf("h264: OpenH264 decoder could not be created")
	}
	live.Add(1)
	return &Decoder{c: c}, nil
}

// Close frees the decoder. Calling it again does nothing; any other call after it returns
// ErrClosed.
func (d *Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		C.ohdec_free(d.c)
		d.c = nil
		live.Add(-1)
	}
	return nil
}

// Decode decodes one access unit in Annex B form (ISO/IEC 14496-10 Annex B) whose picture is to
// be presented at pts, and calls emit for every picture that is ready, in presentation order:
// none, or one, or (at an IDR that flushes the reorder buffer) several. Each picture carries the
// pts of its own access unit.
//
// An access unit the decoder rejects gives an error wrapping ErrInvalid; the decoder stays usable
// and may conceal the damage in later pictures. A size or profile it cannot handle gives
// ErrUnsupported. An error from emit stops decoding and is returned as is.
func (d *Decoder) Decode(accessUnit []byte, pts time.Duration, emit func(*yuv.Picture) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return ErrClosed
	}
	if len(accessUnit) > MaxAccessUnitSize {
		return fmt.Errorf("%w: access unit at %v has %d bytes, over the limit %d", ErrUnsupported, pts, len(accessUnit), MaxAccessUnitSize)
	}
	var nalus mch264.AnnexB
	if err := nalus.Unmarshal(accessUnit); err != nil {
		return fmt.Errorf("%w: access unit at %v: %v", ErrInvalid, pts, err)
	}
	for _, n := range nalus {
		if len(n) == 0 || mch264.NALUType(n[0]&0x1f) != mch264.NALUTypeSPS {
			continue
		}
		sps, err := ParseSPS(n)
		if err != nil {
			return fmt.Errorf("access unit at %v: %w", pts, err)
		}
		d.sps, d.hasSPS = sps, true
	}
	if C.ohdec_reserve(d.c, C.size_t(len(accessUnit))) == 0 {
		return fmt.Errorf("h264: out of memory for an access unit of %d bytes", len(accessUnit))
	}
	C.memcpy(unsafe.Pointer(d.c.in), unsafe.Pointer(&accessUnit[0]), C.size_t(len(accessUnit)))
	state := C.ohdec_decode(d.c, C.int(len(accessUnit)), C.ulonglong(uint64(pts)))
	if err := d.emitReady(emit); err != nil {
		return err
	}
	if state&^stateFramePending != 0 {
		return fmt.Errorf("%w: OpenH264 rejected the access unit at %v (%d bytes): state 0x%x", ErrInvalid, pts, len(accessUnit), int(state))
	}
	return nil
}

// Flush signals the end of the stream and emits the pictures still held for reordering.
func (d *Decoder) Flush(emit func(*yuv.Picture) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return ErrClosed
	}
	C.ohdec_end_of_stream(d.c)
	for range maxFlushPictures {
		if C.ohdec_remaining(d.c) <= 0 {
			return nil
		}
		C.ohdec_flush(d.c)
		if C.ohdec_ready(d.c) == 0 {
			return nil
		}
		if err := d.emitReady(emit); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: more than %d pictures left at the end of the stream", ErrInvalid, maxFlushPictures)
}

// emitReady hands the picture the last call produced, if any, to emit.
func (d *Decoder) emitReady(emit func(*yuv.Picture) error) error {
	if C.ohdec_ready(d.c) == 0 {
		return nil
	}
	w, h := int(C.ohdec_width(d.c)), int(C.ohdec_height(d.c))
	ys, cs := int(C.ohdec_stride(d.c, 0)), int(C.ohdec_stride(d.c, 1))
	y, cb, cr := C.ohdec_plane(d.c, 0), C.ohdec_plane(d.c, 1), C.ohdec_plane(d.c, 2)
	if w <= 0 || h <= 0 || w > yuv.MaxWidth || h > yuv.MaxHeight || ys < w || cs < (w+1)/2 || y == nil || cb == nil || cr == nil {
		return fmt.Errorf("%w: decoder returned a %dx%d picture with strides %d/%d", ErrInvalid, w, h, ys, cs)
	}
	p := &d.pic
	*p = yuv.Picture{Width: w, Height: h, BitDepth: 8, YStride: ys, CStride: cs, PTS: time.Duration(int64(C.ohdec_out_ts(d.c)))}
	left, top := 0, 0
	if d.hasSPS {
		p.Color = d.sps.Color
		// OpenH264 applies the SPS cropping itself; if it hands back the whole coded picture
		// instead, cut it here.
		if w == d.sps.codedWidth && h == d.sps.codedHeight && (w != d.sps.Width || h != d.sps.Height) {
			left, top = d.sps.cropLeft, d.sps.cropTop
			p.Width, p.Height = d.sps.Width, d.sps.Height
		}
	}
	cw, ch := (p.Width+1)/2, (p.Height+1)/2
	p.Y = unsafe.Slice((*byte)(unsafe.Pointer(y)), (top+h)*ys)[top*ys+left:]
	p.Y = p.Y[:(p.Height-1)*ys+p.Width]
	p.Cb = unsafe.Slice((*byte)(unsafe.Pointer(cb)), (top/2+(h+1)/2)*cs)[top/2*cs+left/2:]
	p.Cb = p.Cb[:(ch-1)*cs+cw]
	p.Cr = unsafe.Slice((*byte)(unsafe.Pointer(cr)), (top/2+(h+1)/2)*cs)[top/2*cs+left/2:]
	p.Cr = p.Cr[:(ch-1)*cs+cw]
	err := emit(p)
	*p = yuv.Picture{} // the planes are not valid after emit returns
	return err
}
