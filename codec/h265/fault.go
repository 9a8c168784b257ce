//go:build faultinject

package h265

/*
#cgo pkg-config: libde265
#include <stdlib.h>
#include <libde265/de265.h>

// The faults a bug in libde265 causes, for real: a read through a null image inside libde265
// itself, an abort (a failed assert), and a loop that never ends.
static void fault_segv(void) { (void)de265_get_image_plane(NULL, 0, NULL); }
static void fault_abort(void) { abort(); }
static void fault_hang(void) { for (volatile unsigned long i = 0;; i++) {} }
*/
import "C"

import "fmt"

// Fault makes this process fail now the way a bug in libde265 would make it fail, so that tests
// can show what survives such a failure (the decode worker's parent, other conversions):
//
//	segv   libde265 reading through a null pointer (SIGSEGV during cgo execution)
//	abort  abort() in C (SIGABRT)
//	hang   a busy loop in C that never returns (until a CPU limit or a kill ends the process)
//
// It exists only in builds with the faultinject tag (make test's): a release build has no such
// function, so no request and no configuration can make the service crash through it.
func Fault(kind string) error {
	switch kind {
	case "segv":
		C.fault_segv()
		return fmt.Errorf("h265: fault segv: libde265 survived a null image")
	case "abort":
		C.fault_abort()
	case "hang":
		C.fault_hang()
	}
	return fmt.Errorf("h265: unknown fault %q", kind)
}
