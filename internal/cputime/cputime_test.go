package cputime

import (
	"runtime"
	"testing"
	"time"
)

// A thread that works gains CPU time about as fast as wall time; one that sleeps gains none.
func TestThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := Thread()
	if start <= 0 {
		t.Fatalf("Thread() = %v, want the thread's CPU time", start)
	}
	time.Sleep(50 * time.Millisecond)
	if slept := Thread() - start; slept > 20*time.Millisecond {
		t.Errorf("sleeping 50 ms used %v of CPU", slept)
	}
	before, x := Thread(), uint64(1)
	for Thread()-before < 20*time.Millisecond {
		for i := range 100000 {
			x = x*6364136223846793005 + uint64(i)
		}
	}
	if x == 0 {
		t.Log(x) // keeps the loop
	}
}
