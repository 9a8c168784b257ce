package fetch

import (
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// openFile opens a local file at byte off, for n bytes (n < 0: to the end). Files always serve
// ranges: a seek.
func (f *Fetcher) openFile(loc *url.URL, off, n int64) (*body, error) {
	name := DisplayName(loc)
	file, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", sourceerr.ErrOrigin, err)
	}
	b := &body{f: f, rc: file, loc: loc, name: name, remaining: n, ranges: true}
	size := int64(-1)
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	} else if err == nil && st.IsDir() {
		file.Close()
		return nil, fmt.Errorf("%w: %s is a directory", sourceerr.ErrUnsupported, name)
	}
	if off > 0 {
		if size >= 0 && off >= size {
			file.Close()
			return nil, fmt.Errorf("%w: %w: %s: bytes from %d are past the end", sourceerr.ErrInvalid, sourceerr.ErrTruncated, name, off)
		}
		if _, err := file.Seek(off, io.SeekStart); err != nil {
			file.Close()
			return nil, fmt.Errorf("%w: %s: %v", sourceerr.ErrOrigin, name, err)
		}
	}
	return b, nil
}
