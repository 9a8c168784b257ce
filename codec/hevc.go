package codec

import (
	"bytes"
	"encoding/binary"
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/h265"
)

// parseHEVCSPS reads an H.265 SPS NAL unit with codec/h265, which refuses what its decoder
// does not handle (a chroma format, a bit depth, a picture over yuv.MaxWidth x yuv.MaxHeight)
// before any decoder sees the stream. entry is the sample entry's four-character code for the
// codec string ("hvc1", "hev1"). It also returns sps_max_sub_layers_minus1.
func parseHEVCSPS(nalu []byte, entry string) (spsInfo, uint8, error) {
	sps, err := h265.ParseSPS(nalu)
	if err != nil {
		return spsInfo{}, 0, decoderFor(FormatHEVC).classify(err)
	}
	return spsInfo{Format: sps.Format, codec: sps.Codec(entry), profile: sps.Profile, level: sps.Level}, sps.MaxSubLayersMinus1, nil
}

// NAL unit types of H.265 (Table 7-1) the flags and parameter sets depend on.
const (
	hevcIDRWithLeading = 19 // IDR_W_RADL
	hevcIDRNoLeading   = 20 // IDR_N_LP
	hevcFirstIRAP      = 16 // BLA_W_LP; 16 to 23 are intra random access points
	hevcLastIRAP       = 23
	hevcLastSubLayerNR = 14 // RSV_VCL_N14: even types up to it are sub-layer non-reference
	hevcVPS            = 32
	hevcSPS            = 33
	hevcPPS            = 34
	hevcAUD            = 35
)

// hevcNALHeader is the two-byte NAL unit header (7.3.1.2).
type hevcNALHeader struct {
	typ, layer, temporalID uint8
}

func parseHEVCNALHeader(n []byte) (hevcNALHeader, bool) {
	if len(n) < 2 || n[0]&0x80 != 0 || n[1]&7 == 0 {
		return hevcNALHeader{}, false // forbidden_zero_bit set, or nuh_temporal_id_plus1 0
	}
	return hevcNALHeader{typ: n[0] >> 1 & 0x3f, layer: n[0]&1<<5 | n[1]>>3, temporalID: n[1]&7 - 1}, true
}

// hevcTrack turns the access units of one H.265 track into Samples: Annex B, parameter sets
// in front of every intra random access point (IDR, CRA, BLA), and the IDR and NonReference
// flags read from the NAL unit headers.
type hevcTrack struct {
	entry         string   // sample entry ("hvc1", "hev1"), for the codec string
	lengthSize    int      // bytes of each NAL unit's length in MP4 samples (1, 2 or 4)
	vps, sps, pps [][]byte // latest parameter sets, from the sample entry or in band
	info          spsInfo  // from the latest SPS
	hasInfo       bool
	// maxSubLayer is sps_max_sub_layers_minus1: the TemporalId of the highest sub-layer, whose
	// sub-layer non-reference pictures no picture refers to.
	maxSubLayer uint8
}

