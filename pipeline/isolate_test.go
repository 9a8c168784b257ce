package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/gifenc"
	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
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
		{Size: 160, Dither: gifenc.DitherFloydSteinberg, MaxDuration: 1500 * time.Millisecond}, // 4:4:4 chroma from 320 px sources
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

// Cancelling an isolated conversion kills its worker and reaps it while it decodes, and leaves
// no goroutine behind. (TestIsolatedCancelStuckWorker does the same for a worker stuck in C.)
func TestIsolatedCancelLeavesNothingBehind(t *testing.T) {
	cancelIsolated(t, fixture("media/high-bframes-320x320-30fps.mp4"))
}

// cancelIsolated cancels isolated conversions of input, with one and two threads, once their
// worker runs, and checks that each returns context.Canceled with its worker reaped and that no
// goroutine is left.
func cancelIsolated(t *testing.T, input string) {
	before := runtime.NumGoroutine()
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
		_, err := decodeworker.Decode(t.Context(), stallingSource{}, codec.DecodeOptions{}, 80, 80,
			WorkerOptions{}, func(decodeworker.Frame) error { return nil })
		done <- err
	}()
	select {
	case err := <-done:
		_, want := codec.Decode(t.Context(), stallingSource{}, codec.DecodeOptions{}, newFrameConverter(80, 80),
			func(decodeworker.Frame) error { return nil })
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
