package codec

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/hevc"
	"github.com/Eyevinn/mp4ff/mp4"
)

// videoTrack turns the access units of one video track into Samples, whatever the codec:
// avcTrack for H.264, hevcTrack for H.265. The demuxers hold one.
type videoTrack interface {
	// accessUnit builds a Sample from the NAL units of one access unit (container framing
	// removed); randomAccess is set where decoding may start (an IDR picture, for H.265 also a
	// CRA or BLA picture).
	accessUnit(nalus [][]byte) (s Sample, randomAccess bool, err error)
	// accessUnitMP4 builds a Sample from an access unit in MP4 framing (length-prefixed NAL
	// units, ISO/IEC 14496-15).
	accessUnitMP4(data []byte) (Sample, error)
	// streamInfo is what the latest SPS says; false before the first one.
	streamInfo() (spsInfo, bool)
	format() VideoFormat
}

func (t *avcTrack) accessUnit(nalus [][]byte) (Sample, bool, error) {
	s, err := t.sample(nalus)
	return s, s.IDR, err
}

func (t *avcTrack) accessUnitMP4(data []byte) (Sample, error) { return t.sampleAVCC(data) }

func (t *avcTrack) streamInfo() (spsInfo, bool) { return t.info, t.hasInfo }

func (t *avcTrack) format() VideoFormat { return FormatH264 }

// trackStreamInfo is what a demuxer knows of its stream from the track: the format, and the
// latest SPS's size, sample aspect ratio, codec string, profile, level, bit depth and transfer.
func trackStreamInfo(container string, t videoTrack) StreamInfo {
	info := StreamInfo{Container: container, Format: t.format()}
	if sps, ok := t.streamInfo(); ok {
		info.Codec, info.Profile, info.Level = sps.codec, sps.profile, sps.level
		info.Width, info.Height, info.SampleAspect = sps.Width, sps.Height, sps.sampleAspect()
		info.BitDepth, info.Transfer = sps.BitDepth, sps.Color.Transfer.String()
	}
	return info
}

// chooseVideoTrack picks the track of a movie to decode: the first H.264 track (avc1, avc3:
// OpenH264 is the cheaper decoder), else the first H.265 one (hvc1, hev1), and names the kinds
// of the others for the error message when there is neither.
func chooseVideoTrack(traks []*mp4.TrakBox) (*mp4.TrakBox, []string) {
	var hevcTrak *mp4.TrakBox
	var found []string
	for _, t := range traks {
		if t.Mdia == nil || t.Mdia.Hdlr == nil || t.Mdia.Minf == nil || t.Mdia.Minf.Stbl == nil || t.Mdia.Minf.Stbl.Stsd == nil || t.Tkhd == nil || t.Mdia.Mdhd == nil {
			continue
		}
		stsd := t.Mdia.Minf.Stbl.Stsd
		switch {
		case stsd.AvcX != nil && stsd.AvcX.AvcC != nil:
			return t, nil
		case hevcTrak == nil && isHEVCEntry(stsd):
			hevcTrak = t
		default:
			found = append(found, trackKind(t))
		}
	}
	if hevcTrak != nil {
		return hevcTrak, nil
	}
	return nil, found
}

// isHEVCEntry reports whether a sample description holds plain H.265 (hvc1, hev1) with its
// configuration. Dolby Vision's dvh1 and dvhe are not taken: profile 5 carries colours only a
// Dolby Vision decoder can turn into RGB.
func isHEVCEntry(stsd *mp4.StsdBox) bool {
	e := stsd.HvcX
	return e != nil && e.HvcC != nil && (e.Type() == "hvc1" || e.Type() == "hev1")
}

// newVideoTrack makes the track of a sample description chosen by chooseVideoTrack, with the
// parameter sets of its configuration box (avcC, ISO/IEC 14496-15 5.3.3; hvcC, 8.3.3), and
// returns the sample entry.
func newVideoTrack(stsd *mp4.StsdBox) (videoTrack, *mp4.VisualSampleEntryBox, error) {
	if e := stsd.AvcX; e != nil && e.AvcC != nil {
		t := &avcTrack{}
		return t, e, t.setParameterSets(e.AvcC.SPSnalus, e.AvcC.PPSnalus)
	}
	e := stsd.HvcX
	conf := e.HvcC.DecConfRec
	t, err := newHEVCTrack(e.Type(), conf.LengthSizeMinusOne,
		conf.GetNalusForType(hevc.NALU_VPS), conf.GetNalusForType(hevc.NALU_SPS), conf.GetNalusForType(hevc.NALU_PPS))
	if err != nil {
		return nil, e, fmt.Errorf("%s: %w", e.Type(), err)
	}
	return t, e, nil
}
