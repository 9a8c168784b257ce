package h264

// #cgo pkg-config: openh264
// #include <wels/codec_api.h>
import "C"

import "fmt"

// Version is the version of the OpenH264 library the program runs with (not the headers it was
// built against), e.g. "2.3.1".
func Version() string {
	v := C.WelsGetCodecVersion()
	return fmt.Sprintf("%d.%d.%d", uint(v.uMajor), uint(v.uMinor), uint(v.uRevision))
}
