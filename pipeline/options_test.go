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
	other := []Options{{Size: 40}, {FrameRate: 12}, {Colors: 64}, {Dither: gifenc.DitherNone}, {Source: codec.OpenOptions{Renditions: rules}}}
	seen := map[string]bool{base.Fingerprint(): true}
	for _, o := range other {
		if f := o.Fingerprint(); seen[f] {
			t.Errorf("%+v: fingerprint %s already taken by other output", o, f)
		} else {
			seen[f] = true
		}
	}
}

// The fingerprints of the service's options are those of the versions where Dither was a name
// (left empty by the service): results cached by those versions are found, and replicas of both
// versions share conversions during an upgrade. Only an explicit "bayer", which now is the
// default it always stood for, changed (it was e7eb8a2f835f).
func TestFingerprintsOfEarlierVersions(t *testing.T) {
	rules, err := codec.ConfiguredRenditionRules("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{}, "53f1dee9f2f8"},
		{DefaultOptions(), "53f1dee9f2f8"},
		{Options{Dither: gifenc.DitherBayer}, "53f1dee9f2f8"},
		{Options{Source: codec.OpenOptions{Renditions: rules}}, "f15e5678395f"},
		{Options{Dither: gifenc.DitherNone, Size: 40}, "e8b667443e4a"},
	} {
		if got := tt.opts.Fingerprint(); got != tt.want {
			t.Errorf("%+v: fingerprint %s, earlier versions' %s", tt.opts, got, tt.want)
		}
	}
}
