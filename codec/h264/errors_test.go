package h264

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

func discard(*yuv.Picture) error { return nil }

// OpenH264 2.3.1 reorders pictures by picture order count itself (its ReorderPicturesInDisplay
// path for non-Baseline streams) and passes uiInBsTimeStamp through to uiOutYuvTimeStamp: fed in
// decoding order, pictures come out in presentation order, each with its own access unit's PTS.
func TestDecoderReordersBFrames(t *testing.T) {
	aus := readMP4(t, filepath.Join(testdata, "media/high-bframes-320x320-30fps.mp4"))
	var in []time.Duration
	for _, au := range aus {
		in = append(in, au.pts)
	}
	if slices.IsSorted(in) {
		t.Fatal("fixture has no B-frames out of order; the test shows nothing")
	}
	var out []time.Duration
	for _, f := range decodeAll(t, aus) {
		out = append(out, f.pts)
	}
	if !slices.Equal(out, presentationOrder(aus)) {
		t.Errorf("output order %v, want %v", out, presentationOrder(aus))
	}
}

func TestDecodeRejects(t *testing.T) {
	tooWide := readMP4(t, filepath.Join(testdata, "broken/too-wide-4112x32.mp4"))[0].annexB
	good := readMP4(t, filepath.Join(testdata, "media/high-bframes-128x128-30fps.mp4"))[0].annexB
	var nalus mch264.AnnexB
	if err := nalus.Unmarshal(good); err != nil {
		t.Fatal(err)
	}
	var sliceOnly []byte
	for _, n := range nalus {
		if typ := mch264.NALUType(n[0] & 0x1f); typ == mch264.NALUTypeIDR {
			sliceOnly = append(append(sliceOnly, 0, 0, 0, 1), n...)
		}
	}
	for _, tc := range []struct {
		name string
		au   []byte
		want error
	}{
		{"4112 wide", tooWide, ErrUnsupported},
		{"over MaxAccessUnitSize", append([]byte{0, 0, 0, 1}, make([]byte, MaxAccessUnitSize)...), ErrUnsupported},
		{"no start code", []byte("not h264 at all"), ErrInvalid},
		{"slice without parameter sets", sliceOnly, ErrInvalid},
		{"High 10 SPS", highTenSPS(t, good), ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			err = d.Decode(tc.au, 0, discard)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

// highTenSPS is the fixture's first access unit with profile_idc rewritten to 110 (High 10).
func highTenSPS(t *testing.T, au []byte) []byte {
	out := slices.Clone(au)
	for i := 0; i+4 < len(out); i++ {
		if out[i] == 0 && out[i+1] == 0 && out[i+2] == 1 && out[i+3]&0x1f == 7 {
			out[i+4] = 110
			return out
		}
	}
	t.Fatal("no SPS")
	return nil
}

func TestDecodeAfterClose(t *testing.T) {
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	before := LiveDecoders()
	d.Close()
	if LiveDecoders() != before-1 {
		t.Errorf("live decoders %d after Close, want %d", LiveDecoders(), before-1)
	}
	d.Close() // twice is fine
	au := readMP4(t, filepath.Join(testdata, "media/baseline-160x160-60fps.mp4"))[0].annexB
	if err := d.Decode(au, 0, discard); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
	if err := d.Flush(discard); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
}

// The corrupt fixture has 200 random bytes in its media data: decoding goes on past the damage
// (OpenH264 conceals it) and every access unit is answered, with a picture or an error.
func TestDecodeCorruptNAL(t *testing.T) {
	aus := readMP4(t, filepath.Join(testdata, "broken/corrupt-nal.mp4"))
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pictures, failed := 0, 0
	emit := func(p *yuv.Picture) error { pictures++; return nil }
	for _, au := range aus {
		if err := d.Decode(au.annexB, au.pts, emit); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v, want ErrInvalid", err)
			}
			failed++
		}
	}
	if err := d.Flush(emit); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d access units, %d rejected, %d pictures", len(aus), failed, pictures)
	if failed == 0 {
		t.Error("no access unit rejected; the fixture is not corrupt where expected")
	}
	if pictures < len(aus)/2 {
		t.Errorf("only %d pictures of %d access units", pictures, len(aus))
	}
}

func TestEmitErrorStops(t *testing.T) {
	aus := readMP4(t, filepath.Join(testdata, "media/baseline-160x160-60fps.mp4"))
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	stop := errors.New("stop")
	if err := d.Decode(aus[0].annexB, 0, func(*yuv.Picture) error { return stop }); err != stop {
		t.Errorf("error %v, want the emit error", err)
	}
}

func TestColor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vui    *mch264.SPS_VUI
		height int
		want   yuv.Color
	}{
		{"no VUI, 360 lines", nil, 360, yuv.Color{Matrix: yuv.MatrixBT601}},
		{"no VUI, 720 lines", nil, 720, yuv.Color{Matrix: yuv.MatrixBT709}},
		{"bt709 limited", &mch264.SPS_VUI{VideoSignalTypePresentFlag: true, ColourDescriptionPresentFlag: true, MatrixCoefficients: 1}, 360, yuv.Color{Matrix: yuv.MatrixBT709, Specified: true}},
		{"smpte170m full", &mch264.SPS_VUI{VideoSignalTypePresentFlag: true, VideoFullRangeFlag: true, ColourDescriptionPresentFlag: true, MatrixCoefficients: 6}, 1280, yuv.Color{Matrix: yuv.MatrixBT601, FullRange: true, Specified: true}},
		{"unspecified matrix", &mch264.SPS_VUI{VideoSignalTypePresentFlag: true, ColourDescriptionPresentFlag: true, MatrixCoefficients: 2}, 1080, yuv.Color{Matrix: yuv.MatrixBT709}},
	} {
		if got := colorOf(tc.vui, tc.height); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); v != "2.3.1" {
		t.Logf("OpenH264 %s (tests were measured with 2.3.1)", v)
	}
	if Version() == "0.0.0" {
		t.Error("no version")
	}
}
