package pipeline

import (
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

func TestFingerprint(t *testing.T) {
	base := Options{}
	same := []Options{{Size: DefaultSize}, {Threads: 2}, {FrameRate: DefaultFrameRate}, {Colors: gifenc.DefaultColors}}
	for _, o := range same {
		if o.Fingerprint() != base.Fingerprint() {
			t.Errorf("%+v: fingerprint differs from the defaults', but the output is the same", o)
		}
	}
	rules, err := codec.ParseRenditionRules([]byte(`[{"host":"example.com","path":"/v/*/{size}x{size}.mp4","sizes":[160,320]}]`))
	if err != nil {
		t.Fatal(err)
	}
	other := []Options{{Size: 40}, {FrameRate: 12}, {Colors: 64}, {Dither: "none"}, {Source: codec.OpenOptions{Renditions: rules}}}
	seen := map[string]bool{base.Fingerprint(): true}
	for _, o := range other {
		if f := o.Fingerprint(); seen[f] {
			t.Errorf("%+v: fingerprint %s already taken by other output", o, f)
		} else {
			seen[f] = true
		}
	}
}