// newHEVCTrack makes the track of an MP4 sample entry with the parameter set arrays and NAL
// unit length size of its hvcC (ISO/IEC 14496-15 8.3.3.1); the arrays may be empty for hev1,
// whose parameter sets come in band.
func newHEVCTrack(entry string, lengthSizeMinusOne byte, vps, sps, pps [][]byte) (*hevcTrack, error) {
	t := &hevcTrack{entry: entry, lengthSize: int(lengthSizeMinusOne) + 1}
	if t.lengthSize == 3 {
		return nil, fmt.Errorf("%w: h265: hvcC lengthSizeMinusOne 2 (reserved)", ErrInvalid)
	}
	t.vps, t.pps = cloneAll(vps), cloneAll(pps)
	for _, n := range sps {
		if err := t.takeSPS(n); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// takeSPS keeps an SPS of the base layer and what it says.
func (t *hevcTrack) takeSPS(n []byte) error {
	if h, ok := parseHEVCNALHeader(n); !ok || h.layer != 0 {
		return nil
	}
	if len(t.sps) == 1 && bytes.Equal(t.sps[0], n) {
		return nil
	}
	in, maxSubLayer, err := parseHEVCSPS(n, t.entry)
	if err != nil {
		return err
	}
	t.sps, t.info, t.hasInfo, t.maxSubLayer = [][]byte{bytes.Clone(n)}, in, true, maxSubLayer
	return nil
}

func (t *hevcTrack) streamInfo() (spsInfo, bool) { return t.info, t.hasInfo }

func (t *hevcTrack) format() VideoFormat { return FormatHEVC }

// accessUnit builds a Sample from the NAL units of one access unit (any container framing
// removed). randomAccess is set for an intra random access point, where decoding may start.
func (t *hevcTrack) accessUnit(nalus [][]byte) (s Sample, randomAccess bool, err error) {
	var has [3]bool // VPS, SPS, PPS in band
	var slices bool
	nonRef := true
	size := 0
	for _, n := range nalus {
		h, ok := parseHEVCNALHeader(n)
		if !ok {
			return Sample{}, false, fmt.Errorf("%w: h265: NAL unit of %d bytes with a bad header", ErrInvalid, len(n))
		}
		size += len(n) + 4
		if h.layer != 0 {
			continue // another layer's (MV-HEVC, SHVC): the base layer is what is decoded
		}
		switch {
		case h.typ <= hevcLastIRAP:
			slices = true
			s.IDR = s.IDR || h.typ == hevcIDRWithLeading || h.typ == hevcIDRNoLeading
			randomAccess = randomAccess || h.typ >= hevcFirstIRAP
			// A sub-layer non-reference picture (3.132) may still be referred to by pictures
			// of higher sub-layers; in the highest sub-layer nothing refers to it.
			if h.typ > hevcLastSubLayerNR || h.typ%2 != 0 || h.temporalID < t.maxSubLayer {
				nonRef = false
			}
		case h.typ == hevcVPS:
			has[0] = true
			if len(t.vps) != 1 || !bytes.Equal(t.vps[0], n) {
				t.vps = [][]byte{bytes.Clone(n)}
			}
		case h.typ == hevcSPS:
			has[1] = true
			if err := t.takeSPS(n); err != nil {
				return Sample{}, false, err
			}
		case h.typ == hevcPPS:
			has[2] = true
			if len(t.pps) != 1 || !bytes.Equal(t.pps[0], n) {
				t.pps = [][]byte{bytes.Clone(n)}
			}
		}
	}
	if size > MaxSampleSize {
		return Sample{}, false, fmt.Errorf("%w: h265: access unit of %d bytes is over the limit of %d", ErrInvalid, size, MaxSampleSize)
	}
	s.NonReference = slices && nonRef
	if randomAccess && (!has[0] || !has[1] || !has[2]) {
		if !t.hasInfo && !has[1] {
			return Sample{}, false, fmt.Errorf("%w: h265: random access picture without a sequence parameter set", ErrInvalid)
		}
		// Parameter sets go after an access unit delimiter and before everything else
		// (7.4.2.4.4), so that decoding may start at this picture.
		at := 0
		if h, _ := parseHEVCNALHeader(nalus[0]); h.typ == hevcAUD {
			at = 1
		}
		var ps [][]byte
		for i, sets := range [][][]byte{t.vps, t.sps, t.pps} {
			if !has[i] {
				ps = append(ps, sets...)
			}
		}
		withPS := make([][]byte, 0, len(nalus)+len(ps))
		withPS = append(withPS, nalus[:at]...)
		withPS = append(withPS, ps...)
		nalus = append(withPS, nalus[at:]...)
	}
	b, err := mch264.AnnexB(nalus).Marshal() // Annex B framing is the same in H.265
	if err != nil {
		return Sample{}, false, fmt.Errorf("%w: h265: %v", ErrInvalid, err)
	}
	s.AnnexB = b
	return s, randomAccess, nil
}

// accessUnitMP4 builds a Sample from an access unit in MP4 framing: NAL units each preceded by
// a big-endian length of lengthSize bytes (ISO/IEC 14496-15 4.3.2).
func (t *hevcTrack) accessUnitMP4(data []byte) (Sample, error) {
	nalus, err := splitLengthPrefixed(data, t.lengthSize)
	if err != nil {
		return Sample{}, fmt.Errorf("%w: h265: access unit of %d bytes: %v", ErrInvalid, len(data), err)
	}
	s, _, err := t.accessUnit(nalus)
	return s, err
}

// splitLengthPrefixed splits length-prefixed NAL units, at most mch264.MaxNALUsPerAccessUnit of
// them (mediacommon's bound, which its Annex B reader applies too).
func splitLengthPrefixed(data []byte, lengthSize int) ([][]byte, error) {
	var nalus [][]byte
	for len(data) > 0 {
		if len(data) < lengthSize {
			return nil, fmt.Errorf("%d bytes left, too few for a NAL unit length", len(data))
		}
		var n uint64
		switch lengthSize {
		case 1:
			n = uint64(data[0])
		case 2:
			n = uint64(binary.BigEndian.Uint16(data))
		default:
			n = uint64(binary.BigEndian.Uint32(data))
		}
		data = data[lengthSize:]
		if n == 0 || n > uint64(len(data)) {
			return nil, fmt.Errorf("NAL unit of %d bytes where %d are left", n, len(data))
		}
		if len(nalus) == mch264.MaxNALUsPerAccessUnit {
			return nil, fmt.Errorf("more than %d NAL units", mch264.MaxNALUsPerAccessUnit)
		}
		nalus = append(nalus, data[:n])
		data = data[n:]
	}
	if len(nalus) == 0 {
		return nil, fmt.Errorf("no NAL units")
	}
	return nalus, nil
}
