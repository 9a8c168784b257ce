package codec

import "github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"

// Error classes. Every error the codec package returns for a bad source wraps exactly one of
// these, so that callers can answer with errors.Is (the service maps them to 415, 502 and 504)
// while the message says what failed and with what input. They are declared in
// codec/internal/sourceerr so that codec/fetch returns the same values.
var (
	// ErrUnsupported: the source is not something we can convert: not a video (HTML, JSON,
	// empty), no H.264 or H.265 track (audio only, Dolby Vision only), a format the decoders do
	// not handle (H.265 4:2:2), dimensions over the limits, a master that points to a master.
	ErrUnsupported = sourceerr.ErrUnsupported
	// ErrInvalid: the source claims to be a video we support but is broken: truncated, corrupt
	// boxes, a bitstream the decoder rejects.
	ErrInvalid = sourceerr.ErrInvalid
	// ErrTruncated: the source ends inside itself: its container names bytes past its end,
	// though every byte the origin announced arrived (a transfer cut short is ErrOrigin or
	// ErrTimeout instead). It also wraps ErrInvalid. After the first sample, Open's source
	// ends there instead of failing: see Truncated.
	ErrTruncated = sourceerr.ErrTruncated
	// ErrOrigin: the origin failed: an HTTP status other than success, a connection reset, a
	// redirect or playlist entry the host check refused, more bytes than the limit.
	ErrOrigin = sourceerr.ErrOrigin
	// ErrTimeout: the origin did not answer, or did not send, within the timeout.
	ErrTimeout = sourceerr.ErrTimeout
	// ErrForbidden: the host check refused a URL (first URL, redirect or playlist entry).
	// It also wraps ErrOrigin.
	ErrForbidden = sourceerr.ErrForbidden
)
