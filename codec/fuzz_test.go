package codec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/grafov/m3u8"
)

// memoryStream is a byteStream over bytes in memory, as the fuzz targets feed the demuxers:
// the whole resource is at hand, so every offset in it is reachable, and one past its end is
// a truncation, as a fetch.Stream reports it.
type memoryStream struct {
	data []byte
	pos  int64
}

func newMemoryStream(data []byte) *memoryStream { return &memoryStream{data: data} }

func (m *memoryStream) Read(p []byte) (int, error) {
	if m.pos >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[m.pos:])
	m.pos += int64(n)
	return n, nil
}

func (m *memoryStream) Offset() int64 { return m.pos }

func (m *memoryStream) ReadAt(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > int64(len(m.data))-int64(n) {
		return nil, fmt.Errorf("%w: %w: fuzz ends before byte %d", ErrInvalid, ErrTruncated, off+int64(n))
	}
	m.pos = off + int64(n)
	return bytes.Clone(m.data[off:m.pos]), nil
}

func (m *memoryStream) SkipTo(off int64) error {
	if off < 0 || off > int64(len(m.data)) {
		return fmt.Errorf("%w: %w: fuzz ends before byte %d", ErrInvalid, ErrTruncated, off)
	}
	m.pos = off
	return nil
}

func (m *memoryStream) SkipForLater(off int64) error { return m.SkipTo(off) }

func (m *memoryStream) Name() string { return "fuzz" }

// FuzzPlaylist: any playlist decodes, lists its variants or pieces, and chooses, without a
// panic; the pieces it names are bounded.
func FuzzPlaylist(f *testing.F) {
	for _, file := range []string{
		fixtures + "/hls/master.m3u8", fixtures + "/hls/video_sdr_160x160.m3u8",
		fixtures + "/hls/video_ts_200x200.m3u8", fixtures + "/broken/master-of-master.m3u8",
		fixtures + "/hevc/master-largest-hevc.m3u8",
	} {
		f.Add(mustRead(f, file))
	}
	base := &url.URL{Scheme: "https", Host: "origin.example", Path: "/v/fuzz"}
	f.Fuzz(func(t *testing.T, data []byte) {
		pl, lt, err := readPlaylist(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		switch lt {
		case m3u8.MASTER:
			vs := masterVariants(pl.(*m3u8.MasterPlaylist))
			if i, _, err := ChooseVariant(vs, 80); err == nil && (i < 0 || i >= len(vs)) {
				t.Fatalf("ChooseVariant = %d of %d", i, len(vs))
			}
		case m3u8.MEDIA:
			pieces, _, err := mediaPieces(pl.(*m3u8.MediaPlaylist), base, 30*time.Second)
			if err != nil {
				return
			}
			if len(pieces) > 2*MaxSegments {
				t.Fatalf("%d pieces", len(pieces))
			}
			for _, p := range pieces {
				if p.URL == nil || p.Offset < 0 || p.Length < -1 || (p.Length < 0 && p.Offset != 0) || (p.Length >= 0 && p.End() < p.Offset) {
					t.Fatalf("piece %+v", p)
				}
			}
		}
	})
}

// FuzzMP4: any bytes given as an MP4 either fail with one of the error classes or give
// samples; never a panic or an endless loop.
func FuzzMP4(f *testing.F) {
	for _, file := range []string{
		fixtures + "/media/high-bframes-128x128-30fps.mp4",
		fixtures + "/broken/too-wide-4112x32.mp4",
		fixtures + "/broken/audio-only.mp4",
		fixtures + "/hevc/main10-pq-160x160-30fps.mp4", // hvc1, hvcC, 10 bits, VUI colour
		fixtures + "/broken/hevc-422-64x64.mp4",
	} {
		f.Add(mustRead(f, file))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := openMP4(newMemoryStream(data), "mp4")
		if err != nil {
			checkClass(t, err)
			return
		}
		drainSamples(t, d)
	})
}

// FuzzMPEGTS: the same for MPEG-TS.
func FuzzMPEGTS(f *testing.F) {
	f.Add(mustRead(f, fixtures+"/hls/video_ts_200x200_0.ts")[:20*tsPacketSize])
	f.Add(mustRead(f, fixtures+"/hevc/main-160x160-30fps.ts")[:40*tsPacketSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := openTS(newMemoryStream(data), "mpegts")
		if err != nil {
			checkClass(t, err)
			return
		}
		drainSamples(t, d)
	})
}

// drainSamples reads a fuzzed source to its end: every error must carry one of the codec's
// classes, and a small input cannot hold 10,000 samples.
func drainSamples(t *testing.T, src demuxer) {
	for range 10_000 {
		if _, err := src.Next(context.Background()); err != nil {
			if err != io.EOF {
				checkClass(t, err)
			}
			return
		}
	}
	t.Fatal("more than 10000 samples from a small input")
}

func checkClass(t *testing.T, err error) {
	t.Helper()
	for _, class := range []error{ErrUnsupported, ErrInvalid, ErrOrigin, ErrTimeout} {
		if isClass(err, class) {
			return
		}
	}
	t.Fatalf("error without a class: %v", err)
}

func mustRead(f *testing.F, file string) []byte {
	data, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	return data
}
