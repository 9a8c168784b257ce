package codec

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestPieceReader reads adjacent, overlapping and gapped ranges of one file in one request,
// and ranges of another resource in a second one; the bytes are those of the ranges.
func TestPieceReader(t *testing.T) {
	o := newOrigin(t, filepath.Join(fixtures, "media"))
	const name = "baseline-160x160-60fps.mp4"
	data, err := os.ReadFile(filepath.Join(fixtures, "media", name))
	if err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{o.URL + "/" + name, filepath.Join(fixtures, "media", name)} {
		loc, err := parseInput(input)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := parseInput(filepath.Join(fixtures, "media", "vfr-160x160.mp4"))
		ranges := []struct{ off, n int64 }{{0, 1000}, {1000, 500}, {1200, 600}, {1900, 100}, {1950, 10}, {68000, 20}}
		var pieces []piece
		var want []byte
		for _, r := range ranges {
			pieces = append(pieces, piece{loc: loc, off: r.off, n: r.n})
			want = append(want, data[r.off:r.off+r.n]...)
		}
		pieces = append(pieces, piece{loc: other, n: -1})
		otherData, _ := os.ReadFile(filepath.Join(fixtures, "media", "vfr-160x160.mp4"))
		want = append(want, otherData...)

		spans, overlap := planSpans(pieces)
		if len(spans) != 3 || overlap != 300 {
			t.Errorf("%d spans (want 3: ranges up to 2000, the one at 68000 (past the gap limit), the other file), overlap %d (want 300)", len(spans), overlap)
		}
		f := newFetcher(FetchOptions{})
		pr := newPieceReader(context.Background(), f, pieces)
		got, err := io.ReadAll(pr)
		pr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes read, want %d; equal prefix %d", input, len(got), len(want), commonPrefix(got, want))
		}
		if n := f.requests.Load(); n != 3 {
			t.Errorf("%s: %d requests, want 3", input, n)
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
