package yuv

import "testing"

func TestFromVUI(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		matrix, transfer, primaries uint8
		full                        bool
		height                      int
		want                        Color
	}{
		{"unspecified, 360 lines", 2, 2, 2, false, 360, Color{Matrix: MatrixBT601}},
		{"unspecified, 720 lines", 2, 2, 2, false, 720, Color{Matrix: MatrixBT709}},
		{"BT.709", 1, 1, 1, false, 360, Color{Matrix: MatrixBT709, Specified: true}},
		{"SMPTE 170M, full", 6, 6, 6, true, 1080, Color{Matrix: MatrixBT601, Specified: true, FullRange: true}},
		{"HDR10", 9, 16, 9, false, 2160, Color{Matrix: MatrixBT2020, Specified: true, Transfer: TransferPQ, Primaries: PrimariesBT2020}},
		{"HLG", 9, 18, 9, false, 1080, Color{Matrix: MatrixBT2020, Specified: true, Transfer: TransferHLG, Primaries: PrimariesBT2020}},
		{"BT.2020 SDR, constant luminance", 10, 14, 9, false, 1080, Color{Matrix: MatrixBT2020, Specified: true, Primaries: PrimariesBT2020}},
	} {
		if got := FromVUI(tc.matrix, tc.transfer, tc.primaries, tc.full, tc.height); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if TransferPQ.String() != "PQ" || TransferHLG.String() != "HLG" || TransferSDR.String() != "SDR" || MatrixBT2020.String() != "bt2020" {
		t.Error("names")
	}
}

// TestVUIColor checks what the presence flags hide: a described matrix behind an absent
// signal type or colour description is ignored, as decoders ignore it.
func TestVUIColor(t *testing.T) {
	hdr := VUI{SignalTypePresent: true, DescriptionPresent: true, Primaries: 9, Transfer: 16, Matrix: 9}
	for _, tc := range []struct {
		name   string
		vui    VUI
		height int
		want   Color
	}{
		{"nothing coded", VUI{}, 360, Color{Matrix: MatrixBT601}},
		{"nothing coded, 1080 lines", VUI{}, 1080, Color{Matrix: MatrixBT709}},
		{"HDR10", hdr, 1080, Color{Matrix: MatrixBT2020, Specified: true, Transfer: TransferPQ, Primaries: PrimariesBT2020}},
		{"description without its flag", VUI{SignalTypePresent: true, FullRange: true, Primaries: 9, Transfer: 16, Matrix: 9}, 360,
			Color{Matrix: MatrixBT601, FullRange: true}},
		{"signal type absent", VUI{FullRange: true, DescriptionPresent: true, Matrix: 1}, 360, Color{Matrix: MatrixBT601}},
		{"chroma location 2", VUI{ChromaLocPresent: true, ChromaLocTopField: 2}, 360, Color{Matrix: MatrixBT601, ChromaLoc: 2}},
		{"chroma location out of range", VUI{ChromaLocPresent: true, ChromaLocTopField: 6}, 360, Color{Matrix: MatrixBT601}},
		{"chroma location without its flag", VUI{ChromaLocTopField: 2}, 360, Color{Matrix: MatrixBT601}},
	} {
		if got := tc.vui.Color(tc.height); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
