package codec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// kind is what a resource holds, judged from its first bytes, never from its name or
// Content-Type (origins label HLS as text/plain and MP4 as application/octet-stream).
type kind int

const (
	kindUnknown kind = iota
	kindMP4          // ISO/IEC 14496-12 boxes
	kindHLS          // RFC 8216 playlist
	kindTS           // ISO/IEC 13818-1 transport stream
)

func (k kind) String() string {
	switch k {
	case kindMP4:
		return "mp4"
	case kindHLS:
		return "hls"
	case kindTS:
		return "mpegts"
	}
	return "unknown"
}

// sniffSize is how many bytes sniffing looks at: three TS packets.
const sniffSize = 3 * tsPacketSize

const tsPacketSize = 188

// leadingBoxes are the top-level box types a video file may start with (ISO/IEC 14496-12
// section 4.2 and Annex; 'styp' and 'sidx' start segments, section 8.16).
var leadingBoxes = map[string]bool{
	"ftyp": true, "styp": true, "moov": true, "moof": true, "sidx": true,
	"mdat": true, "free": true, "skip": true, "wide": true, "pdin": true, "uuid": true,
}

// peeker shows the next bytes of a stream without consuming them (a fetch.Stream does).
type peeker interface {
	Peek(n int) ([]byte, error)
}

// sniff looks at the start of r without consuming it.
func sniff(r peeker) (kind, error) {
	head, err := r.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return kindUnknown, err
	}
	if len(head) == 0 {
		return kindUnknown, fmt.Errorf("%w: not a video: empty", ErrUnsupported)
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(text, []byte("#EXTM3U")) {
		return kindHLS, nil
	}
	if len(head) >= 8 && leadingBoxes[string(head[4:8])] {
		return kindMP4, nil
	}
	if head[0] == 0x47 && (len(head) < 2*tsPacketSize || head[tsPacketSize] == 0x47) &&
		(len(head) < 3*tsPacketSize || head[2*tsPacketSize] == 0x47) && len(head) >= tsPacketSize {
		return kindTS, nil
	}
	if format := unreadFormat(head); format != "" {
		return kindUnknown, fmt.Errorf("%w: %s is not supported (MP4, MPEG-TS and HLS are)", ErrUnsupported, format)
	}
	return kindUnknown, fmt.Errorf("%w: not a video: starts with %s", ErrUnsupported, describeHead(head))
}

// Signatures of video formats this package does not read, so that refusing them says what
// they are: Matroska's EBML header (RFC 9559 section 4; WebM is Matroska with the DocType
// "webm"), and IVF's "DKIF" file header (the bare container of libvpx's and libaom's tools for
// VP8, VP9 and AV1, the codec's fourcc at byte 8).
var (
	ebmlMagic  = []byte{0x1a, 0x45, 0xdf, 0xa3}
	ebmlDocTyp = []byte{0x42, 0x82} // DocType element ID
	ivfMagic   = []byte("DKIF")
)

// unreadFormat names the video format head starts with when it is one this package knows but
// does not read; "" otherwise.
func unreadFormat(head []byte) string {
	switch {
	case bytes.HasPrefix(head, ebmlMagic):
		// The DocType is a short string in the EBML header: its size is a one-byte VINT.
		if i := bytes.Index(head[:min(len(head), 64)], ebmlDocTyp); i >= 0 && i+3 < len(head) && head[i+2]&0x80 != 0 {
			if doc := head[i+3 : min(len(head), i+3+int(head[i+2]&0x7f))]; string(doc) == "webm" {
				return "WebM (a Matroska container)"
			}
		}
		return "Matroska"
	case bytes.HasPrefix(head, ivfMagic) && len(head) >= 12:
		return fmt.Sprintf("IVF (%s)", bytes.TrimRight(head[8:12], " \x00"))
	}
	if codec := annexBCodec(head); codec != "" {
		return "a raw " + codec + " stream (Annex B start codes, no container: no frame times)"
	}
	return ""
}

// annexBCodec tells whether head starts like an Annex B elementary stream (ISO/IEC 14496-10
// Annex B, ITU-T H.265 Annex B): a start code, then the header of a NAL unit that begins a
// stream, an access unit delimiter or a parameter set. It names the codec, or "".
func annexBCodec(head []byte) string {
	nal, ok := bytes.CutPrefix(head, []byte{0, 0, 0, 1})
	if !ok {
		nal, ok = bytes.CutPrefix(head, []byte{0, 0, 1})
	}
	if !ok || len(nal) < 2 || nal[0]&0x80 != 0 {
		return ""
	}
	// H.265's two-byte header: type in bits 1..6, then nuh_temporal_id_plus1 (never 0) last.
	if typ := nal[0] >> 1 & 0x3f; nal[0]&0x01 == 0 && nal[1]&0x07 != 0 && typ >= 32 && typ <= 35 {
		return "H.265"
	}
	// H.264: types 7 (SPS), 8 (PPS) or 9 (access unit delimiter), 6 (SEI) first.
	if typ := nal[0] & 0x1f; typ >= 6 && typ <= 9 {
		return "H.264"
	}
	return ""
}

// describeHead names what a non-video starts with, for the error message.
func describeHead(head []byte) string {
	t := bytes.ToLower(bytes.TrimSpace(head))
	switch {
	case bytes.HasPrefix(t, []byte("<!doctype html")) || bytes.HasPrefix(t, []byte("<html")):
		return "HTML"
	case bytes.HasPrefix(t, []byte("<")):
		return "markup (XML or HTML)"
	case bytes.HasPrefix(t, []byte("{")) || bytes.HasPrefix(t, []byte("[")):
		return "JSON"
	}
	n := min(len(head), 8)
	return fmt.Sprintf("bytes % x", head[:n])
}
