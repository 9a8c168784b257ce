package h264

import "time"

// Picture is one decoded picture in 8-bit 4:2:0 (I420), cropped as the SPS says
// (frame_cropping, clause 7.4.2.1.1).
//
// The planes point into the decoder's own memory: they are valid only while the emit function
// that received the Picture runs. Copy what you need to keep.
type Picture struct {
	Width, Height int // luma size after cropping
	Y, Cb, Cr     []byte
	YStride       int // bytes from one luma row to the next
	CStride       int // bytes from one chroma row to the next (both chroma planes)
	// PTS is the presentation time handed to Decode with the access unit this picture came from.
	PTS    time.Duration
	Colour Colour
}

// Matrix is the Y'CbCr to R'G'B' matrix (matrix_coefficients, Table E-5).
type Matrix uint8

const (
	// MatrixBT601 is ITU-R BT.601 (matrix_coefficients 5, 6; also 4, FCC, which is nearly equal).
	MatrixBT601 Matrix = iota
	// MatrixBT709 is ITU-R BT.709 (matrix_coefficients 1; also 7, SMPTE 240M, and 9/10,
	// BT.2020, which are nearer to BT.709 than to BT.601 and which an 8-bit SDR cover
	// does not use in practice).
	MatrixBT709
)

func (m Matrix) String() string {
	if m == MatrixBT709 {
		return "bt709"
	}
	return "bt601"
}

// Colour is how the samples map to colour, from the SPS VUI (Annex E.2.1).
type Colour struct {
	Matrix Matrix
	// FullRange is video_full_range_flag: samples use 0..255 instead of 16..235 (luma) and
	// 16..240 (chroma).
	FullRange bool
	// Specified is set when the VUI names the matrix (colour_description_present_flag and a
	// matrix_coefficients value other than 2, "unspecified"). When it is not, Matrix follows
	// the usual convention of players (FFmpeg's swscale, browsers): BT.601 for pictures below
	// 720 lines, BT.709 from 720 lines on.
	Specified bool
	// ChromaLoc is chroma_sample_loc_type_top_field (E.2.1, Figure E-1): 0 (the default when the
	// VUI does not say) is chroma sited left, between two luma columns (MPEG-2 style); 1 is
	// centred (JPEG style); 2 is top-left.
	ChromaLoc uint8
}
