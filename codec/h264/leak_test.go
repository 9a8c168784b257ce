package h264

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// residentBytes is this process's resident set size (Linux /proc/self/statm).
func residentBytes(t *testing.T) int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm: %v", err)
	}
	fields := strings.Fields(string(data))
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// A decoder holds a few MB of C memory (reference pictures, the input copy); decoding a GOP
// and closing it many times must give it all back.
func TestDecoderDoesNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the same GOP hundreds of times")
	}
	aus := readMP4(t, filepath.Join(testdata, "media/high-bframes-320x320-30fps.mp4"))[:30]
	cycle := func() {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, au := range aus {
			if err := d.Decode(au.annexB, au.pts, discard); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Flush(discard); err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
	live := LiveDecoders()
	for range 20 {
		cycle()
	}
	runtime.GC()
	before := residentBytes(t)
	const cycles = 300
	for range cycles {
		cycle()
	}
	runtime.GC()
	grown := residentBytes(t) - before
	t.Logf("resident set grew by %d KB over %d decoders", grown>>10, cycles)
	// A 320x320 decoder allocates well over 1 MB; a leak of even a tenth of it per decoder
	// would pass this bound (30 MB) after 300 cycles.
	if grown > 30<<20 {
		t.Errorf("resident set grew by %d MB over %d decoders", grown>>20, cycles)
	}
	if LiveDecoders() != live {
		t.Errorf("%d decoders live, want %d", LiveDecoders(), live)
	}
}
