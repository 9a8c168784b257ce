//go:build !linux

package decodeworker

import (
	"errors"
	"io"
	"time"
)

// limitSelf refuses limits it cannot put: RLIMIT_AS and the address space read from /proc are
// Linux's. A worker without limits still isolates crashes.
func limitSelf(maxMemory int64, maxCPU time.Duration) error {
	if maxMemory > 0 || maxCPU > 0 {
		return errors.New("memory and CPU limits need Linux")
	}
	return nil
}

func watchCPULimit(time.Duration, io.Writer) func() { return func() {} }
