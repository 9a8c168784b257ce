//go:build faultinject

package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
)

// These tests crash decode workers on purpose: they need the faultinject build tag (make test
// gives it), which compiles in the decoders' Fault and the worker's AAC_TEST_WORKER_CRASH.

// A decoder that crashes (each way a C library can) fails its own conversion with
// ErrDecoderCrashed, while an in-process and another isolated conversion running at the same
// time finish with the right bytes, and no worker is left behind.
func TestIsolatedWorkerCrash(t *testing.T) {
	good := fixture("media/high-bframes-320x320-30fps.mp4")
	var want bytes.Buffer
	if _, err := Convert(t.Context(), good, Options{}, &want); err != nil {
		t.Fatal(err)
	}
	// The fault hits only streams whose URL holds "crash-me": an H.264 one (OpenH264) and an
	// HEVC one (libde265, whose segv is a null read inside libde265 itself).
	dir := t.TempDir()
	crashing := map[string]string{"h264": filepath.Join(dir, "crash-me.mp4"), "hevc": filepath.Join(dir, "crash-me-hevc.mp4")}
	if err := os.WriteFile(crashing["h264"], mustRead(t, good), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashing["hevc"], mustRead(t, fixture("hevc/main-192x192-30fps.mp4")), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		decoder, kind string
		worker        WorkerOptions
		says          []string // one of these
	}{
		{"h264", "segv", WorkerOptions{}, []string{"SIGSEGV"}},
		{"h264", "abort", WorkerOptions{}, []string{"SIGABRT"}},
		// The race detector's runtime meets the limit first, with its own words.
		{"h264", "oom", WorkerOptions{MaxMemory: 128 << 20}, []string{"out of memory", "ThreadSanitizer failed to allocate"}},
		{"h264", "hang", WorkerOptions{MaxCPU: time.Second}, []string{"CPU time limit of 1s exceeded"}},
		{"hevc", "segv", WorkerOptions{}, []string{"SIGSEGV"}},
		{"hevc", "abort", WorkerOptions{}, []string{"SIGABRT"}},
		{"hevc", "hang", WorkerOptions{MaxCPU: time.Second}, []string{"CPU time limit of 1s exceeded"}},
	}
	for _, tt := range tests {
		t.Run(tt.decoder+"/"+tt.kind, func(t *testing.T) {
			t.Setenv("AAC_TEST_WORKER_CRASH", tt.kind+":crash-me")
			crashing := crashing[tt.decoder]
			var wg sync.WaitGroup
			var crashOut, inProc, isolated bytes.Buffer
			var crashErr, inProcErr, isolatedErr error
			wg.Go(func() {
				_, crashErr = Convert(t.Context(), crashing, Options{Isolate: true, Worker: tt.worker}, &crashOut)
			})
			wg.Go(func() { _, inProcErr = Convert(t.Context(), good, Options{}, &inProc) })
			wg.Go(func() { _, isolatedErr = Convert(t.Context(), good, Options{Isolate: true}, &isolated) })
			wg.Wait()

			if !errors.Is(crashErr, ErrDecoderCrashed) || !slices.ContainsFunc(tt.says, func(s string) bool { return strings.Contains(crashErr.Error(), s) }) {
				t.Errorf("crashing conversion: %v, want ErrDecoderCrashed saying %q", crashErr, tt.says)
			}
			for _, class := range []error{codec.ErrUnsupported, codec.ErrInvalid, codec.ErrOrigin, context.Canceled} {
				if errors.Is(crashErr, class) {
					t.Errorf("crash error %v wraps %v", crashErr, class)
				}
			}
			if strings.Contains(crashErr.Error(), "goroutine ") || strings.Count(crashErr.Error(), "\n") > 0 {
				t.Errorf("crash error carries a stack: %q", crashErr)
			}
			t.Logf("%s: %v (after %d GIF bytes)", tt.kind, crashErr, crashOut.Len())
			if inProcErr != nil || !bytes.Equal(inProc.Bytes(), want.Bytes()) {
				t.Errorf("in-process conversion beside the crash: %v, %d bytes, want %d", inProcErr, inProc.Len(), want.Len())
			}
			if isolatedErr != nil || !bytes.Equal(isolated.Bytes(), want.Bytes()) {
				t.Errorf("isolated conversion beside the crash: %v, %d bytes, want %d", isolatedErr, isolated.Len(), want.Len())
			}
			if n := childProcesses(t); n != 0 {
				t.Errorf("%d child processes left", n)
			}
		})
	}
}

// Cancelling an isolated conversion whose worker is stuck in C kills and reaps the worker and
// leaves no goroutine behind.
func TestIsolatedCancelStuckWorker(t *testing.T) {
	stuck := filepath.Join(t.TempDir(), "hang-here.mp4")
	if err := os.WriteFile(stuck, mustRead(t, fixture("media/high-bframes-320x320-30fps.mp4")), 0o644); err != nil {
		t.Fatal(err)
	}
	// The stuck worker hangs in C at its second picture, before any GIF byte can be out.
	t.Setenv("AAC_TEST_WORKER_CRASH", "hang:hang-here:2")
	cancelIsolated(t, stuck)
}
