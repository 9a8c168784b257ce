package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

const streamFile = "high-bframes-320x320-30fps-moov-end.mp4"

// openStream opens the fixture over an origin that serves ranges or ignores them.
func openStream(t *testing.T, ranges bool, opts Options) (*Stream, *Fetcher, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(media, streamFile))
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(media))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ranges {
			files.ServeHTTP(w, r)
			return
		}
		w.Write(data) // no Accept-Ranges, the Range header ignored
	}))
	t.Cleanup(srv.Close)
	loc, err := ParseInput(srv.URL + "/" + streamFile)
	if err != nil {
		t.Fatal(err)
	}
	f := New(opts)
	s, err := f.Open(context.Background(), loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, f, data
}

// An origin that serves ranges: bytes skipped for later are not read, and reading them (or
// anything behind) is a new request from there.
func TestStreamWithRanges(t *testing.T) {
	s, f, data := openStream(t, true, Options{})
	head := make([]byte, 100)
	if _, err := io.ReadFull(s, head); err != nil || !bytes.Equal(head, data[:100]) || s.Offset() != 100 {
		t.Fatalf("first 100 bytes: %v, offset %d", err, s.Offset())
	}
	const later = 150_000
	if err := s.SkipForLater(later); err != nil || s.Offset() != later {
		t.Fatalf("SkipForLater: %v, offset %d", err, s.Offset())
	}
	if st := f.Stats(); st.Requests != 2 {
		t.Errorf("%d requests after SkipForLater, want 2 (the first, one from byte %d)", st.Requests, later)
	}
	got, err := s.ReadAt(1000, 500)
	if err != nil || !bytes.Equal(got, data[1000:1500]) || s.Offset() != 1500 {
		t.Fatalf("ReadAt(1000, 500): %v, offset %d", err, s.Offset())
	}
	if st := f.Stats(); st.Requests != 3 {
		t.Errorf("%d requests after reading behind, want 3", st.Requests)
	}
	if err := s.SkipTo(2000); err != nil || s.Offset() != 2000 {
		t.Fatalf("SkipTo(2000): %v, offset %d", err, s.Offset())
	}
	if st := f.Stats(); st.Requests != 3 {
		t.Errorf("%d requests after a short skip ahead, want 3 (read through)", st.Requests)
	}
	_, err = s.ReadAt(int64(len(data))-10, 20)
	if !errors.Is(err, sourceerr.ErrTruncated) || !errors.Is(err, sourceerr.ErrInvalid) {
		t.Errorf("reading past the end: %v, want ErrTruncated and ErrInvalid", err)
	}
}

// An origin that ignores ranges: bytes skipped for later are held in memory (within the byte
// limit) and read from there; anything else behind the read position cannot be reached.
func TestStreamWithoutRanges(t *testing.T) {
	s, f, data := openStream(t, false, Options{})
	const start, later = 100, 150_000
	if err := s.SkipTo(start); err != nil {
		t.Fatal(err)
	}
	if err := s.SkipForLater(later); err != nil || s.Offset() != later {
		t.Fatalf("SkipForLater: %v, offset %d", err, s.Offset())
	}
	got, err := s.ReadAt(1000, 500)
	if err != nil || !bytes.Equal(got, data[1000:1500]) || s.Offset() != later {
		t.Fatalf("ReadAt(1000, 500) from held bytes: %v, offset %d (want %d: unmoved)", err, s.Offset(), later)
	}
	if st := f.Stats(); st.Requests != 1 {
		t.Errorf("%d requests, want 1", st.Requests)
	}
	_, err = s.ReadAt(10, 20) // before what was held
	if !errors.Is(err, sourceerr.ErrUnsupported) || !strings.Contains(err.Error(), "serves no ranges") {
		t.Errorf("reading behind without ranges: %v, want ErrUnsupported", err)
	}

	small, _, _ := openStream(t, false, Options{MaxBytes: 100_000})
	err = small.SkipForLater(later)
	if !errors.Is(err, sourceerr.ErrOrigin) || !strings.Contains(err.Error(), "over the limit of 100000") {
		t.Errorf("holding more than the byte limit: %v, want ErrOrigin", err)
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tt := range []struct {
		header string
		start  int64
		ok     bool
	}{
		{"bytes 0-99/1000", 0, true},
		{"bytes 500-999/*", 500, true},
		{"bytes 500-999/x", 0, false},
		{"bytes -5-10/100", 0, false},
		{"bytes 5/100", 0, false},
		{"bytes 5-10", 0, false},
		{"items 0-1/2", 0, false},
		{"", 0, false},
	} {
		if start, ok := parseContentRange(tt.header); start != tt.start || ok != tt.ok {
			t.Errorf("%q: %d, %v; want %d, %v", tt.header, start, ok, tt.start, tt.ok)
		}
	}
}
