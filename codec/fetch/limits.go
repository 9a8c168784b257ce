package fetch

// Limits on what fetching one source may do.
const (
	// MaxRedirects bounds the HTTP redirects followed for one request.
	MaxRedirects = 5

	// maxSkip is how far ahead in a response we read and drop bytes to reach the next wanted
	// offset (audio interleaved with video, free boxes) before a new range request is cheaper.
	maxSkip = 1 << 20
)
