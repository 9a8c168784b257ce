// Package sourceerr declares the error classes of a source that cannot be converted. They live
// below codec and codec/fetch, which both return them; codec re-exports them (codec.ErrInvalid,
// …), and callers use those names. The meaning of each class is documented there.
package sourceerr

import "errors"

var (
	ErrUnsupported = errors.New("unsupported source")
	ErrInvalid     = errors.New("invalid source")
	ErrTruncated   = errors.New("source truncated")
	ErrOrigin      = errors.New("origin error")
	ErrTimeout     = errors.New("origin timeout")
	ErrForbidden   = errors.New("source not allowed")
)
