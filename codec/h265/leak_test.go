package h265_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/h265"
)

// A decoder holds a few MB of C memory (its picture buffers, parameter sets, the input copy);
// decoding a stream and closing the decoder many times must give it all back, pictures and all.
func TestDecoderDoesNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the same stream hundreds of times")
	}
	samples := readSamples(t, "hevc/main10-250x142-24fps.mp4")
	cycle := func() {
		d, err := h265.NewDecoder(1)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			if err := d.Decode(s.AnnexB, s.PTS, discard); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Flush(discard); err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
	rss := func() int64 {
		data, err := os.ReadFile("/proc/self/statm")
		if err != nil {
			t.Skipf("no /proc/self/statm: %v", err)
		}
		pages, _ := strconv.ParseInt(strings.Fields(string(data))[1], 10, 64)
		return pages * int64(os.Getpagesize())
	}
	live := h265.LiveDecoders()
	for range 20 {
		cycle()
	}
	runtime.GC()
	before := rss()
	const cycles = 300
	for range cycles {
		cycle()
	}
	runtime.GC()
	grown := rss() - before
	t.Logf("resident set grew by %d KB over %d decoders", grown>>10, cycles)
	// A 250x142 Main 10 decoder allocates over 1 MB of pictures; a leak of a tenth of that per
	// decoder would pass this bound (30 MB) after 300 cycles.
	if grown > 30<<20 {
		t.Errorf("resident set grew by %d MB over %d decoders", grown>>20, cycles)
	}
	if h265.LiveDecoders() != live {
		t.Errorf("%d decoders live, want %d", h265.LiveDecoders(), live)
	}
}
