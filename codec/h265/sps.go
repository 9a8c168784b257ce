package h265

import (
	"fmt"
	"strings"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// SPS is what a sequence parameter set (clause 7.3.2.2) says about the pictures that follow it,
// once checked against what this package decodes: the one reading of an SPS, for the demuxer
// (what a stream is, whether it can be converted at all) and for the decoder alike.
type SPS struct {
	yuv.Format
	Profile string // general_profile_idc's name (Annex A.3), as ffprobe writes it: "Main 10"
	Level   string // general_level_idc as a level number, "4.1"
	// ID is sps_seq_parameter_set_id.
	ID uint32
	// MaxSubLayersMinus1 is sps_max_sub_layers_minus1: the TemporalId of the highest
	// sub-layer, whose sub-layer non-reference pictures no picture refers to.
	MaxSubLayersMinus1 uint8

	ptl mch265.SPS_ProfileTierLevel
}

// ParseSPS reads an SPS NAL unit (with its two-byte header) and refuses, with ErrUnsupported,
// what the decoder does not handle: a chroma format other than 4:2:0, luma and chroma of
// different depths or deeper than MaxBitDepth, a coded picture over yuv.MaxWidth x
// yuv.MaxHeight. A broken SPS is ErrInvalid.
func ParseSPS(nalu []byte) (SPS, error) {
	var sps mch265.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return SPS{}, fmt.Errorf("%w: SPS of %d bytes: %v", ErrInvalid, len(nalu), err)
	}
	if sps.ChromaFormatIdc != 1 {
		return SPS{}, fmt.Errorf("%w: chroma_format_idc %d (only 4:2:0)", ErrUnsupported, sps.ChromaFormatIdc)
	}
	luma, chroma := uint64(sps.BitDepthLumaMinus8)+8, uint64(sps.BitDepthChromaMinus8)+8
	if luma != chroma || luma > MaxBitDepth {
		return SPS{}, fmt.Errorf("%w: bit depth %d (luma) and %d (chroma); only equal depths up to %d", ErrUnsupported, luma, chroma, MaxBitDepth)
	}
	codedW, codedH := uint64(sps.PicWidthInLumaSamples), uint64(sps.PicHeightInLumaSamples)
	if codedW > yuv.MaxWidth || codedH > yuv.MaxHeight {
		return SPS{}, fmt.Errorf("%w: coded picture of %dx%d is over the limit of %dx%d", ErrUnsupported, codedW, codedH, yuv.MaxWidth, yuv.MaxHeight)
	}
	if codedW == 0 || codedH == 0 {
		return SPS{}, fmt.Errorf("%w: coded size %dx%d", ErrInvalid, codedW, codedH)
	}
	s := SPS{
		Format:             yuv.Format{Width: int(codedW), Height: int(codedH), BitDepth: int(luma), FrameRate: sps.FPS()},
		Profile:            profileName(sps.ProfileTierLevel.GeneralProfileIdc),
		Level:              levelName(sps.ProfileTierLevel.GeneralLevelIdc),
		ID:                 uint32(sps.ID),
		MaxSubLayersMinus1: sps.MaxSubLayersMinus1,
		ptl:                sps.ProfileTierLevel,
	}
	if w := sps.ConformanceWindow; w != nil {
		// The window is in chroma samples (7.4.3.2.1): SubWidthC = SubHeightC = 2 for 4:2:0.
		l, r, t, b := uint64(w.LeftOffset)*2, uint64(w.RightOffset)*2, uint64(w.TopOffset)*2, uint64(w.BottomOffset)*2
		if l+r >= codedW || t+b >= codedH {
			return SPS{}, fmt.Errorf("%w: conformance window %d,%d,%d,%d leaves nothing of %dx%d", ErrInvalid, l, r, t, b, codedW, codedH)
		}
		s.Width, s.Height = int(codedW-l-r), int(codedH-t-b)
	}
	if vui := sps.VUI; vui != nil && vui.AspectRatioInfoPresentFlag {
		s.AspectRatioIdc, s.SarWidth, s.SarHeight = vui.AspectRatioIdc, vui.SarWidth, vui.SarHeight
	}
	s.Color = colorOf(sps.VUI, s.Height)
	return s, nil
}

