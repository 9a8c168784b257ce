package codec

import "encoding/binary"

// QuickTime user data. A user data atom (udta) is a list of atoms that may end with a 32-bit
// zero (QuickTime File Format, "User Data Atoms": "the list of user data atoms … may be
// terminated by a 32-bit integer set to 0"), which Apple's tools write into .mov files and some
// MP4 files. To mp4ff the zero is the header of a box extending to the end of the file, and it
// refuses the whole movie box ("Size 0, meaning to end of file, not supported"). Nothing here
// reads user data, so before a movie box is decoded each udta in it, the movie's own and each
// track's, is renamed free: mp4ff passes over a free box's bytes, whatever they hold.

// userDataParents are the boxes whose udta children are hidden: the movie and its tracks
// (ISO/IEC 14496-12 8.10.1 allows udta in moov and trak; QuickTime the same).
var userDataParents = map[string]bool{"moov": true, "trak": true}

// hideUserData renames the udta boxes among the children in payload (the body of a moov), and
// among those of its trak children. A malformed child ends the walk: mp4ff then reports it.
func hideUserData(payload []byte) {
	for off := 0; off+8 <= len(payload); {
		size := int64(binary.BigEndian.Uint32(payload[off:]))
		hdr := 8
		if size == 1 && off+16 <= len(payload) {
			size, hdr = int64(binary.BigEndian.Uint64(payload[off+8:])), 16
		}
		if size < int64(hdr) || size > int64(len(payload)-off) {
			return
		}
		switch typ := string(payload[off+4 : off+8]); {
		case typ == "udta":
			copy(payload[off+4:off+8], "free")
		case userDataParents[typ]:
			hideUserData(payload[off+hdr : off+int(size)])
		}
		off += int(size)
	}
}
