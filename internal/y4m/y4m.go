// Package y4m writes decoded pictures as YUV4MPEG2 (the output of `server decode`), with the
// header FFmpeg writes, so that its files compare with FFmpeg's byte for byte.
package y4m

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// Frame is a decoded picture copied out of the decoder: 4:2:0, the planes packed without
// padding (Y, then Cb, then Cr, rows of Width and (Width+1)/2 samples), one byte per sample at 8
// bits, two (little-endian) above, as FFmpeg's yuv420p and yuv420p10le.
type Frame struct {
	Width, Height int
	BitDepth      int
	Color         yuv.Color
	Data          []byte
}

// CopyFrame copies a picture, which is valid only while the decoder's emit runs.
func CopyFrame(p *yuv.Picture) Frame {
	cw, ch := p.ChromaSize()
	f := Frame{Width: p.Width, Height: p.Height, BitDepth: p.BitDepth, Color: p.Color}
	f.Data = make([]byte, 0, f.frameSize())
	if !p.HighBitDepth() {
		for r := range p.Height {
			f.Data = append(f.Data, p.Y[r*p.YStride:r*p.YStride+p.Width]...)
		}
		for _, plane := range [][]byte{p.Cb, p.Cr} {
			for r := range ch {
				f.Data = append(f.Data, plane[r*p.CStride:r*p.CStride+cw]...)
			}
		}
		return f
	}
	put := func(row []uint16) {
		for _, v := range row {
			f.Data = binary.LittleEndian.AppendUint16(f.Data, v)
		}
	}
	for r := range p.Height {
		put(p.Y16[r*p.YStride : r*p.YStride+p.Width])
	}
	for _, plane := range [][]uint16{p.Cb16, p.Cr16} {
		for r := range ch {
			put(plane[r*p.CStride : r*p.CStride+cw])
		}
	}
	return f
}

// frameSize is the bytes of the frame's packed planes.
func (f Frame) frameSize() int {
	n := f.Width*f.Height + 2*((f.Width+1)/2)*((f.Height+1)/2)
	if f.BitDepth > 8 {
		n *= 2
	}
	return n
}

// Writer writes frames as a YUV4MPEG2 stream, with the header FFmpeg writes for
// `-f yuv4mpegpipe -pix_fmt yuv420p` (libavformat/yuv4mpegenc.c): the chroma siting tag follows
// the SPS's chroma location, C420mpeg2 for the default (left), C420jpeg for centred; deeper
// frames are C420p10 (C420p9, C420p12…) as for yuv420p10le, whose tag FFmpeg writes without a
// siting. The header is written with the first frame, whose size and depth every later frame
// must have.
type Writer struct {
	w      *bufio.Writer
	rate   string // F field, "num:den"
	aspect string // A field, "num:den"
	width  int    // of the first frame; 0 before it
	height int
	depth  int
	frames int
	err    error // first write error; later writes do nothing
}

// NewWriter writes to w at frameRate frames per second (0: unknown, written as 25:1, as FFmpeg
// does for a stream without a rate), pictures of samples sarWidth:sarHeight (the A field; 0 for
// either is square, written 1:1). Call Flush at the end.
func NewWriter(w io.Writer, frameRate float64, sarWidth, sarHeight int) *Writer {
	aspect := "1:1"
	if sarWidth > 0 && sarHeight > 0 {
		aspect = fmt.Sprintf("%d:%d", sarWidth, sarHeight)
	}
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), rate: frameRateRatio(frameRate), aspect: aspect}
}

// WriteFrame writes one frame (the header first, with the first frame).
func (y *Writer) WriteFrame(f Frame) error {
	if y.err != nil {
		return y.err
	}
	if want := f.frameSize(); len(f.Data) != want || f.Width <= 0 || f.BitDepth < 8 || f.BitDepth > 16 {
		return fmt.Errorf("y4m: frame %d: %d bytes for %dx%d at %d bits, want %d", y.frames, len(f.Data), f.Width, f.Height, f.BitDepth, want)
	}
	if y.width == 0 {
		y.width, y.height, y.depth = f.Width, f.Height, f.BitDepth
		siting := " C420jpeg XYSCSS=420JPEG"
		switch {
		case f.BitDepth > 8:
			siting = fmt.Sprintf(" C420p%d XYSCSS=420P%d", f.BitDepth, f.BitDepth)
		case f.Color.ChromaLoc == 0:
			siting = " C420mpeg2 XYSCSS=420MPEG2"
		case f.Color.ChromaLoc == 2:
			siting = " C420paldv XYSCSS=420PALDV"
		}
		colorRange := ""
		if f.Color.FullRange {
			colorRange = " XCOLORRANGE=FULL"
		}
		_, y.err = fmt.Fprintf(y.w, "YUV4MPEG2 W%d H%d F%s Ip A%s%s%s\n", f.Width, f.Height, y.rate, y.aspect, siting, colorRange)
	} else if f.Width != y.width || f.Height != y.height || f.BitDepth != y.depth {
		return fmt.Errorf("y4m: frame %d is %dx%d at %d bits, the stream %dx%d at %d", y.frames, f.Width, f.Height, f.BitDepth, y.width, y.height, y.depth)
	}
	if y.err == nil {
		_, y.err = io.WriteString(y.w, "FRAME\n")
	}
	if y.err == nil {
		_, y.err = y.w.Write(f.Data)
	}
	y.frames++
	return y.err
}

// Flush writes what is buffered.
func (y *Writer) Flush() error {
	if y.err != nil {
		return y.err
	}
	y.err = y.w.Flush()
	return y.err
}

// frameRateRatio writes a frame rate as the ratio YUV4MPEG2 wants: whole rates as N:1, NTSC-style
// rates (N*1000/1001) as N000:1001, anything else in thousandths, reduced.
func frameRateRatio(fps float64) string {
	if fps <= 0 || math.IsNaN(fps) || math.IsInf(fps, 0) {
		return "25:1"
	}
	if n := math.Round(fps); math.Abs(fps-n) < 1e-6 {
		return fmt.Sprintf("%d:1", int64(n))
	}
	if n := math.Round(fps * 1001 / 1000); math.Abs(fps-n*1000/1001) < 1e-6 {
		return fmt.Sprintf("%d:1001", int64(n)*1000)
	}
	num, den := int64(math.Round(fps*1000)), int64(1000)
	a, b := num, den
	for b != 0 {
		a, b = b, a%b
	}
	return fmt.Sprintf("%d:%d", num/a, den/a)
}
