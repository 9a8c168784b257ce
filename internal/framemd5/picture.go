package framemd5

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// PictureSum hashes a decoded picture as FFmpeg's framemd5 does for yuv420p and yuv420p10le,
// so that it compares with a Frame's MD5: every row of Y, then of U, then of V, width samples
// each, deeper samples as two little-endian bytes.
func PictureSum(p *yuv.Picture) string {
	h := md5.New()
	cw, ch := p.ChromaSize()
	if !p.HighBitDepth() {
		for r := range p.Height {
			h.Write(p.Y[r*p.YStride : r*p.YStride+p.Width])
		}
		for _, plane := range [][]byte{p.Cb, p.Cr} {
			for r := range ch {
				h.Write(plane[r*p.CStride : r*p.CStride+cw])
			}
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	row := func(s []uint16) {
		b := make([]byte, 0, 2*len(s))
		for _, v := range s {
			b = binary.LittleEndian.AppendUint16(b, v)
		}
		h.Write(b)
	}
	for r := range p.Height {
		row(p.Y16[r*p.YStride : r*p.YStride+p.Width])
	}
	for _, plane := range [][]uint16{p.Cb16, p.Cr16} {
		for r := range ch {
			row(plane[r*p.CStride : r*p.CStride+cw])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
