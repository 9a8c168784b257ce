package codec

import (
	"bytes"
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// spsInfo is what the sequence parameter set of either codec says about the stream (ISO/IEC
// 14496-10 7.3.2.1.1, ITU-T H.265 7.3.2.2), as StreamInfo tells it.
type spsInfo struct {
	yuv.Format
	codec   string // RFC 6381: avc1.PPCCLL, hvc1.2.4.L93.B0
	profile string
	level   string
}

// parseSPS reads an SPS NAL unit with codec/h264, which refuses what its decoder does not
// handle (a profile, bit depth or chroma format, interlacing, a picture over yuv.MaxWidth x
// yuv.MaxHeight) before any decoder sees the stream: a source Open accepts is one Decode
// decodes.
func parseSPS(nalu []byte) (spsInfo, error) {
	sps, err := h264.ParseSPS(nalu)
	if err != nil {
		return spsInfo{}, decoderFor(FormatH264).classify(err)
	}
	return spsInfo{Format: sps.Format, codec: sps.Codec, profile: sps.Profile, level: sps.Level}, nil
}

// avcTrack turns the access units of one H.264 track into Samples: Annex B, parameter sets in
// front of every IDR picture, and the IDR and NonReference flags read from the NAL headers.
type avcTrack struct {
	sps, pps [][]byte // latest parameter sets, from the sample entry or in band
	info     spsInfo  // from the latest SPS
	hasInfo  bool
}

// setParameterSets takes the parameter sets of a sample entry (avcC, ISO/IEC 14496-15 5.3.3).
func (t *avcTrack) setParameterSets(sps, pps [][]byte) error {
	if len(sps) == 0 {
		return nil
	}
	in, err := parseSPS(sps[0])
	if err != nil {
		return err
	}
	t.sps, t.pps, t.info, t.hasInfo = cloneAll(sps), cloneAll(pps), in, true
	return nil
}

// NAL unit types (ISO/IEC 14496-10 Table 7-1) the flags depend on.
const (
	naluSlice = 1
	naluIDR   = 5
	naluSPS   = 7
	naluPPS   = 8
	naluAUD   = 9
)

// sample builds a Sample from the NAL units of one access unit (any container framing removed).
func (t *avcTrack) sample(nalus [][]byte) (Sample, error) {
	var s Sample
	var hasSPS, hasPPS, slices bool
	nonRef := true
	size := 0
	for _, n := range nalus {
		if len(n) == 0 {
			return Sample{}, fmt.Errorf("%w: h264: empty NAL unit", ErrInvalid)
		}
		size += len(n) + 4
		switch typ := n[0] & 0x1f; typ {
		case naluSlice, naluIDR:
			slices = true
			if typ == naluIDR {
				s.IDR = true
			}
			// nal_ref_idc (7.4.1): zero in every slice means no picture refers to this one.
			if n[0]&0x60 != 0 {
				nonRef = false
			}
		case naluSPS:
			hasSPS = true
			if len(t.sps) != 1 || !bytes.Equal(t.sps[0], n) {
				in, err := parseSPS(n)
				if err != nil {
					return Sample{}, err
				}
				t.sps, t.info, t.hasInfo = [][]byte{bytes.Clone(n)}, in, true
			}
		case naluPPS:
			hasPPS = true
			if len(t.pps) != 1 || !bytes.Equal(t.pps[0], n) {
				t.pps = [][]byte{bytes.Clone(n)}
			}
		}
	}
	if size > MaxSampleSize {
		return Sample{}, fmt.Errorf("%w: h264: access unit of %d bytes is over the limit of %d", ErrInvalid, size, MaxSampleSize)
	}
	s.NonReference = slices && nonRef
	if s.IDR && (!hasSPS || !hasPPS) {
		if !t.hasInfo && !hasSPS {
			return Sample{}, fmt.Errorf("%w: h264: IDR picture without a sequence parameter set", ErrInvalid)
		}
		// Parameter sets go after an access unit delimiter and before everything else
		// (7.4.1.2.3), so that decoding may start at this picture.
		at := 0
		if nalus[0][0]&0x1f == naluAUD {
			at = 1
		}
		var ps [][]byte
		if !hasSPS {
			ps = append(ps, t.sps...)
		}
		if !hasPPS {
			ps = append(ps, t.pps...)
		}
		withPS := make([][]byte, 0, len(nalus)+len(ps))
		withPS = append(withPS, nalus[:at]...)
		withPS = append(withPS, ps...)
		nalus = append(withPS, nalus[at:]...)
	}
	b, err := mch264.AnnexB(nalus).Marshal()
	if err != nil {
		return Sample{}, fmt.Errorf("%w: h264: %v", ErrInvalid, err)
	}
	s.AnnexB = b
	return s, nil
}

// sampleAVCC builds a Sample from an access unit in MP4 framing: NAL units each preceded by a
// four-byte length (ISO/IEC 14496-15 5.3.2, lengthSizeMinusOne = 3, what every muxer writes).
func (t *avcTrack) sampleAVCC(data []byte) (Sample, error) {
	var au mch264.AVCC
	if err := au.Unmarshal(data); err != nil {
		return Sample{}, fmt.Errorf("%w: h264: access unit of %d bytes: %v", ErrInvalid, len(data), err)
	}
	return t.sample(au)
}

func cloneAll(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = bytes.Clone(b)
	}
	return out
}
