package h265_test

import (
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/internal/framemd5"
)

// FuzzDecode feeds mutated access units after a valid IDR access unit, so that mutations reach
// the slice decoder with parameter sets and a reference picture in place. The seeds are access
// units of the 8-bit and 10-bit fixtures (parameter sets, IDR, CRA, RASL, TRAIL_R, TRAIL_N
// pictures). Decoding must never crash or hang, every picture emitted must be readable in full,
// and every decoder must be freed.
func FuzzDecode(f *testing.F) {
	main8 := readSamples(f, "hevc/main-192x192-30fps.mp4")
	main10 := readSamples(f, "hevc/main10-250x142-24fps.mp4")
	for _, i := range []int{0, 1, 3, 26, 27, 28} {
		f.Add(false, main8[i].AnnexB)
	}
	for _, i := range []int{0, 1, 3} {
		f.Add(true, main10[i].AnnexB)
	}
	f.Fuzz(func(t *testing.T, tenBit bool, au []byte) {
		idr := main8[0].AnnexB
		if tenBit {
			idr = main10[0].AnnexB
		}
		live := h265.LiveDecoders()
		d, err := h265.NewDecoder(1)
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
		if h265.LiveDecoders() != live {
			t.Fatalf("%d decoders live after Close, want %d", h265.LiveDecoders(), live)
		}
	})
}
