package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"
)

// Sample aspect ratio, where ffmpeg takes it from (testdata/make-fixtures.sh says how each
// file was made and what ffmpeg shows): the pasp box, else tkhd's size where it differs from
// the sample entry's, else the SPS's VUI (Table E-1 or Extended_SAR).
func TestSampleAspect(t *testing.T) {
	root := newOrigin(t, fixtures)
	tests := []struct {
		path           string
		aspect         AspectRatio
		displayW, disp int
	}{
		{"compat/anamorphic-320x240-sar4x3.mp4", AspectRatio{4, 3}, 427, 240}, // all agree
		{"compat/sar4x3-pasp1x1.mp4", AspectRatio{1, 1}, 320, 240},            // pasp over the SPS
		{"compat/sar5x4-sps-only.mp4", AspectRatio{5, 4}, 400, 240},           // Extended_SAR
		{"compat/sar-tkhd-only.mp4", AspectRatio{213, 160}, 426, 240},         // tkhd 426x240
		{"media/main-250x142-24fps.mp4", AspectRatio{}, 250, 142},             // square
		{"hls/master.m3u8", AspectRatio{}, 160, 160},                          // square
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, input := range []string{root.URL + "/" + tt.path, filepath.Join(fixtures, tt.path)} {
				src := openT(t, input, OpenOptions{})
				info := src.Info()
				src.Close()
				if info.SampleAspect.String() != tt.aspect.String() {
					t.Errorf("%s: sample aspect %v, want %v", input, info.SampleAspect, tt.aspect)
				}
				if w, h := info.SampleAspect.DisplaySize(info.Width, info.Height); w != tt.displayW || h != tt.disp {
					t.Errorf("%s: shown at %dx%d, want %dx%d", input, w, h, tt.displayW, tt.disp)
				}
			}
			if strings.HasSuffix(tt.path, ".m3u8") {
				return
			}
			p, err := Probe(t.Context(), filepath.Join(fixtures, tt.path), OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if p.SampleAspectRatio != tt.aspect.String() || p.DisplayWidth != tt.displayW || p.DisplayHeight != tt.disp {
				t.Errorf("probe: %s, %dx%d; want %v, %dx%d", p.SampleAspectRatio, p.DisplayWidth, p.DisplayHeight, tt.aspect, tt.displayW, tt.disp)
			}
		})
	}
}

// QuickTime user data lists ending in the 32-bit zero, in a .mov and in an .mp4 (the movie's
// and each track's): read like any other file, every sample.
func TestZeroTerminatedUserData(t *testing.T) {
	root := newOrigin(t, fixtures)
	for _, name := range []string{"compat/udta-terminated.mov", "compat/udta-terminated.mp4"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(fixtures, name))
			if err != nil {
				t.Fatal(err)
			}
			// The fixture holds what it should: udta boxes whose last four bytes are zero.
			if n := strings.Count(string(raw), "udta"); n < 2 {
				t.Fatalf("%d udta boxes in the fixture, want the movie's and the track's", n)
			}
			n, err := openAndRead(root.URL+"/"+name, OpenOptions{})
			if err != nil || n != 30 {
				t.Errorf("%d samples, %v; want the 30 of its second", n, err)
			}
			// mp4ff alone refuses it: the renaming is what reads it.
			hdr, payload := moovBox(t, raw)
			if _, err := decodeBoxBody(hdr, 0, payload); err == nil || !strings.Contains(err.Error(), "Size 0") {
				t.Errorf("mp4ff alone: %v; want its size 0 refusal (else the fixture does not test the terminator)", err)
			}
			hideUserData(payload)
			if _, err := decodeBoxBody(hdr, 0, payload); err != nil {
				t.Errorf("after hiding the user data: %v", err)
			}
		})
	}
}

