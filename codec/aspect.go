package codec

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// AspectRatio is the shape of a picture's samples, width to height: ISO/IEC 14496-10 Annex E's
// sample aspect ratio, ISO/IEC 14496-12's pixel aspect ratio (pasp). The zero value, like 1:1,
// means square samples.
type AspectRatio struct {
	Width, Height int
}

// Square tells whether samples are as wide as they are high.
func (a AspectRatio) Square() bool { return a.Width <= 0 || a.Height <= 0 || a.Width == a.Height }

// String writes it as ffprobe does, "4:3"; square as "1:1".
func (a AspectRatio) String() string {
	if a.Width <= 0 || a.Height <= 0 {
		return "1:1"
	}
	return fmt.Sprintf("%d:%d", a.Width, a.Height)
}

// DisplaySize is the size a w x h picture of these samples is shown at: its width stretched or
// narrowed by the ratio, its height kept, as ffmpeg's scale=iw*sar:ih shows it (rounded to the
// nearest pixel).
func (a AspectRatio) DisplaySize(w, h int) (int, int) {
	if a.Square() {
		return w, h
	}
	return int((int64(w)*int64(a.Width) + int64(a.Height)/2) / int64(a.Height)), h
}

// reduced is a in lowest terms.
func (a AspectRatio) reduced() AspectRatio {
	x, y := a.Width, a.Height
	for y != 0 {
		x, y = y, x%y
	}
	if x <= 1 {
		return a
	}
	return AspectRatio{a.Width / x, a.Height / x}
}

// sampleAspectRatios are the ratios of aspect_ratio_idc 1 to 16 (ISO/IEC 14496-10 Table E-1).
var sampleAspectRatios = [...]AspectRatio{
	1: {1, 1}, 2: {12, 11}, 3: {10, 11}, 4: {16, 11}, 5: {40, 33}, 6: {24, 11}, 7: {20, 11}, 8: {32, 11},
	9: {80, 33}, 10: {18, 11}, 11: {15, 11}, 12: {64, 33}, 13: {160, 99}, 14: {4, 3}, 15: {3, 2}, 16: {2, 1},
}

// extendedSAR is the aspect_ratio_idc whose ratio follows as sar_width and sar_height.
const extendedSAR = 255

// spsAspectRatio reads the sample aspect ratio of an SPS's VUI (Annex E.2.1); square when the
// SPS gives none, an unspecified one (0, 17..254) or a zero width or height.
func spsAspectRatio(sps *h264.SPS) AspectRatio {
	vui := sps.VUI
	if vui == nil || !vui.AspectRatioInfoPresentFlag {
		return AspectRatio{}
	}
	switch idc := int(vui.AspectRatioIdc); {
	case idc == extendedSAR:
		if vui.SarWidth == 0 || vui.SarHeight == 0 {
			return AspectRatio{}
		}
		return AspectRatio{int(vui.SarWidth), int(vui.SarHeight)}.reduced()
	case idc > 0 && idc < len(sampleAspectRatios):
		return sampleAspectRatios[idc]
	}
	return AspectRatio{}
}

// maxPixelAspect bounds a pasp box's spacings, as FFmpeg's MOV demuxer bounds them (av_reduce
// to 32767): a ratio beyond it is no real pixel.
const maxPixelAspect = 32767

// paspAspectRatio reads a sample entry's pixel aspect ratio box (ISO/IEC 14496-12 12.1.4);
// ok is false when there is none or it holds a zero.
func paspAspectRatio(pasp *mp4.PaspBox) (AspectRatio, bool) {
	if pasp == nil || pasp.HSpacing == 0 || pasp.VSpacing == 0 {
		return AspectRatio{}, false
	}
	a := AspectRatio{int(min(pasp.HSpacing, 1<<30)), int(min(pasp.VSpacing, 1<<30))}.reduced()
	if a.Width > maxPixelAspect || a.Height > maxPixelAspect {
		return AspectRatio{}, false
	}
	return a, true
}
