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

// sniff looks at the start of r without consuming it.
func sniff(r *bufio.Reader) (kind, error) {
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
	return kindUnknown, fmt.Errorf("%w: not a video: starts with %s", ErrUnsupported, describeHead(head))
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
