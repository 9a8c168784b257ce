package yuv

import "time"

// Picture is one decoded picture in 4:2:0, cropped as the stream's parameter sets say (H.264
// frame_cropping, H.265 conformance_window).
//
// An 8-bit picture has its samples in Y, Cb and Cr; a picture of 9 to 16 bits has them in Y16,
// Cb16 and Cr16, one sample per element, and the 8-bit planes are nil. Strides count samples,
// not bytes.
//
// The planes point into the decoder's own memory: they are valid only while the emit function
// that received the Picture runs. Copy what you need to keep.
type Picture struct {
	Width, Height   int // luma size after cropping
	BitDepth        int // bits per sample of all three planes, 8 to 16
	Y, Cb, Cr       []byte
	Y16, Cb16, Cr16 []uint16
	YStride         int // samples from one luma row to the next
	CStride         int // samples from one chroma row to the next (both chroma planes)
	// PTS is the presentation time handed to the decoder with the access unit this picture
	// came from.
	PTS   time.Duration
	Color Color
}

// HighBitDepth reports whether the samples are in Y16, Cb16 and Cr16.
func (p *Picture) HighBitDepth() bool { return p.BitDepth > 8 }

// ChromaSize is the size of the Cb and Cr planes: half the luma size, rounded up.
func (p *Picture) ChromaSize() (int, int) { return (p.Width + 1) / 2, (p.Height + 1) / 2 }
