package codec

import (
	"fmt"

	"github.com/Eyevinn/mp4ff/mp4"
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

// sampleAspectRatios are the ratios of aspect_ratio_idc 1 to 16 (ISO/IEC 14496-10 Table E-1).
var sampleAspectRatios = [...]AspectRatio{
	1: {1, 1}, 2: {12, 11}, 3: {10, 11}, 4: {16, 11}, 5: {40, 33}, 6: {24, 11}, 7: {20, 11}, 8: {32, 11},
	9: {80, 33}, 10: {18, 11}, 11: {15, 11}, 12: {64, 33}, 13: {160, 99}, 14: {4, 3}, 15: {3, 2}, 16: {2, 1},
}

// extendedSAR is the aspect_ratio_idc whose ratio follows as sar_width and sar_height.
const extendedSAR = 255

// sampleAspect is the SPS's sample aspect ratio.
func (s spsInfo) sampleAspect() AspectRatio {
	return vuiAspectRatio(int(s.AspectRatioIdc), int64(s.SarWidth), int64(s.SarHeight))
}

// vuiAspectRatio is the ratio of an SPS's VUI (Annex E.2.1): of aspect_ratio_idc, and
// sar_width:sar_height for Extended_SAR (the same in H.264 and H.265); square when the SPS
// gives none (idc 0), an unspecified one (17..254) or a zero width or height.
func vuiAspectRatio(idc int, sarWidth, sarHeight int64) AspectRatio {
	switch {
	case idc == extendedSAR:
		a, _ := boundedAspect(sarWidth, sarHeight) // zero when either is
		return a
	case idc > 0 && idc < len(sampleAspectRatios):
		return sampleAspectRatios[idc]
	}
	return AspectRatio{}
}

// containerAspectRatio is the sample shape an MP4 track gives, which wins over the SPS's as in
// FFmpeg 5.1 (Debian 12's; tried on testdata/compat's files): its MOV demuxer sets the stream's
// ratio from the pasp box, or when there is none from the track header's size (tkhd) where it
// differs from the sample entry's, and ffmpeg hands the stream's ratio, when set, to every
// frame. ok is false when the track says nothing: the SPS's ratio stands.
func containerAspectRatio(tkhd *mp4.TkhdBox, entry *mp4.VisualSampleEntryBox) (AspectRatio, bool) {
	if a, ok := paspAspectRatio(entry.Pasp); ok {
		return a, true
	}
	if tkhd == nil {
		return AspectRatio{}, false
	}
	// tkhd's width and height are 16.16 fixed point; FFmpeg takes their whole part.
	tw, th := int64(tkhd.Width>>16), int64(tkhd.Height>>16)
	w, h := int64(entry.Width), int64(entry.Height)
	if tw == 0 || th == 0 || w == 0 || h == 0 || (tw == w && th == h) {
		return AspectRatio{}, false
	}
	return boundedAspect(h*tw, w*th)
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
	return boundedAspect(int64(pasp.HSpacing), int64(pasp.VSpacing))
}

// boundedAspect is w:h in lowest terms, or not ok beyond maxPixelAspect.
func boundedAspect(w, h int64) (AspectRatio, bool) {
	x, y := w, h
	for y != 0 {
		x, y = y, x%y
	}
	if x == 0 || w/x > maxPixelAspect || h/x > maxPixelAspect {
		return AspectRatio{}, false
	}
	return AspectRatio{int(w / x), int(h / x)}, true
}
