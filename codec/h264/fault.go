//go:build faultinject

package h264

/*
#include <stdlib.h>

// The faults a bug in a C decoder causes, for real: a write through a null pointer, an abort
// (a failed assert), and a loop that never ends.
static void fault_segv(void) { *(volatile int*)0 = 1; }
static void fault_abort(void) { abort(); }
static void fault_hang(void) { for (volatile unsigned long i = 0;; i++) {} }
*/
import "C"

import (
	"fmt"
	"syscall"
)

// Fault makes this process fail now the way a bug in OpenH264 would make it fail, so that tests
// can show what survives such a failure (the decode worker's parent, other conversions):
//
//	segv   a write through a null pointer in C (SIGSEGV during cgo execution)
//	abort  abort() in C (SIGABRT)
//	hang   a busy loop in C that never returns (until a CPU limit or a kill ends the process)
//	oom    allocating until the address-space limit stops the Go runtime
//
// It exists only in builds with the faultinject tag (make test's): a release build has no such
// function, so no request and no configuration can make the service crash through it.
func Fault(kind string) error {
	switch kind {
	case "segv":
		C.fault_segv()
	case "abort":
		C.fault_abort()
	case "hang":
		C.fault_hang()
	case "oom":
		return exhaustMemory()
	}
	return fmt.Errorf("h264: unknown fault %q", kind)
}

// exhaustLimit is the largest address-space limit under which exhaustMemory runs: without a
// limit it would take the test machine's memory instead of failing the process.
const exhaustLimit = 4 << 30

// exhaustMemory allocates and touches memory until the runtime dies of it ("fatal error: out of
// memory"), as a decoder asked for huge pictures would.
func exhaustMemory() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		return fmt.Errorf("h264: oom fault: %w", err)
	}
	if lim.Cur > exhaustLimit {
		return fmt.Errorf("h264: oom fault refused: address space limit %d is over %d", lim.Cur, uint64(exhaustLimit))
	}
	var keep [][]byte
	for range 2 * exhaustLimit / (16 << 20) {
		b := make([]byte, 16<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	return fmt.Errorf("h264: oom fault: %d MiB allocated under a limit of %d MiB", len(keep)*16, lim.Cur>>20)
}
