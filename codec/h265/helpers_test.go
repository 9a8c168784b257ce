package h265_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

const testdata = "../../testdata"

// readSamples demuxes a fixture with the codec package, as the service does: Annex B access
// units in decoding order, parameter sets in front of every random access point.
func readSamples(t testing.TB, file string) []codec.Sample {
	t.Helper()
	src, err := codec.Open(context.Background(), filepath.Join(testdata, file), codec.OpenOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	defer src.Close()
	if f := src.Info().Format; f != codec.FormatHEVC {
		t.Fatalf("%s: format %v, want hevc", file, f)
	}
	var out []codec.Sample
	for {
		s, err := src.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: after %d samples: %v", file, len(out), err)
		}
		out = append(out, s)
	}
}

// readFrameMD5 reads FFmpeg's decode of a fixture (testdata/expected/NAME.framemd5).
func readFrameMD5(t testing.TB, name string) []framemd5.Frame {
	return framemd5.Frames(t, filepath.Join(testdata, "expected", name+".framemd5"))
}

type decodedFrame struct {
	pts           time.Duration
	md5           string
	width, height int
	bitDepth      int
	color         yuv.Color
}

// decodeAll decodes every sample with one decoder of the given threads and flushes it.
func decodeAll(t testing.TB, samples []codec.Sample, threads int) []decodedFrame {
	t.Helper()
	d, err := h265.NewDecoder(threads)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out []decodedFrame
	emit := func(p *yuv.Picture) error {
		out = append(out, decodedFrame{p.PTS, framemd5.PictureSum(p), p.Width, p.Height, p.BitDepth, p.Color})
		return nil
	}
	for i, s := range samples {
		if err := d.Decode(s.AnnexB, s.PTS, emit); err != nil {
			t.Fatalf("sample %d (pts %v): %v", i, s.PTS, err)
		}
	}
	if err := d.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return out
}

func discard(*yuv.Picture) error { return nil }
