package y4m

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

const testdata = "../../testdata"

// Writing every picture of the 128x128 fixture gives FFmpeg's header byte for byte and the
// same number of frames of the same size as FFmpeg's own decode (`-f yuv4mpegpipe -pix_fmt
// yuv420p`), whose pictures differ only by OpenH264's drift on B-frames (tested in codec/h264).
func TestWriterMatchesFFmpeg(t *testing.T) {
	const name = "high-bframes-128x128-30fps"
	f, err := os.Open(filepath.Join(testdata, "expected", name+".y4m.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	w := NewWriter(&got, 30, 0, 0)
	src, err := codec.Open(context.Background(), filepath.Join(testdata, "media", name+".mp4"), codec.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = codec.Decode(context.Background(), src, codec.DecodeOptions{},
		func(p *yuv.Picture) (Frame, error) { return CopyFrame(p), nil },
		func(f codec.Frame[Frame]) error { return w.WriteFrame(f.Value) })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	header := func(b []byte) string { return string(b[:bytes.IndexByte(b, '\n')+1]) }
	if header(got.Bytes()) != header(want) {
		t.Errorf("header %q, FFmpeg %q", header(got.Bytes()), header(want))
	}
	if n, m := bytes.Count(got.Bytes(), []byte("FRAME\n")), bytes.Count(want, []byte("FRAME\n")); n != 60 || got.Len() != len(want) {
		t.Errorf("%d frames in %d bytes, FFmpeg %d in %d", n, got.Len(), m, len(want))
	}
}

func TestFrameRateRatio(t *testing.T) {
	for fps, want := range map[float64]string{30: "30:1", 24: "24:1", 30000.0 / 1001: "30000:1001", 23.976023976: "24000:1001", 12.5: "25:2", 0: "25:1"} {
		if got := frameRateRatio(fps); got != want {
			t.Errorf("frameRateRatio(%v) = %s, want %s", fps, got, want)
		}
	}
}

func TestWriterRejectsSizeChange(t *testing.T) {
	w := NewWriter(io.Discard, 24, 0, 0)
	if err := w.WriteFrame(Frame{Width: 2, Height: 2, BitDepth: 8, Data: make([]byte, 6)}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(Frame{Width: 4, Height: 2, BitDepth: 8, Data: make([]byte, 12)}); err == nil {
		t.Error("a frame of another size was written")
	}
}
