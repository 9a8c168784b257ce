package gifenc

import (
	"image"
	"image/color"

	"github.com/ericpauley/go-quantize/quantize"
)

// Colour lookup cache: colours are reduced to cacheBits per channel and the
// nearest palette entry of each reduced colour is found once, on first use.
const (
	cacheBits  = 6
	cacheShift = 8 - cacheBits
	cacheSize  = 1 << (3 * cacheBits)
	// cacheUnknown cannot be a visible index: the transparent index, len(rgb),
	// is at most 255, so visible ones are at most 254. One byte per entry
	// keeps the cache in the L1 data cache.
	cacheUnknown = 0xFF
	// lloydRounds of k-means at most refine the median cut palette: median cut
	// splits boxes at the median, which leaves entries away from where the
	// pixels of a box are. On bench/gifcompare's clip 4 rounds gave +0.3 dB,
	// 20 rounds +1.0 dB, 40 no more.
	lloydRounds = 20
	// paletteSample bounds the pixels a palette is built from.
	paletteSample = 1 << 16
)

// palette is one colour table: n visible colours and a transparent index n,
// padded to a power of two (GIF89a section 18, "Size of Global Color Table").
type palette struct {
	rgb     []uint32         // visible colours, 0xRRGGBB
	bits    int              // table size is 1<<bits
	trans   byte             // transparent index, == len(rgb)
	baseMSE float64          // mean squared error on the pixels it was built from
	cache   [cacheSize]uint8 // reduced colour -> index, cacheUnknown until first use
}

func pack(r, g, b byte) uint32 { return uint32(r)<<16 | uint32(g)<<8 | uint32(b) }

// newPalette builds a palette of at most visible colours from packed RGB
// pixels: median cut (github.com/ericpauley/go-quantize), then Lloyd rounds.
func newPalette(pixels []byte, visible int) *palette {
	step := 1
	if n := len(pixels) / 3; n > paletteSample {
		step = (n + paletteSample - 1) / paletteSample
	}
	sample := make([]uint8, 0, len(pixels)/step/3*4+4)
	for i := 0; i+2 < len(pixels); i += 3 * step {
		sample = append(sample, pixels[i], pixels[i+1], pixels[i+2], 255)
	}
	img := &image.RGBA{Pix: sample, Stride: len(sample), Rect: image.Rect(0, 0, len(sample)/4, 1)}
	q := quantize.MedianCutQuantizer{Aggregation: quantize.Mean}
	cp := q.Quantize(make(color.Palette, 0, visible), img)

	p := &palette{}
	for i := range p.cache {
		p.cache[i] = cacheUnknown
	}
	for _, c := range cp {
		r, g, b, _ := c.RGBA()
		p.rgb = append(p.rgb, pack(byte(r>>8), byte(g>>8), byte(b>>8)))
	}
	if len(p.rgb) == 0 {
		p.rgb = append(p.rgb, 0)
	}
	p.baseMSE = p.refine(sample)
	p.trans = byte(len(p.rgb))
	for p.bits = 1; 1<<p.bits < len(p.rgb)+1; p.bits++ {
	}
	return p
}

// refine moves each colour to the mean of the pixels nearest to it and
// returns the mean squared error (per channel) after the last round.
func (p *palette) refine(rgba []uint8) float64 {
	n := len(p.rgb)
	sums := make([][4]int64, n)
	var sse int64
	for round := 0; ; round++ {
		clear(sums)
		sse = 0
		for i := 0; i < len(rgba); i += 4 {
			c := pack(rgba[i], rgba[i+1], rgba[i+2])
			j, d := p.nearest(c)
			s := &sums[j]
			s[0] += int64(rgba[i])
			s[1] += int64(rgba[i+1])
			s[2] += int64(rgba[i+2])
			s[3]++
			sse += int64(d)
		}
		if round == lloydRounds {
			break
		}
		moved := false
		for j, s := range sums {
			if s[3] > 0 {
				h := s[3] / 2
				c := pack(byte((s[0]+h)/s[3]), byte((s[1]+h)/s[3]), byte((s[2]+h)/s[3]))
				moved = moved || c != p.rgb[j]
				p.rgb[j] = c
			}
		}
		if !moved {
			break
		}
	}
	return float64(sse) / float64(3*max(1, len(rgba)/4))
}

// nearest searches all colours for the one closest to c (squared Euclidean
// distance in RGB, what PSNR measures).
func (p *palette) nearest(c uint32) (int, int32) {
	r, g, b := int32(c>>16), int32(c>>8&0xff), int32(c&0xff)
	best, bestD := 0, int32(1<<30)
	for i, q := range p.rgb {
		dr, dg, db := r-int32(q>>16), g-int32(q>>8&0xff), b-int32(q&0xff)
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

// index returns the palette entry for a colour, through the cache.
func (p *palette) index(r, g, b byte) byte {
	k := int(r>>cacheShift)<<(2*cacheBits) | int(g>>cacheShift)<<cacheBits | int(b>>cacheShift)
	if v := p.cache[k]; v != cacheUnknown {
		return v
	}
	return p.fill(k)
}

func (p *palette) fill(k int) byte {
	const half = 1 << cacheShift >> 1
	const mask = 1<<cacheBits - 1
	r := byte(k>>(2*cacheBits)&mask)<<cacheShift | half
	g := byte(k>>cacheBits&mask)<<cacheShift | half
	b := byte(k&mask)<<cacheShift | half
	i, _ := p.nearest(pack(r, g, b))
	p.cache[k] = byte(i)
	return byte(i)
}

// mse estimates the mean squared error (per channel) of mapping pixels to p,
// from every 13th pixel (a stride prime to common widths).
func (p *palette) mse(pixels []byte) float64 {
	var sse int64
	var n int64
	for i := 0; i+2 < len(pixels); i += 3 * 13 {
		r, g, b := pixels[i], pixels[i+1], pixels[i+2]
		q := p.rgb[p.index(r, g, b)]
		dr, dg, db := int64(r)-int64(q>>16), int64(g)-int64(q>>8&0xff), int64(b)-int64(q&0xff)
		sse += dr*dr + dg*dg + db*db
		n++
	}
	return float64(sse) / float64(3*max(1, n))
}

// table returns the colour table as written in the file: 3<<bits bytes.
func (p *palette) table() []byte {
	t := make([]byte, 3<<p.bits)
	for i, c := range p.rgb {
		t[3*i], t[3*i+1], t[3*i+2] = byte(c>>16), byte(c>>8), byte(c)
	}
	return t
}

// paletteErrorFloor keeps a palette that fits its first frame almost
// perfectly from being replaced for every small change (mean squared error per
// channel, about 5 levels RMS).
const paletteErrorFloor = 25

// limit is the error above which a frame gets a palette of its own.
func (p *palette) limit(threshold float64) float64 {
	return threshold*p.baseMSE + paletteErrorFloor
}
