package yuv

// Format is what a sequence parameter set fixes about the pictures that follow it, whatever the
// codec (ISO/IEC 14496-10 7.3.2.1.1, ITU-T H.265 7.3.2.2, and the VUI of their Annex E): size,
// depth and colour, the shape of the samples, and the rate the VUI's timing gives.
type Format struct {
	Width, Height int     // after cropping (H.264 frame cropping, H.265 conformance window)
	BitDepth      int     // bits per sample, luma and chroma alike
	FrameRate     float64 // from the VUI's timing; 0 when absent
	// AspectRatioIdc, SarWidth and SarHeight are the VUI's sample aspect ratio (Table E-1, the
	// same in both codecs; 255 is Extended_SAR, whose ratio is SarWidth:SarHeight); 0 when the
	// SPS gives none.
	AspectRatioIdc      uint8
	SarWidth, SarHeight uint16
	Color               Color
}
