package yuv

// Color is how the samples map to colour, from the video usability information (H.264 Annex
// E.2.1, H.265 Annex E.3.1; the code points are those of ITU-T H.273).
type Color struct {
	Matrix Matrix
	// FullRange is video_full_range_flag: samples use the whole range (0..255 at 8 bits)
	// instead of 16..235 for luma and 16..240 for chroma (scaled by 2^(BitDepth-8)).
	FullRange bool
	// Specified is set when the stream names the matrix (colour_description_present_flag and a
	// matrix_coefficients value other than 2, "unspecified"). When it does not, Matrix follows
	// the usual convention of players (FFmpeg's swscale, browsers): BT.601 for pictures below
	// 720 lines, BT.709 from 720 lines on.
	Specified bool
	// ChromaLoc is chroma_sample_loc_type_top_field (Figure E-1): 0 (the default when the VUI
	// does not say) is chroma sited left, between two luma columns (MPEG-2 style); 1 is centred
	// (JPEG style); 2 is top-left.
	ChromaLoc uint8
	// Transfer is the transfer function the samples were encoded with.
	Transfer Transfer
	// Primaries are the colour primaries of the R'G'B' the matrix gives.
	Primaries Primaries
}

// Matrix is the Y'CbCr to R'G'B' matrix (matrix_coefficients, H.273 Table 4).
type Matrix uint8

const (
	// MatrixBT601 is ITU-R BT.601 (matrix_coefficients 5, 6; also 4, FCC, which is nearly equal).
	MatrixBT601 Matrix = iota
	// MatrixBT709 is ITU-R BT.709 (matrix_coefficients 1; also 7, SMPTE 240M, which is nearly
	// equal).
	MatrixBT709
	// MatrixBT2020 is ITU-R BT.2020 non-constant luminance (matrix_coefficients 9; also 10, the
	// constant-luminance variant, which HDR covers do not use and which is taken as 9).
	MatrixBT2020
)

// String names the matrix as FFmpeg does ("bt709").
func (m Matrix) String() string {
	switch m {
	case MatrixBT709:
		return "bt709"
	case MatrixBT2020:
		return "bt2020"
	}
	return "bt601"
}

// Transfer is the opto-electronic transfer function (transfer_characteristics, H.273 Table 3),
// as far as a conversion to SDR needs to tell them apart.
type Transfer uint8

const (
	// TransferSDR is every standard-dynamic-range curve (BT.709, BT.601, sRGB, BT.2020 10 and
	// 12 bit, unspecified): near enough to one another for a GIF.
	TransferSDR Transfer = iota
	// TransferPQ is SMPTE ST 2084, perceptual quantisation (transfer_characteristics 16), of
	// HDR10 and Dolby Vision.
	TransferPQ
	// TransferHLG is ARIB STD-B67, hybrid log-gamma (transfer_characteristics 18).
	TransferHLG
)

// String names the transfer as HLS's VIDEO-RANGE attribute does (RFC 8216bis 4.4.6.2).
func (t Transfer) String() string {
	switch t {
	case TransferPQ:
		return "PQ"
	case TransferHLG:
		return "HLG"
	}
	return "SDR"
}

// Primaries are the colour primaries (colour_primaries, H.273 Table 2), as far as a conversion
// to a BT.709 display needs to tell them apart.
type Primaries uint8

const (
	// PrimariesBT709 stands for BT.709 and every primaries close to it (BT.601's 525 and 625
	// line primaries, unspecified).
	PrimariesBT709 Primaries = iota
	// PrimariesBT2020 are ITU-R BT.2020's (colour_primaries 9), of HDR and wide-gamut video.
	PrimariesBT2020
)

// VUI holds the colour fields of a sequence parameter set's video usability information as
// coded; H.264 (E.1.1) and H.265 (E.2.1) spell them alike.
type VUI struct {
	SignalTypePresent  bool   // video_signal_type_present_flag
	FullRange          bool   // video_full_range_flag
	DescriptionPresent bool   // colour_description_present_flag
	Primaries          uint8  // colour_primaries
	Transfer           uint8  // transfer_characteristics
	Matrix             uint8  // matrix_coefficients
	ChromaLocPresent   bool   // chroma_loc_info_present_flag
	ChromaLocTopField  uint32 // chroma_sample_loc_type_top_field
}

// Color is the Color the fields describe: what a field left out by its presence flag stands
// for (limited range, "unspecified" code points, chroma location 0), the matrix a player
// assumes for a picture height when the stream names none.
func (v VUI) Color(height int) Color {
	// 2 is "unspecified" for each of the three (H.273).
	matrix, transfer, primaries, full := uint8(2), uint8(2), uint8(2), false
	if v.SignalTypePresent {
		full = v.FullRange
		if v.DescriptionPresent {
			matrix, transfer, primaries = v.Matrix, v.Transfer, v.Primaries
		}
	}
	c := FromVUI(matrix, transfer, primaries, full, height)
	if v.ChromaLocPresent && v.ChromaLocTopField <= 5 {
		c.ChromaLoc = uint8(v.ChromaLocTopField)
	}
	return c
}

// FromVUI makes a Color of the VUI's code points (H.273): matrix, transfer and primaries as
// coded (2, "unspecified", when the VUI does not describe them), the full range flag, and the
// picture height for the matrix a player assumes when the stream names none.
func FromVUI(matrixCoefficients, transferCharacteristics, colorPrimaries uint8, fullRange bool, height int) Color {
	c := Color{FullRange: fullRange, Specified: true}
	switch matrixCoefficients {
	case 1, 7:
		c.Matrix = MatrixBT709
	case 4, 5, 6:
		c.Matrix = MatrixBT601
	case 9, 10:
		c.Matrix = MatrixBT2020
	default:
		c.Specified = false
		if height >= 720 {
			c.Matrix = MatrixBT709
		}
	}
	switch transferCharacteristics {
	case 16:
		c.Transfer = TransferPQ
	case 18:
		c.Transfer = TransferHLG
	}
	if colorPrimaries == 9 {
		c.Primaries = PrimariesBT2020
	}
	return c
}
