package h265

import (
	"fmt"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// format is what a sequence parameter set (clause 7.3.2.2) fixes about the pictures that follow
// it: size after the conformance window, bit depth and colour.
type format struct {
	width, height int
	bitDepth      int
	colour        yuv.Colour
}

// parseFormat reads an SPS NAL unit (with its two-byte header) and checks it against what the
// decoder handles, before libde265 sees it. It also returns sps_seq_parameter_set_id.
func parseFormat(nalu []byte) (format, uint32, error) {
	f, sps, err := checkSPS(nalu)
	return f, uint32(sps.ID), err
}

func checkSPS(nalu []byte) (format, mch265.SPS, error) {
	var sps mch265.SPS
	if err := sps.Unmarshal(nalu); err != nil {
		return format{}, sps, fmt.Errorf("%w: SPS of %d bytes: %v", ErrInvalid, len(nalu), err)
	}
	if sps.ChromaFormatIdc != 1 {
		return format{}, sps, fmt.Errorf("%w: chroma_format_idc %d (only 4:2:0)", ErrUnsupported, sps.ChromaFormatIdc)
	}
	luma, chroma := uint64(sps.BitDepthLumaMinus8)+8, uint64(sps.BitDepthChromaMinus8)+8
	if luma != chroma || luma > MaxBitDepth {
		return format{}, sps, fmt.Errorf("%w: bit depth %d (luma) and %d (chroma); only equal depths up to %d", ErrUnsupported, luma, chroma, MaxBitDepth)
	}
	codedW, codedH := uint64(sps.PicWidthInLumaSamples), uint64(sps.PicHeightInLumaSamples)
	if codedW > MaxWidth || codedH > MaxHeight {
		return format{}, sps, fmt.Errorf("%w: coded size %dx%d is over the limit %dx%d", ErrUnsupported, codedW, codedH, MaxWidth, MaxHeight)
	}
	if codedW == 0 || codedH == 0 {
		return format{}, sps, fmt.Errorf("%w: coded size %dx%d", ErrInvalid, codedW, codedH)
	}
	f := format{width: int(codedW), height: int(codedH), bitDepth: int(luma)}
	if w := sps.ConformanceWindow; w != nil {
		// The window is in chroma samples (7.4.3.2.1): SubWidthC = SubHeightC = 2 for 4:2:0.
		l, r, t, b := uint64(w.LeftOffset)*2, uint64(w.RightOffset)*2, uint64(w.TopOffset)*2, uint64(w.BottomOffset)*2
		if l+r >= codedW || t+b >= codedH {
			return format{}, sps, fmt.Errorf("%w: conformance window %d,%d,%d,%d leaves nothing of %dx%d", ErrInvalid, l, r, t, b, codedW, codedH)
		}
		f.width, f.height = int(codedW-l-r), int(codedH-t-b)
	}
	f.colour = colourOf(sps.VUI, f.height)
	return f, sps, nil
}

// colourOf reads video_full_range_flag, the colour description and the chroma location from the
// VUI (E.2.1, E.3.1).
func colourOf(vui *mch265.SPS_VUI, height int) yuv.Colour {
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
