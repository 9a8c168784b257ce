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
	width := uint(litWidth + 1)
	hi := eoi
	overflow := clearCode << 1
	var acc uint64
	var nacc uint

	put := func(code uint32) {
		acc |= uint64(code) << nacc
		nacc += width
		if nacc >= 32 {
			dst = append(dst, byte(acc), byte(acc>>8), byte(acc>>16), byte(acc>>24))
			acc >>= 32
			nacc -= 32
		}
	}
	// next accounts for the dictionary entry a decoder adds after each code;
	// it reports false when the table is full and was restarted.
	next := func() bool {
		hi++
		if hi == overflow {
			width++
			overflow <<= 1
		}
		if hi == lzwMaxCode {
			put(clearCode)
			width = uint(litWidth + 1)
			hi = eoi
			overflow = clearCode << 1
			clear(e.table[:])
			return false
		}
		return true
	}

	// A leading clear code, as most encoders write and some decoders expect.
	put(clearCode)
	clear(e.table[:])
	if len(pix) == 0 {
		put(eoi)
	} else {
		code := uint32(pix[0])
	pixels:
		for _, s := range pix[1:] {
			key := code<<8 | uint32(s)
			h := (key * lzwHashMul) >> lzwHashShift
			for {
				t := e.table[h]
				if t == 0 {
					break
				}
				if t>>lzwKeyShift == key {
					code = t & lzwCodeMask
					continue pixels
				}
				h = (h + 1) & lzwHashMask
			}
			put(code)
			code = uint32(s)
			if next() {
				e.table[h] = key<<lzwKeyShift | hi
			}
		}
		put(code)
		next()
		put(eoi)
	}
	for nacc > 0 {
		dst = append(dst, byte(acc))
		acc >>= 8
		nacc -= min(nacc, 8)
	}
	return dst
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
