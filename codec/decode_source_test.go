package codec

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/Eyevinn/mp4ff/avc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// fixtureSource is a Source over a whole MP4 fixture read with mp4ff, independent of this
// package's demuxers, so that the decode stage is tested on its own.
type fixtureSource struct {
	info    StreamInfo
	samples []Sample
	next    int
	closed  bool
}

func (s *fixtureSource) Info() StreamInfo { return s.info }

func (s *fixtureSource) Next(ctx context.Context) (Sample, error) {
	if err := ctx.Err(); err != nil {
		return Sample{}, err
	}
	if s.next == len(s.samples) {
		return Sample{}, io.EOF
	}
	s.next++
	return s.samples[s.next-1], nil
}

func (s *fixtureSource) Close() error { s.closed = true; return nil }

// openFixture reads a progressive or fragmented MP4 into samples the way the Source seam
// defines them: Annex B, parameter sets before every IDR, times from the first presentation.
func openFixture(t testing.TB, path string) *fixtureSource {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mp4.DecodeFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	moov := f.Moov
	if f.IsFragmented() {
		moov = f.Init.Moov
	}
	trak := moov.Trak
	timescale := int64(trak.Mdia.Mdhd.Timescale)
	avcC := trak.Mdia.Minf.Stbl.Stsd.AvcX.AvcC
	var ps []byte
	for _, n := range append(append([][]byte{}, avcC.SPSnalus...), avcC.PPSnalus...) {
		ps = append(append(ps, 0, 0, 0, 1), n...)
	}
	type raw struct {
		data     []byte
		dts, pts int64
		dur      uint32
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
					raws = append(raws, raw{s.Data, int64(s.DecodeTime), s.PresentationTime(), s.Dur})
				}
			}
		}
	} else {
		samples, err := trak.GetSampleData(1, trak.GetNrSamples())
		if err != nil {
			t.Fatal(err)
		}
		var dts int64
		for i, s := range samples {
			r, err := trak.GetRangesForSampleInterval(uint32(i+1), uint32(i+1))
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, raw{data[r[0].Offset : r[0].Offset+r[0].Size], dts, dts + int64(s.CompositionTimeOffset), s.Dur})
			dts += int64(s.Dur)
		}
	}
	shift := raws[0].pts
	for _, r := range raws {
		shift = min(shift, r.pts)
	}
	ts := func(v int64) time.Duration { return time.Duration(v * int64(time.Second) / timescale) }
	src := &fixtureSource{info: StreamInfo{Container: "mp4", URL: path}}
	for _, r := range raws {
		bs := avc.ConvertSampleToByteStream(bytes.Clone(r.data))
		s := Sample{DTS: ts(r.dts - shift), PTS: ts(r.pts - shift), Duration: ts(int64(r.dur)), NonReference: true}
		for _, n := range avc.ExtractNalusFromByteStream(bs) {
			typ := avc.GetNaluType(n[0])
			if typ == avc.NALU_IDR {
				s.IDR = true
			}
			if typ >= 1 && typ <= 5 && n[0]&0x60 != 0 {
				s.NonReference = false
			}
		}
		if s.IDR {
			s.AnnexB = append(s.AnnexB, ps...)
		}
		s.AnnexB = append(s.AnnexB, bs...)
		src.samples = append(src.samples, s)
	}
	if sps, _ := avc.ParseSPSNALUnit(avcC.SPSnalus[0], false); sps != nil {
		src.info.Width, src.info.Height = int(sps.Width), int(sps.Height)
	}
	src.info.Frames = len(src.samples)
	return src
}
