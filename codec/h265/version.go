package h265

// #cgo pkg-config: libde265
// #include <libde265/de265.h>
import "C"

// Version is the version of the libde265 library the program runs with (the shared library
// loaded, not the headers it was built against), e.g. "1.0.11".
func Version() string { return C.GoString(C.de265_get_version()) }
