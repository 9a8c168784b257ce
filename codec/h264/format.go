package h264

import (
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// format is what a sequence parameter set (clause 7.3.2.1.1) fixes about the pictures that
// follow it: coded and cropped size and colour.
type format struct {
	codedWidth, codedHeight int // whole macroblocks
	cropLeft, cropTop       int // luma samples cut from the left and top edge
	width, height           int // after cropping
	colour                  yuv.Colour
}

// Profiles OpenH264 2.3.1 decodes (profile_idc, Annex A.2): Baseline, Main, Extended (without
// data partitioning, which x264 and Apple never write) and High. High 10, 4:2:2, 4:4:4 and the
// SVC/MVC profiles are not decoded.
var supportedProfiles = map[uint8]string{66: "Baseline", 77: "Main", 88: "Extended", 100: "High"}

// parseFormat reads an SPS NAL unit (with its header byte) and checks it against what the
// decoder handles, before the decoder sees it.
func parseFormat(nalu []byte) (format, error) {
	var sps mch264.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return format{}, fmt.Errorf("%w: SPS of %d bytes: %v", ErrInvalid, len(nalu), err)
	}
	if _, ok := supportedProfiles[sps.ProfileIdc]; !ok {
		return format{}, fmt.Errorf("%w: profile_idc %d (only Baseline, Main, Extended and High)", ErrUnsupported, sps.ProfileIdc)
	}
	if sps.ChromaFormatIdc != 1 || sps.BitDepthLumaMinus8 != 0 || sps.BitDepthChromaMinus8 != 0 {
		return format{}, fmt.Errorf("%w: chroma_format_idc %d, bit depth %d/%d (only 8-bit 4:2:0)",
			ErrUnsupported, sps.ChromaFormatIdc, sps.BitDepthLumaMinus8+8, sps.BitDepthChromaMinus8+8)
	}
	if !sps.FrameMbsOnlyFlag {
		return format{}, fmt.Errorf("%w: interlaced coding (frame_mbs_only_flag 0)", ErrUnsupported)
	}
	// uint64: the Exp-Golomb fields may hold up to 2^32-2 in a corrupt SPS.
	codedW := (uint64(sps.PicWidthInMbsMinus1) + 1) * 16
	codedH := (uint64(sps.PicHeightInMapUnitsMinus1) + 1) * 16 // frame_mbs_only: map units are macroblocks
	if codedW > MaxWidth || codedH > MaxHeight {
		return format{}, fmt.Errorf("%w: coded size %dx%d is over the limit %dx%d", ErrUnsupported, codedW, codedH, MaxWidth, MaxHeight)
	}
	f := format{codedWidth: int(codedW), codedHeight: int(codedH), width: int(codedW), height: int(codedH)}
	if c := sps.FrameCropping; c != nil {
		// 4:2:0 frames: CropUnitX = CropUnitY = 2 (equations 7-19 and 7-20).
		l, r, t, b := uint64(c.LeftOffset)*2, uint64(c.RightOffset)*2, uint64(c.TopOffset)*2, uint64(c.BottomOffset)*2
		if l+r >= codedW || t+b >= codedH {
			return format{}, fmt.Errorf("%w: frame cropping %d,%d,%d,%d leaves nothing of %dx%d", ErrInvalid, l, r, t, b, codedW, codedH)
		}
		f.cropLeft, f.cropTop = int(l), int(t)
		f.width, f.height = int(codedW-l-r), int(codedH-t-b)
	}
	f.colour = colourOf(sps.VUI, f.height)
	return f, nil
}

// colourOf reads video_full_range_flag, the colour description and the chroma location from the
// VUI (E.1.1, E.2.1).
func colourOf(vui *mch264.SPS_VUI, height int) yuv.Colour {
	// 2 is "unspecified" for each of the three (H.273).
	matrix, transfer, primaries, full := uint8(2), uint8(2), uint8(2), false
	if vui != nil && vui.VideoSignalTypePresentFlag {
		full = vui.VideoFullRangeFlag
		if vui.ColourDescriptionPresentFlag {
			matrix, transfer, primaries = vui.MatrixCoefficients, vui.TransferCharacteristics, vui.ColourPrimaries
		}
	}
	c := yuv.FromVUI(matrix, transfer, primaries, full, height)
	if vui != nil && vui.ChromaLocInfoPresentFlag && vui.ChromaSampleLocTypeTopField <= 5 {
		c.ChromaLoc = uint8(vui.ChromaSampleLocTypeTopField)
	}
	return c
}
