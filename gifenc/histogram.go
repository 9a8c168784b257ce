package gifenc

// histBits is the precision per channel of the colour histogram palettes are
// built from: 32768 bins, of which an 80x80 frame of real footage fills a few
// thousand. Each bin keeps the exact sums of its pixels, so its mean, not its
// centre, stands for it.
const histBits = 5

// histSample bounds the pixels one histogram counts: beyond it, pixels are
// sampled at a regular stride. 1<<20 is 160 frames of 80x80.
const histSample = 1 << 20

// histogram counts the colours of the pixels a palette is built from. It is
// reused from palette to palette, so building one allocates only the palette.
type histogram struct {
	slot [1 << (3 * histBits)]int32 // bin number -> index in bins + 1, 0 when empty
	bins []histBin
}

// histBin is one bin's pixel count and the sums of their channels.
type histBin struct{ n, r, g, b uint64 }

func (b *histBin) mean() uint32 {
	h := b.n / 2
	return pack(byte((b.r+h)/b.n), byte((b.g+h)/b.n), byte((b.b+h)/b.n))
}

func (b *histBin) addBin(o *histBin) {
	b.n += o.n
	b.r += o.r
	b.g += o.g
	b.b += o.b
}

// reset empties h.
func (h *histogram) reset() {
	for i := range h.bins {
		b := &h.bins[i]
		h.slot[binOf(byte(b.r/b.n), byte(b.g/b.n), byte(b.b/b.n))] = 0
	}
	h.bins = h.bins[:0]
}

func binOf(r, g, b byte) int {
	const s = 8 - histBits
	return int(r>>s)<<(2*histBits) | int(g>>s)<<histBits | int(b>>s)
}

// add counts every step-th pixel, weight times each.
func (h *histogram) add(pixels []uint32, step int, weight uint64) {
	for i := 0; i < len(pixels); i += step {
		c := pixels[i]
		r, g, b := byte(c>>16), byte(c>>8), byte(c)
		k := binOf(r, g, b)
		s := h.slot[k]
		if s == 0 {
			h.bins = append(h.bins, histBin{})
			s = int32(len(h.bins))
			h.slot[k] = s
		}
		bin := &h.bins[s-1]
		bin.n += weight
		bin.r += weight * uint64(r)
		bin.g += weight * uint64(g)
		bin.b += weight * uint64(b)
	}
}
