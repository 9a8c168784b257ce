package h264

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// testAU is one access unit of a fixture, as a demuxer would hand it over.
type testAU struct {
	annexB      []byte
	pts         time.Duration // from the first presentation time
	dur         time.Duration
	idr, nonRef bool
}

// readMP4 reads the video track of a progressive or fragmented MP4 into Annex B access units in
// decoding order, with SPS and PPS in front of every IDR (the codec.Sample convention).
func readMP4(t testing.TB, path string) []testAU {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var moov *mp4.MoovBox
	if f.IsFragmented() {
		moov = f.Init.Moov
	} else {
		moov = f.Moov
	}
	trak := moov.Trak
	timescale := trak.Mdia.Mdhd.Timescale
	avcC := trak.Mdia.Minf.Stbl.Stsd.AvcX.AvcC
	var ps []byte
	for _, n := range append(append([][]byte{}, avcC.SPSnalus...), avcC.PPSnalus...) {
		ps = append(ps, 0, 0, 0, 1)
		ps = append(ps, n...)
	}
	type raw struct {
		data []byte
		pts  int64
		dur  uint32
	}
	var raws []raw
	if f.IsFragmented() {
		for _, seg := range f.Segments {
			for _, frag := range seg.Fragments {
				fs, err := frag.GetFullSamples(moov.Mvex.Trex)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range fs {
					raws = append(raws, raw{s.Data, s.PresentationTime(), s.Dur})
				}
			}
		}
	} else {
		n := trak.GetNrSamples()
		samples, err := trak.GetSampleData(1, n)
		if err != nil {
			t.Fatal(err)
		}
		var dts uint64
		for i, s := range samples {
			r, err := trak.GetRangesForSampleInterval(uint32(i+1), uint32(i+1))
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, raw{data[r[0].Offset : r[0].Offset+r[0].Size], int64(dts) + int64(s.CompositionTimeOffset), s.Dur})
			dts += uint64(s.Dur)
		}
	}
	if len(raws) == 0 {
		t.Fatalf("%s: no samples", path)
	}
	minPTS := raws[0].pts
	for _, r := range raws {
		minPTS = min(minPTS, r.pts)
	}
	ts := func(v int64) time.Duration { return time.Duration(v * int64(time.Second) / int64(timescale)) }
	aus := make([]testAU, 0, len(raws))
	for _, r := range raws {
		au := testAU{pts: ts(r.pts - minPTS), dur: ts(int64(r.dur)), nonRef: true}
		bs := avc.ConvertSampleToByteStream(bytes.Clone(r.data))
		for _, n := range avc.ExtractNalusFromByteStream(bs) {
			switch avc.GetNaluType(n[0]) {
			case avc.NALU_IDR:
				au.idr = true
			case avc.NALU_SPS, avc.NALU_PPS:
				continue
			}
			if avc.GetNaluType(n[0]) <= avc.NALU_IDR && n[0]&0x60 != 0 {
				au.nonRef = false
			}
		}
		if au.idr {
			au.annexB = append(au.annexB, ps...)
		}
		au.annexB = append(au.annexB, bs...)
		aus = append(aus, au)
	}
	return aus
}

// presentationOrder is the sorted PTS list of aus.
func presentationOrder(aus []testAU) []time.Duration {
	var p []time.Duration
	for _, au := range aus {
		p = append(p, au.pts)
	}
	sort.Slice(p, func(i, j int) bool { return p[i] < p[j] })
	return p
}

func (a testAU) String() string {
	return fmt.Sprintf("pts=%v idr=%v nonref=%v %dB", a.pts, a.idr, a.nonRef, len(a.annexB))
}
