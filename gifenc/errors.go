package gifenc

import "errors"

// Errors returned (wrapped with the offending values) for bad input.
var (
	// ErrSize: the GIF's width or height is not in 1..65535 (GIF89a section 18).
	ErrSize = errors.New("gifenc: invalid image size")
	// ErrColors: the colour count is outside 2..256 (GIF89a section 19).
	ErrColors = errors.New("gifenc: invalid colour count")
	// ErrOption: another option is out of range.
	ErrOption = errors.New("gifenc: invalid option")
	// ErrFrame: a frame's pixel data does not match the GIF's size or format.
	ErrFrame = errors.New("gifenc: invalid frame")
	// ErrTimestamp: a frame's timestamp is negative or earlier than the previous one.
	ErrTimestamp = errors.New("gifenc: timestamp goes backwards")
	// ErrClosed: the writer was used after Close.
	ErrClosed = errors.New("gifenc: writer is closed")
)

// ErrNoFrames: Close was called before any frame was written.
var ErrNoFrames = errors.New("gifenc: no frames written")
