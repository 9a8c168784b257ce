package decodeworker

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// cpuGrace is how long past the soft CPU limit (SIGXCPU, reported on stderr) the kernel waits
// before the hard limit's SIGKILL, for a worker whose Go runtime cannot run at all.
const cpuGrace = 2 * time.Second

// limitSelf puts RLIMIT_AS and RLIMIT_CPU on this process. Lowering one's own limits needs no
// privilege, and this process starts nothing else, so they bound exactly the decoder.
//
// The address-space limit is maxMemory above what the process has mapped when it starts: the Go
// runtime reserves over a GiB of address space (PROT_NONE: page allocator summaries, arena
// hints) before main runs, which uses no memory but counts against RLIMIT_AS, so an absolute
// limit of a few hundred MiB would fail the first allocation of every worker.
func limitSelf(maxMemory int64, maxCPU time.Duration) error {
	if maxMemory > 0 {
		base, err := addressSpace()
		if err != nil {
			return fmt.Errorf("setting the address space limit: %w", err)
		}
		total := uint64(base + maxMemory)
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: total, Max: total}); err != nil {
			return fmt.Errorf("setting the address space limit to %d bytes: %w", total, err)
		}
	}
	if maxCPU > 0 {
		soft := uint64((maxCPU + time.Second - 1) / time.Second)
		lim := syscall.Rlimit{Cur: soft, Max: soft + uint64(cpuGrace/time.Second)}
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &lim); err != nil {
			return fmt.Errorf("setting the CPU time limit to %ds: %w", soft, err)
		}
	}
	return nil
}

// addressSpace is the size of this process's mappings (/proc/self/statm, first field: proc(5)).
func addressSpace() (int64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, fmt.Errorf("/proc/self/statm: %q", data)
	}
	pages, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/statm: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// watchCPULimit reports SIGXCPU (the soft CPU limit) on stderr and exits: the Go runtime ignores
// the signal by default, and a decoder looping in C cannot be unwound, only ended. The returned
// function stops the watch and waits for its goroutine.
func watchCPULimit(maxCPU time.Duration, stderr io.Writer) func() {
	if maxCPU <= 0 {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGXCPU)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-sig:
			fmt.Fprintf(stderr, "decode worker: CPU time limit of %s exceeded\n", maxCPU)
			os.Exit(exitCPULimit)
		case <-stop:
		}
	})
	return func() {
		signal.Stop(sig)
		close(stop)
		wg.Wait()
	}
}
