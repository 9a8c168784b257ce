// Package cputime reads the CPU time of the calling OS thread, so that a stage of a conversion
// can count its own CPU time, not the wall time it spent, which on a busy machine includes the
// time it waited for a core. The goroutine must be locked to its thread (runtime.LockOSThread)
// for the readings of one stage to be of one thread.
package cputime

import (
	"time"

	"golang.org/x/sys/unix"
)

// Thread returns the CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), or 0 when
// the clock cannot be read.
func Thread() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
