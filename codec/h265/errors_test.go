package h265_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/Eyevinn/mp4ff/mp4"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// withoutParameterSets is an access unit with its VPS, SPS and PPS taken out.
func withoutParameterSets(t *testing.T, au []byte) []byte {
	t.Helper()
	var nalus mch264.AnnexB
	if err := nalus.Unmarshal(au); err != nil {
		t.Fatal(err)
	}
	var keep [][]byte
	for _, n := range nalus {
		if typ := n[0] >> 1 & 0x3f; typ < 32 || typ > 34 {
			keep = append(keep, n)
		}
	}
	out, err := mch264.AnnexB(keep).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstAccessUnit is the first sample of a progressive MP4 with the parameter sets of its hvcC in
// front, in Annex B form, read with mp4ff alone: the codec package refuses these files before
// any decoder would see them.
func firstAccessUnit(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, file))
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	trak := f.Moov.Trak
	var au []byte
	for _, a := range trak.Mdia.Minf.Stbl.Stsd.HvcX.HvcC.NaluArrays {
		for _, n := range a.Nalus {
			au = append(append(au, 0, 0, 0, 1), n...)
		}
	}
	r, err := trak.GetRangesForSampleInterval(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	sample := data[r[0].Offset : r[0].Offset+r[0].Size]
	for len(sample) > 4 {
		n := binary.BigEndian.Uint32(sample)
		au = append(append(au, 0, 0, 0, 1), sample[4:4+n]...)
		sample = sample[4+n:]
	}
	return au
}

// Streams the decoder does not handle are refused from their SPS, before libde265 allocates a
// picture; broken ones are invalid, and the decoder says so at the access unit concerned.
func TestDecodeRejects(t *testing.T) {
	idr := readSamples(t, "hevc/main-192x192-30fps.mp4")[0].AnnexB
	for _, tc := range []struct {
		name string
		au   []byte
		want error
	}{
		{"4112 wide", firstAccessUnit(t, "broken/hevc-too-wide-4112x32.mp4"), h265.ErrUnsupported},
		{"4:2:2", firstAccessUnit(t, "broken/hevc-422-64x64.mp4"), h265.ErrUnsupported},
		{"over MaxAccessUnitSize", append([]byte{0, 0, 0, 1}, make([]byte, h265.MaxAccessUnitSize)...), h265.ErrUnsupported},
		{"no start code", []byte("not h265 at all"), h265.ErrInvalid},
		{"slice without parameter sets", withoutParameterSets(t, idr), h265.ErrInvalid},
		{"truncated SPS", idr[:40], h265.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := h265.NewDecoder(1)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			pictures := 0
			count := func(*yuv.Picture) error { pictures++; return nil }
			err = d.Decode(tc.au, 0, count)
			if err == nil {
				err = d.Flush(count)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, h265.ErrUnsupported) && pictures > 0 {
				t.Errorf("%d pictures from a refused stream", pictures)
			}
			t.Log(err)
		})
	}
}

// Parameter sets repeated in front of every access unit (as x265's repeat-headers puts them in
// front of every keyframe, and the demuxer in front of every CRA picture) change nothing: the
// decoder gives libde265 each only once, since libde265 1.0.11 loses the RASL pictures' reference
// pictures when an SPS or PPS is sent again (without the filter, 8 of the fixture's 90 pictures
// differ from FFmpeg's).
func TestRepeatedParameterSets(t *testing.T) {
	samples := readSamples(t, "hevc/main-192x192-30fps.mp4")
	var nalus mch264.AnnexB
	if err := nalus.Unmarshal(samples[0].AnnexB); err != nil {
		t.Fatal(err)
	}
	var ps []byte
	for _, n := range nalus[:3] {
		ps = append(append(ps, 0, 0, 0, 1), n...)
	}
	for i := range samples {
		samples[i].AnnexB = append(append([]byte{}, ps...), withoutParameterSets(t, samples[i].AnnexB)...)
	}
	want := readFrameMD5(t, "hevc-main-192x192-30fps")
	got := decodeAll(t, samples, 1)
	if len(got) != len(want) {
		t.Fatalf("%d pictures, FFmpeg %d", len(got), len(want))
	}
	for i := range want {
		if got[i].md5 != want[i].MD5 {
			t.Errorf("picture %d (pts %v) differs from FFmpeg's", i, got[i].pts)
		}
	}
}

// Damaged slice data: libde265 reports it at the access unit concerned, keeps decoding, and
// every access unit still gives its picture.
func TestDecodeCorruptSlices(t *testing.T) {
	samples := readSamples(t, "hevc/main-192x192-30fps.mp4")
	d, err := h265.NewDecoder(1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pictures, failed := 0, 0
	emit := func(*yuv.Picture) error { pictures++; return nil }
	for i, s := range samples {
		au := append([]byte{}, s.AnnexB...)
		if i%7 == 3 {
			// Past the slice header: garbage in the coded data of every seventh picture.
			for j := len(au) / 2; j < len(au); j += 5 {
				au[j] ^= 0x5a
			}
		}
		if err := d.Decode(au, s.PTS, emit); err != nil {
			if !errors.Is(err, h265.ErrInvalid) {
				t.Fatalf("sample %d: error %v, want ErrInvalid", i, err)
			}
			failed++
		}
	}
	if err := d.Flush(emit); err != nil && !errors.Is(err, h265.ErrInvalid) {
		t.Fatal(err)
	}
	t.Logf("%d samples, %d rejected, %d pictures", len(samples), failed, pictures)
	if failed == 0 {
		t.Error("no access unit rejected")
	}
	if pictures != len(samples) {
		t.Errorf("%d pictures of %d access units", pictures, len(samples))
	}
}