// profileName names general_profile_idc values (Annex A.3), as ffprobe does.
func profileName(idc uint8) string {
	switch idc {
	case 1:
		return "Main"
	case 2:
		return "Main 10"
	case 3:
		return "Main Still Picture"
	case 4:
		return "Rext"
	}
	return fmt.Sprintf("general_profile_idc %d", idc)
}

// levelName writes general_level_idc (30 times the level number, A.4.1) as "4.1".
func levelName(idc uint8) string {
	if idc%30 == 0 {
		return fmt.Sprintf("%d", idc/30)
	}
	return fmt.Sprintf("%d.%d", idc/30, idc%30/3)
}

// Codec is the RFC 6381 codecs parameter of the stream in the sample entry entry ("hvc1",
// "hev1"; ISO/IEC 14496-15 E.3): sample entry, profile space and profile, compatibility flags in
// reverse bit order, tier and level, and the constraint bytes without trailing zero bytes, e.g.
// "hvc1.2.4.L93.B0".
func (s SPS) Codec(entry string) string {
	ptl := s.ptl
	var b strings.Builder
	b.WriteString(entry)
	b.WriteByte('.')
	if ptl.GeneralProfileSpace > 0 {
		b.WriteByte('A' + ptl.GeneralProfileSpace - 1)
	}
	fmt.Fprintf(&b, "%d", ptl.GeneralProfileIdc)
	var compat uint32
	for j, set := range ptl.GeneralProfileCompatibilityFlag {
		if set {
			compat |= 1 << j // flag j is bit 31-j of the coded word: reversed, as E.3 wants
		}
	}
	fmt.Fprintf(&b, ".%X", compat)
	tier := 'L'
	if ptl.GeneralTierFlag != 0 {
		tier = 'H'
	}
	fmt.Fprintf(&b, ".%c%d", tier, ptl.GeneralLevelIdc)
	// The first constraint byte: progressive, interlaced, non-packed, frame-only, then the
	// first four of the 43 reserved/constraint bits; the rest are zero in every Main and Main 10
	// stream.
	var c byte
	for i, f := range []bool{ptl.GeneralProgressiveSourceFlag, ptl.GeneralInterlacedSourceFlag,
		ptl.GeneralNonPackedConstraintFlag, ptl.GeneralFrameOnlyConstraintFlag,
		ptl.GeneralMax12bitConstraintFlag, ptl.GeneralMax10bitConstraintFlag,
		ptl.GeneralMax8bitConstraintFlag, ptl.GeneralMax422ChromeConstraintFlag} {
		if f {
			c |= 0x80 >> i
		}
	}
	if c != 0 { // trailing zero bytes are left out
		fmt.Fprintf(&b, ".%X", c)
	}
	return b.String()
}

// colorOf reads video_full_range_flag, the colour description and the chroma location from the
// VUI (E.2.1, E.3.1).
func colorOf(vui *mch265.SPS_VUI, height int) yuv.Color {
	if vui == nil {
		return yuv.VUI{}.Color(height)
	}
	return yuv.VUI{
		SignalTypePresent:  vui.VideoSignalTypePresentFlag,
		FullRange:          vui.VideoFullRangeFlag,
		DescriptionPresent: vui.ColourDescriptionPresentFlag,
		Primaries:          vui.ColourPrimaries,
		Transfer:           vui.TransferCharacteristics,
		Matrix:             vui.MatrixCoefficients,
		ChromaLocPresent:   vui.ChromaLocInfoPresentFlag,
		ChromaLocTopField:  vui.ChromaSampleLocTypeTopField,
	}.Color(height)
}
