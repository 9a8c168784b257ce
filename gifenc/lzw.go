package gifenc

// Variable-length-code LZW as GIF89a Appendix F describes it: codes start at
// minimum code size + 1 bits, grow by one bit when the next code to assign
// needs it, stop growing at 12 bits, where a clear code restarts the table.
// Codes are packed least significant bit first.
const (
	lzwMaxCode   = 1<<12 - 1
	lzwHashBits  = 13
	lzwHashSize  = 1 << lzwHashBits
	lzwHashMask  = lzwHashSize - 1
	lzwCodeMask  = 1<<12 - 1
	lzwKeyShift  = 12
	lzwHashMul   = 0x9E3779B1
	lzwHashShift = 32 - lzwHashBits
)

// lzwEncoder keeps its dictionary between calls so no memory is allocated per
// frame. Its table is an open-addressing hash of (prefix code << 8 | symbol)
// to code; entries hold key << 12 | code, 0 when empty (code 0 is always a
// literal, never a dictionary entry).
type lzwEncoder struct {
	table [lzwHashSize]uint32
}

// encode appends the LZW code stream of pix (every value < 1<<litWidth) to dst
// and returns it. litWidth is the GIF "LZW Minimum Code Size", 2..8.
func (e *lzwEncoder) encode(dst, pix []byte, litWidth int) []byte {
	clearCode := uint32(1) << litWidth
	eoi := clearCode + 1
	w := lzwWriter{dst: dst, width: uint(litWidth + 1)}
	hi := eoi                  // the last code assigned
	overflow := clearCode << 1 // the first code that needs one more bit

	// A leading clear code, as most encoders write and some decoders expect.
	w.put(clearCode)
	clear(e.table[:])
	if len(pix) == 0 {
		w.put(eoi)
		return w.finish()
	}
	code := uint32(pix[0])
pixels:
	for _, s := range pix[1:] {
		key := code<<8 | uint32(s)
		h := (key * lzwHashMul) >> lzwHashShift
		for {
			t := e.table[h&lzwHashMask]
			if t == 0 {
				break
			}
			if t>>lzwKeyShift == key {
				code = t & lzwCodeMask
				continue pixels
			}
			h = (h + 1) & lzwHashMask
		}
		w.put(code)
		code = uint32(s)
		// The decoder adds an entry after each code: assign the same one, grow
		// the code width when it needs a bit more, restart when the table is full.
		hi++
		if hi == overflow {
			w.width++
			overflow <<= 1
		}
		if hi == lzwMaxCode {
			w.put(clearCode)
			w.width = uint(litWidth + 1)
			hi = eoi
			overflow = clearCode << 1
			clear(e.table[:])
			continue
		}
		e.table[h&lzwHashMask] = key<<lzwKeyShift | hi
	}
	w.put(code)
	// The entry the decoder adds after the last code can still widen the codes.
	if hi++; hi == overflow {
		w.width++
	}
	w.put(eoi)
	return w.finish()
}

// lzwWriter packs codes least significant bit first.
type lzwWriter struct {
	dst   []byte
	acc   uint64 // bits not yet written
	nacc  uint   // how many
	width uint   // current code width
}

func (w *lzwWriter) put(code uint32) {
	w.acc |= uint64(code) << w.nacc
	w.nacc += w.width
	if w.nacc >= 32 {
		w.dst = append(w.dst, byte(w.acc), byte(w.acc>>8), byte(w.acc>>16), byte(w.acc>>24))
		w.acc >>= 32
		w.nacc -= 32
	}
}

// finish writes the last partial byte and returns the code stream.
func (w *lzwWriter) finish() []byte {
	for w.nacc > 0 {
		w.dst = append(w.dst, byte(w.acc))
		w.acc >>= 8
		w.nacc -= min(w.nacc, 8)
	}
	return w.dst
}

// appendBlocks appends data as GIF data sub-blocks (GIF89a section 15): a
// length byte of at most 255 before each piece, then the block terminator.
func appendBlocks(dst, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), 255)
		dst = append(dst, byte(n))
		dst = append(dst, data[:n]...)
		data = data[n:]
	}
	return append(dst, 0)
}
