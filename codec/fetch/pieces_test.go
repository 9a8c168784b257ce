package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// media is the repository's directory of progressive MP4 fixtures.
var media = filepath.Join("..", "..", "testdata", "media")

// TestPieceReader reads adjacent, overlapping and gapped ranges of one file in one request,
// and ranges of another resource in a second one; the bytes are those of the ranges.
func TestPieceReader(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(media)))
	defer srv.Close()
	const name = "baseline-160x160-60fps.mp4"
	data, err := os.ReadFile(filepath.Join(media, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{srv.URL + "/" + name, filepath.Join(media, name)} {
		loc, err := ParseInput(input)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := ParseInput(filepath.Join(media, "vfr-160x160.mp4"))
		ranges := []struct{ off, n int64 }{{0, 1000}, {1000, 500}, {1200, 600}, {1900, 100}, {1950, 10}, {68000, 20}}
		var pieces []Piece
		var want []byte
		for _, r := range ranges {
			pieces = append(pieces, Piece{URL: loc, Offset: r.off, Length: r.n})
			want = append(want, data[r.off:r.off+r.n]...)
		}
		pieces = append(pieces, Piece{URL: other, Length: -1})
		otherData, _ := os.ReadFile(filepath.Join(media, "vfr-160x160.mp4"))
		want = append(want, otherData...)

		spans, overlap := planSpans(pieces)
		if len(spans) != 3 || overlap != 300 {
			t.Errorf("%d spans (want 3: ranges up to 2000, the one at 68000 (past the gap limit), the other file), overlap %d (want 300)", len(spans), overlap)
		}
		f := New(Options{})
		s := f.OpenPieces(context.Background(), pieces)
		got, err := io.ReadAll(s)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes read, want %d; equal prefix %d", input, len(got), len(want), commonPrefix(got, want))
		}
		// Bytes 0 to 2000 and 68000 to 68020 of the first file, and the whole other one: the
		// overlaps are given again from memory, not fetched again.
		if st, wantBytes := f.Stats(), int64(2000+20+len(otherData)); st.Requests != 3 || st.Bytes != wantBytes {
			t.Errorf("%s: %d requests, %d bytes; want 3 requests, %d bytes", input, st.Requests, st.Bytes, wantBytes)
		}
		if u := s.URL(); u == nil || u.Path != loc.Path {
			t.Errorf("%s: stream URL %v, want the first piece's", input, u)
		}
	}
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