// Sources cut inside themselves but served whole (the origin sends every byte it announces):
// read up to the cut, Truncated saying why; over HTTP and from files; progressive MP4 with the
// sample table in front, fragmented MP4, an HLS playlist whose byte ranges run past its file.
func TestTruncatedInsideReadToTheCut(t *testing.T) {
	root := newOrigin(t, fixtures)
	for _, tt := range []struct {
		path  string
		whole int // samples of the whole source
	}{
		{"compat/truncated-inside.mp4", 30},
		{"compat/truncated-inside-fragmented.mp4", 30},
		{"broken/truncated.mp4", 90},
		{"broken/truncated-segment.m3u8", 120},
	} {
		for _, input := range []string{root.URL + "/" + tt.path, filepath.Join(fixtures, tt.path)} {
			src := openT(t, input, OpenOptions{})
			n := 0
			var err error
			for err == nil {
				if _, err = src.Next(t.Context()); err == nil {
					n++
				}
			}
			trunc := src.Truncated()
			src.Close()
			if err != io.EOF || !errors.Is(trunc, ErrTruncated) || !errors.Is(trunc, ErrInvalid) {
				t.Errorf("%s: ended with %v, truncated %v; want io.EOF and ErrTruncated", input, err, trunc)
			}
			if n == 0 || n >= tt.whole {
				t.Errorf("%s: %d samples, want some and fewer than %d", input, n, tt.whole)
			}
			t.Logf("%s: %d of %d samples: %v", input, n, tt.whole, trunc)
		}
	}
	// A whole source is not truncated.
	src := openT(t, filepath.Join(fixtures, "media/main-250x142-24fps.mp4"), OpenOptions{})
	defer src.Close()
	readAll(t, src)
	if err := src.Truncated(); err != nil {
		t.Errorf("a whole source: Truncated %v", err)
	}
}

// A transfer cut short (fewer bytes than Content-Length, then the connection closed) is not a
// truncated source: it fails as an origin error.
func TestTransferCutShortIsOriginError(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "compat/udta-terminated.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:len(data)*6/10])
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, err = openAndRead(fmt.Sprintf("http://%s/cut.mp4", l.Addr()), OpenOptions{})
	if !errors.Is(err, ErrOrigin) || errors.Is(err, ErrTruncated) {
		t.Errorf("error %v, want ErrOrigin and not ErrTruncated", err)
	}
}

// moovBox finds the movie box among raw's top-level boxes: its header and a copy of its body.
func moovBox(t *testing.T, raw []byte) (mp4.BoxHeader, []byte) {
	t.Helper()
	for off := 0; off+8 <= len(raw); {
		size := int(binary.BigEndian.Uint32(raw[off:]))
		if size < 8 || off+size > len(raw) {
			break
		}
		if string(raw[off+4:off+8]) == "moov" {
			return mp4.BoxHeader{Name: "moov", Size: uint64(size), Hdrlen: 8}, bytes.Clone(raw[off+8 : off+size])
		}
		off += size
	}
	t.Fatal("no moov")
	return mp4.BoxHeader{}, nil
}

// The SPS's aspect_ratio_idc (ISO/IEC 14496-10 Table E-1): the fixtures hold 1, 14 and 255;
// these are the rest of the cases that matter (0: the SPS gives none).
func TestVUIAspectRatio(t *testing.T) {
	for _, tt := range []struct {
		idc                 int
		sarWidth, sarHeight int64
		want                string
	}{
		{0, 0, 0, "1:1"}, // none, or unspecified
		{2, 0, 0, "12:11"},
		{13, 0, 0, "160:99"},
		{16, 0, 0, "2:1"},
		{17, 0, 0, "1:1"}, // reserved
		{255, 64, 45, "64:45"},
		{255, 10, 8, "5:4"},
		{255, 4, 0, "1:1"},
	} {
		if got := vuiAspectRatio(tt.idc, tt.sarWidth, tt.sarHeight).String(); got != tt.want {
			t.Errorf("idc %d, %d:%d: %s, want %s", tt.idc, tt.sarWidth, tt.sarHeight, got, tt.want)
		}
	}
}
