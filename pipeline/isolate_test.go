package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// TestMain makes this test binary a decode worker when an isolated conversion starts it, as
// cmd/server's main does for the server binary: os.Executable() is the test binary here.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		os.Exit(RunDecodeWorker(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// isolationFixtures are the sources isolated conversions must reproduce byte for byte.
func isolationFixtures(t testing.TB) []string {
	media, err := filepath.Glob(fixture("media/*.mp4"))
	if err != nil || len(media) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	return append(media, fixture("hls/master.m3u8"), fixture("hls/master-ts.m3u8"),
		fixture("hevc/main10-250x142-24fps.mp4"), fixture("hevc/main10-pq-160x160-30fps.mp4"), fixture("hevc/master-hevc-only.m3u8"))
}

func TestIsolatedMatchesInProcess(t *testing.T) {
	optionSets := []Options{
		{},
		{Threads: 2, FrameRate: 10},
		{Size: 160, Dither: "floyd-steinberg", MaxDuration: 1500 * time.Millisecond}, // 4:4:4 chroma from 320 px sources
	}
	for _, src := range isolationFixtures(t) {
		for _, opts := range optionSets {
			var want, got bytes.Buffer
			ws, err := Convert(t.Context(), src, opts, &want)
			if err != nil {
				t.Fatalf("%s in process: %v", src, err)
			}
			iso := opts
			iso.Isolate = true
			gs, err := Convert(t.Context(), src, iso, &got)
			if err != nil {
				t.Fatalf("%s isolated: %v", src, err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s %+v: isolated GIF has %d bytes, in process %d; want identical", src, opts, got.Len(), want.Len())
			}
			if gs.Samples != ws.Samples || gs.Decoded != ws.Decoded || gs.Skipped != ws.Skipped || gs.Dropped != ws.Dropped || gs.Encoded != ws.Encoded {
				t.Errorf("%s %+v: isolated stats %+v, in process %+v", src, opts, gs, ws)
			}
			if gs.DecodeTime <= 0 || gs.ResizeTime <= 0 || gs.FetchTime <= 0 {
				t.Errorf("%s %+v: isolated stage times not carried back: %+v", src, opts, gs)
			}
		}
	}
}

// Errors the decoder reports cross the process boundary with their class and text.
func TestIsolatedErrorsKeepTheirClass(t *testing.T) {
	broken, err := filepath.Glob(fixture("broken/*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range broken {
		_, want := Convert(t.Context(), src, Options{}, io.Discard)
		_, got := Convert(t.Context(), src, Options{Isolate: true}, io.Discard)
		if (want == nil) != (got == nil) || want != nil && got.Error() != want.Error() {
			t.Errorf("%s: isolated %v, in process %v", src, got, want)
		}
		for _, class := range []error{codec.ErrUnsupported, codec.ErrInvalid, codec.ErrOrigin} {
			if errors.Is(got, class) != errors.Is(want, class) {
				t.Errorf("%s: isolated %v and in process %v differ on %v", src, got, want, class)
			}
		}
	}
}

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

// Cancelling an isolated conversion kills its worker and reaps it, whether the worker is busy
// decoding or stuck in C, and leaves no goroutine behind.
func TestIsolatedCancelLeavesNothingBehind(t *testing.T) {
	src := fixture("media/high-bframes-320x320-30fps.mp4")
	stuck := filepath.Join(t.TempDir(), "hang-here.mp4")
	if err := os.WriteFile(stuck, mustRead(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
	// The stuck worker hangs in C at its second picture, before any GIF byte can be out.
	t.Setenv("AAC_TEST_WORKER_CRASH", "hang:hang-here:2")
	before := runtime.NumGoroutine()
	for _, input := range []string{src, stuck} {
		for _, threads := range []int{1, 2} {
			ctx, cancel := context.WithCancel(t.Context())
			w := &slowWriter{wrote: make(chan struct{}, 1)}
			done := make(chan error, 1)
			go func() {
				_, err := Convert(ctx, input, Options{Isolate: true, Threads: threads}, w)
				done <- err
			}()
			// The worker runs (decoding, or stuck): cancel then.
			waitFor(t, 10*time.Second, func() bool { return childProcesses(t) == 1 })
			time.Sleep(100 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("%s, %d threads: err = %v, want context.Canceled", input, threads, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s, %d threads: Convert did not return after cancel", input, threads)
			}
			if n := childProcesses(t); n != 0 {
				t.Errorf("%s, %d threads: %d child processes after Convert returned", input, threads, n)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after cancelling, %d before", n, before)
	}
}

// stallingSource is a stream the decoder refuses at once (over the size limit) whose origin then
// stalls: Next blocks until its context ends.
type stallingSource struct{}

func (stallingSource) Info() codec.StreamInfo {
	return codec.StreamInfo{Width: 5000, Height: 5000, URL: "stalling.mp4"}
}
func (stallingSource) Next(ctx context.Context) (codec.Sample, error) {
	<-ctx.Done()
	return codec.Sample{}, ctx.Err()
}
func (stallingSource) Close() error { return nil }

// A worker that answers before the stream ends (here: an error at once) ends the conversion at
// once, as codec.Decode does in process, without waiting for the rest of the source.
func TestIsolatedEarlyAnswerStopsTheSource(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, err := decodeIsolated(t.Context(), stallingSource{}, codec.DecodeOptions{}, 80, 80,
			WorkerOptions{}.withDefaults(Options{}.withDefaults()), func(codec.Frame[*gifenc.YCbCr]) error { return nil })
		done <- err
	}()
	select {
	case err := <-done:
		_, want := codec.Decode(t.Context(), stallingSource{}, codec.DecodeOptions{}, newFrameConverter(80, 80),
			func(codec.Frame[*gifenc.YCbCr]) error { return nil })
		if !errors.Is(err, codec.ErrUnsupported) || err.Error() != want.Error() {
			t.Errorf("err = %v, want %v", err, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the conversion waited for a source the worker no longer needs")
	}
	if n := childProcesses(t); n != 0 {
		t.Errorf("%d child processes left", n)
	}
}

// The parent believes nothing a worker sends: every malformed answer is a crash, not a GIF.
func TestWorkerAnswerRejectsMalformed(t *testing.T) {
	const w, h = 8, 6
	frame := func(m *msgWriter) {
		v := &gifenc.YCbCr{Y: make([]byte, w*h), Cb: make([]byte, 4*3), Cr: make([]byte, 4*3), YStride: w, CStride: 4}
		_ = m.frame(codec.Frame[*gifenc.YCbCr]{Time: 0, Duration: time.Second / 24, Value: v}, w, h)
	}
	raw := func(typ byte, payload []byte) func(*msgWriter) {
		return func(m *msgWriter) { m.start(typ, len(payload)); m.write(payload); _ = m.flush() }
	}
	done := func(emitted int) func(*msgWriter) {
		return func(m *msgWriter) { _ = m.done(codec.DecodeStats{Samples: 3, Decoded: 3, Emitted: emitted}, nil) }
	}
	tests := []struct {
		name    string
		answer  []func(*msgWriter)
		frames  int
		healthy bool
	}{
		{"frame and done", []func(*msgWriter){frame, done(1)}, 1, true},
		{"nothing", nil, 0, false},
		{"frames without done", []func(*msgWriter){frame, frame}, 2, false},
		{"frame of the wrong size", []func(*msgWriter){raw(msgFrame, make([]byte, frameFixedSize+w*h)), done(0)}, 0, false},
		{"oversized message", []func(*msgWriter){raw(msgFrame, make([]byte, 1<<20))}, 0, false},
		{"unknown message", []func(*msgWriter){raw('Z', nil), done(0)}, 0, false},
		{"done miscounting frames", []func(*msgWriter){frame, done(2)}, 1, false},
		{"message after done", []func(*msgWriter){done(0), frame}, 0, false},
		{"unknown error class", []func(*msgWriter){raw(msgDone, append(make([]byte, doneFixedSize-1), 9))}, 0, false},
		{"truncated message", []func(*msgWriter){func(m *msgWriter) { m.start(msgFrame, 100); _ = m.flush() }}, 0, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		m := newMsgWriter(&buf)
		for _, put := range tt.answer {
			put(m)
		}
		frames := 0
		rd := newMsgReader(&buf, frameMessageSize(w, h, true))
		a := readWorkerAnswer(rd, w, h, func(codec.Frame[*gifenc.YCbCr]) error { frames++; return nil })
		if a.answered && a.broken == nil {
			a.expectEnd(rd)
		}
		healthy := a.answered && a.broken == nil
		if healthy != tt.healthy || frames != tt.frames {
			t.Errorf("%s: healthy %v (%v), %d frames; want %v, %d", tt.name, healthy, a.broken, frames, tt.healthy, tt.frames)
		}
		if !tt.healthy {
			if err := crashError(nil, nil, a.broken, ""); !errors.Is(err, ErrDecoderCrashed) {
				t.Errorf("%s: %v, want ErrDecoderCrashed", tt.name, err)
			}
		}
	}
}

// waitFor polls cond until it holds, and fails the test when it does not within limit.
func waitFor(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
	}
}

// childProcesses counts this process's children, zombies included (Linux /proc): a worker that
// was killed but not waited for is still one.
func childProcesses(t testing.TB) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	n := 0
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // ended while we looked
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(data[bytes.LastIndexByte(data, ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == self {
			n++
		}
	}
	return n
}
