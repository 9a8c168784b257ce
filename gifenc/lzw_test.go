package gifenc

import (
	"bytes"
	"compress/lzw"
	"io"
	"math/rand/v2"
	"testing"
)

// unblock reverses appendBlocks.
func unblock(t testing.TB, b []byte) []byte {
	var out []byte
	for {
		if len(b) == 0 {
			t.Fatal("sub-blocks without terminator")
		}
		n := int(b[0])
		if n == 0 {
			return out
		}
		out = append(out, b[1:1+n]...)
		b = b[1+n:]
	}
}

// TestLZW decodes the encoder's output with compress/lzw (what image/gif
// uses) for every minimum code size, across table resets.
func TestLZW(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var e lzwEncoder
	for lit := 2; lit <= 8; lit++ {
		for _, n := range []int{1, 2, 3, 100, 5000, 70000} {
			for _, kind := range []string{"random", "runs", "constant"} {
				pix := make([]byte, n)
				for i := range pix {
					switch kind {
					case "random":
						pix[i] = byte(rng.IntN(1 << lit))
					case "runs":
						pix[i] = byte((i / 37) % (1 << lit))
					}
				}
				blocks := appendBlocks(nil, e.encode(nil, pix, lit))
				r := lzw.NewReader(bytes.NewReader(unblock(t, blocks)), lzw.LSB, lit)
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("lit %d n %d %s: %v", lit, n, kind, err)
				}
				if !bytes.Equal(got, pix) {
					t.Fatalf("lit %d n %d %s: round trip differs", lit, n, kind)
				}
			}
		}
	}
}

// lzwFrame is what one 80x80 frame's LZW input looks like after differencing:
// runs of the transparent index between changed pixels.
func lzwFrame() []byte {
	rng := rand.New(rand.NewPCG(5, 5))
	pix := make([]byte, 80*80)
	for i := range pix {
		if rng.IntN(3) == 0 {
			pix[i] = 31
		} else {
			pix[i] = byte(rng.IntN(8) + (i/80)%20)
		}
	}
	return pix
}

func BenchmarkLZW(b *testing.B) {
	pix := lzwFrame()
	b.Run("own", func(b *testing.B) {
		var e lzwEncoder
		var out []byte
		b.SetBytes(int64(len(pix)))
		for b.Loop() {
			out = e.encode(out[:0], pix, 5)
		}
		b.ReportMetric(float64(len(out)), "bytes/op-out")
	})
	b.Run("compress-lzw", func(b *testing.B) {
		var buf bytes.Buffer
		w := lzw.NewWriter(&buf, lzw.LSB, 5).(*lzw.Writer)
		b.SetBytes(int64(len(pix)))
		for b.Loop() {
			buf.Reset()
			w.Reset(&buf, lzw.LSB, 5)
			w.Write(pix)
			w.Close()
		}
		b.ReportMetric(float64(buf.Len()), "bytes/op-out")
	})
}
