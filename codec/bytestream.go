package codec

import "io"

// byteStream is what a demuxer may ask of the bytes it reads (a fetch.Stream is one): to read
// on, to know where it is, to read a stretch elsewhere, and to move on, either for good or over
// bytes it will come back to. How a stretch behind or far ahead is reached (a range request,
// bytes held in memory) is the stream's business.
type byteStream interface {
	io.Reader
	// Offset is where the next Read reads.
	Offset() int64
	// ReadAt reads n bytes at off, moving the read position past them. The slice is the
	// caller's, except for bytes passed with SkipForLater, which the stream keeps and may hand
	// out again. An early end wraps ErrTruncated.
	ReadAt(off int64, n int) ([]byte, error)
	// SkipTo moves the read position to off.
	SkipTo(off int64) error
	// SkipForLater moves the read position forward to off over bytes ReadAt will ask for.
	SkipForLater(off int64) error
	// Name is the resource as messages show it.
	Name() string
}
