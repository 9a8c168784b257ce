package h264

import (
	"path/filepath"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

// FuzzDecode feeds mutated access units (seeded with real ones of the 128x128 High B-frame
// fixture, testdata/fuzz/FuzzDecode) after a valid IDR access unit, so that mutations reach the
// slice decoder with parameter sets and reference pictures in place. It must never crash, and
// every picture it emits must be readable in full.
func FuzzDecode(f *testing.F) {
	aus := readMP4(f, filepath.Join(testdata, "media/high-bframes-128x128-30fps.mp4"))
	idr := aus[0].annexB
	f.Fuzz(func(t *testing.T, au []byte) {
		live := LiveDecoders()
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		touch := func(p *yuv.Picture) error {
			_ = framemd5.PictureSum(p)
			return nil
		}
		_ = d.Decode(idr, 0, touch)
		_ = d.Decode(au, 1, touch)
		_ = d.Decode(au, 2, touch)
		_ = d.Flush(touch)
		d.Close()
		if LiveDecoders() != live {
			t.Fatalf("%d decoders live after Close, want %d", LiveDecoders(), live)
		}
	})
}
