// Command qtudta ends every user data list (udta) of an MP4 or QuickTime file's movie box, the
// movie's and each track's, with the 32-bit zero QuickTime allows there, as Apple's tools write
// it. It adds a udta holding only that zero to a track that has none. The movie box must be the
// last box of the file, so that no sample moves. testdata/make-fixtures.sh runs it:
//
//	go run ./tools/qtudta IN OUT   (from testdata/)
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: qtudta IN OUT")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "qtudta:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	boxes, err := split(data)
	if err != nil {
		return err
	}
	last := boxes[len(boxes)-1]
	if string(last[4:8]) != "moov" {
		return errors.New("the movie box is not the last box (make the file without faststart)")
	}
	moov, err := terminate(last)
	if err != nil {
		return err
	}
	head := data[:len(data)-len(last)]
	return os.WriteFile(out, append(append([]byte{}, head...), moov...), 0o644)
}

// split cuts b into its boxes (32-bit sizes only, which is what these small files have).
func split(b []byte) ([][]byte, error) {
	var boxes [][]byte
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("%d bytes left, not a box", len(b))
		}
		size := int(binary.BigEndian.Uint32(b))
		if size < 8 || size > len(b) {
			return nil, fmt.Errorf("box %q of size %d in %d bytes", b[4:8], size, len(b))
		}
		boxes = append(boxes, b[:size])
		b = b[size:]
	}
	return boxes, nil
}

// terminate rebuilds a moov or trak box with each udta child ending in a zero.
func terminate(box []byte) ([]byte, error) {
	children, err := split(box[8:])
	if err != nil {
		return nil, err
	}
	body := []byte{}
	hasUserData := false
	for _, c := range children {
		switch string(c[4:8]) {
		case "trak":
			if c, err = terminate(c); err != nil {
				return nil, err
			}
		case "udta":
			hasUserData = true
			c = withSize(append(append([]byte{}, c...), 0, 0, 0, 0))
		}
		body = append(body, c...)
	}
	if string(box[4:8]) == "trak" && !hasUserData {
		body = append(body, withSize([]byte{0, 0, 0, 0, 'u', 'd', 't', 'a', 0, 0, 0, 0})...)
	}
	return withSize(append(append([]byte{}, box[:8]...), body...)), nil
}

func withSize(box []byte) []byte {
	binary.BigEndian.PutUint32(box, uint32(len(box)))
	return box
}
