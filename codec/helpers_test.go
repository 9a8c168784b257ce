package codec

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

// fixtures is the repository's testdata directory.
const fixtures = "../testdata"

// frameExpectation is what FFmpeg's framemd5 says of a fixture: the presentation times of its
// frames in the stream's time base.
type frameExpectation struct {
	timebase int // frames' time base denominator (1/timebase s)
	pts      []int64
}

func readFramemd5(t *testing.T, name string) frameExpectation {
	t.Helper()
	f, err := framemd5.Read(filepath.Join(fixtures, "expected", name+".framemd5"))
	if err != nil || f.TimebaseNum != 1 {
		t.Fatalf("%s: %v, time base %d/%d", name, err, f.TimebaseNum, f.TimebaseDen)
	}
	e := frameExpectation{timebase: int(f.TimebaseDen)}
	for _, fr := range f.Frames {
		e.pts = append(e.pts, fr.Ticks)
	}
	return e
}

// readAll reads every sample of a source.
func readAll(t *testing.T, src Source) []Sample {
	t.Helper()
	var out []Sample
	for {
		s, err := src.Next(context.Background())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("after %d samples: %v", len(out), err)
		}
		out = append(out, s)
		if len(out) > 100000 {
			t.Fatal("endless source")
		}
	}
}

// presentationTicks is the samples' PTS in the time base, sorted: the presentation order.
func presentationTicks(samples []Sample, timebase int) []int64 {
	var pts []int64
	for _, s := range samples {
		pts = append(pts, int64(math.Round(s.PTS.Seconds()*float64(timebase))))
	}
	slices.Sort(pts)
	return pts
}

// origin is a test HTTP server over a directory that counts requests by path and can be told
// to ignore Range headers.
type origin struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int
	ranges   map[string]int // requests with a Range header
	noRanges bool
}

func newOrigin(t *testing.T, dir string) *origin {
	o := &origin{requests: map[string]int{}, ranges: map[string]int{}}
	files := http.FileServer(http.Dir(dir))
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.requests[r.URL.Path]++
		if r.Header.Get("Range") != "" {
			o.ranges[r.URL.Path]++
		}
		noRanges := o.noRanges
		o.mu.Unlock()
		if noRanges {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.URL.Path)))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) count(path string) (requests, ranges int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests[path], o.ranges[path]
}

func (o *origin) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.requests {
		n += c
	}
	return n
}

func openT(t *testing.T, input string, opts OpenOptions) Source {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src, err := Open(ctx, input, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", input, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func isClass(err error, class error) bool { return errors.Is(err, class) }
