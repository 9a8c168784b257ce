package h264

import (
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// SPS is what a sequence parameter set (clause 7.3.2.1.1) says about the pictures that follow
// it, once checked against what this package decodes: the one reading of an SPS, for the
// demuxer (what a stream is, whether it can be converted at all) and for the decoder alike.
type SPS struct {
	yuv.Format        // BitDepth is always 8: ParseSPS refuses the others
	Profile    string // profile_idc's name (Annex A.2), as ffprobe writes it: "High"
	Level      string // level_idc as a level number, "3.1"
	// Codec is the RFC 6381 codecs parameter, avc1.PPCCLL: profile_idc, the constraint flags
	// byte and level_idc as the SPS codes them.
	Codec string

	codedWidth, codedHeight int // whole macroblocks
	cropLeft, cropTop       int // luma samples cut from the left and top edge
}

// Profiles OpenH264 2.3.1 decodes (profile_idc, Annex A.2): Baseline, Main, Extended (without
// data partitioning, which x264 and Apple never write) and High. High 10, 4:2:2, 4:4:4 and the
// SVC/MVC profiles are not decoded.
var supportedProfiles = map[uint8]bool{66: true, 77: true, 88: true, 100: true}

// ParseSPS reads an SPS NAL unit (with its header byte) and refuses, with ErrUnsupported, what
// the decoder does not handle: a profile other than those above, a chroma format other than
// 4:2:0 or samples deeper than 8 bits, interlaced coding, a picture over yuv.MaxWidth x
// yuv.MaxHeight. A broken SPS is ErrInvalid.
func ParseSPS(nalu []byte) (SPS, error) {
	var sps mch264.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return SPS{}, fmt.Errorf("%w: SPS of %d bytes: %v", ErrInvalid, len(nalu), err)
	}
	if !supportedProfiles[sps.ProfileIdc] {
		what := fmt.Sprintf("profile_idc %d", sps.ProfileIdc)
		if name := profileName(sps); name != what {
			what = fmt.Sprintf("the %s profile (%s)", name, what)
		}
		return SPS{}, fmt.Errorf("%w: %s; only Baseline, Main, Extended and High are decoded", ErrUnsupported, what)
	}
	if sps.ChromaFormatIdc != 1 || sps.BitDepthLumaMinus8 != 0 || sps.BitDepthChromaMinus8 != 0 {
		return SPS{}, fmt.Errorf("%w: chroma_format_idc %d, bit depth %d/%d (only 8-bit 4:2:0)",
			ErrUnsupported, sps.ChromaFormatIdc, sps.BitDepthLumaMinus8+8, sps.BitDepthChromaMinus8+8)
	}
	if !sps.FrameMbsOnlyFlag {
		return SPS{}, fmt.Errorf("%w: interlaced coding (frame_mbs_only_flag 0)", ErrUnsupported)
	}
	// uint64: the Exp-Golomb fields may hold up to 2^32-2 in a corrupt SPS.
	codedW := (uint64(sps.PicWidthInMbsMinus1) + 1) * 16
	codedH := (uint64(sps.PicHeightInMapUnitsMinus1) + 1) * 16 // frame_mbs_only: map units are macroblocks
	if codedW > yuv.MaxWidth || codedH > yuv.MaxHeight {
		return SPS{}, fmt.Errorf("%w: coded picture of %dx%d is over the limit of %dx%d", ErrUnsupported, codedW, codedH, yuv.MaxWidth, yuv.MaxHeight)
	}
	s := SPS{
		Format:     yuv.Format{Width: int(codedW), Height: int(codedH), BitDepth: 8, FrameRate: sps.FPS()},
		Profile:    profileName(sps),
		Level:      fmt.Sprintf("%d.%d", sps.LevelIdc/10, sps.LevelIdc%10),
		codedWidth: int(codedW), codedHeight: int(codedH),
	}
	if len(nalu) >= 4 {
		s.Codec = fmt.Sprintf("avc1.%02x%02x%02x", nalu[1], nalu[2], nalu[3])
	}
	if c := sps.FrameCropping; c != nil {
		// 4:2:0 frames: CropUnitX = CropUnitY = 2 (equations 7-19 and 7-20).
		l, r, t, b := uint64(c.LeftOffset)*2, uint64(c.RightOffset)*2, uint64(c.TopOffset)*2, uint64(c.BottomOffset)*2
		if l+r >= codedW || t+b >= codedH {
			return SPS{}, fmt.Errorf("%w: frame cropping %d,%d,%d,%d leaves nothing of %dx%d", ErrInvalid, l, r, t, b, codedW, codedH)
		}
		s.cropLeft, s.cropTop = int(l), int(t)
		s.Width, s.Height = int(codedW-l-r), int(codedH-t-b)
	}
	if vui := sps.VUI; vui != nil && vui.AspectRatioInfoPresentFlag {
		s.AspectRatioIdc, s.SarWidth, s.SarHeight = vui.AspectRatioIdc, vui.SarWidth, vui.SarHeight
	}
	s.Color = colorOf(sps.VUI, s.Height)
	return s, nil
}

// profileName names profile_idc values (Annex A.2), as ffprobe does.
func profileName(sps mch264.SPS) string {
	switch sps.ProfileIdc {
	case 66:
		if sps.ConstraintSet1Flag {
			return "Constrained Baseline"
		}
		return "Baseline"
	case 77:
		return "Main"
	case 88:
		return "Extended"
	case 100:
		return "High"
	case 110:
		return "High 10"
	case 122:
		return "High 4:2:2"
	case 244:
		return "High 4:4:4 Predictive"
	case 44:
		return "CAVLC 4:4:4"
	}
	return fmt.Sprintf("profile_idc %d", sps.ProfileIdc)
}

// colorOf reads video_full_range_flag, the colour description and the chroma location from the
// VUI (E.1.1, E.2.1).
func colorOf(vui *mch264.SPS_VUI, height int) yuv.Color {
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
