package pipeline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// WorkerCommand is the (hidden) subcommand of the server binary that runs RunDecodeWorker. A
// conversion with Options.Isolate starts its worker binary with it as the first argument; a test
// binary that isolates conversions must dispatch it in its TestMain.
const WorkerCommand = "decode-worker"

// Exit statuses of the decode worker besides 0.
const (
	workerExitFailed   = 1 // the protocol or the output failed; the message is on stderr
	workerExitUsage    = 2
	workerExitCPULimit = 3 // RLIMIT_CPU's soft limit was reached
)

// workerEnvMarker is in every decode worker's environment. A process that has it refuses to
// start workers of its own, so that a worker binary that runs something else than the worker
// (a test binary without the TestMain dispatch) cannot multiply itself.
const workerEnvMarker = "AAC_DECODE_WORKER"

// workerCPUGrace is how long past the soft CPU limit (SIGXCPU, reported on stderr) the kernel
// waits before the hard limit's SIGKILL, for a worker whose Go runtime cannot run at all.
const workerCPUGrace = 2 * time.Second

// RunDecodeWorker is the decode worker: `server decode-worker [-max-memory B] [-max-cpu D]`.
// It puts the limits on its own process first, before it reads a byte of input, then reads one
// stream over stdin and answers over stdout as worker_protocol.go describes: it decodes with
// codec.Decode and resizes with the same scaler as an in-process conversion, so its frames are
// the same bytes. It returns the exit status.
func RunDecodeWorker(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(WorkerCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxMemory := fs.Int64("max-memory", 0, "address space this process may map beyond what it holds at start, `bytes` (0: no limit)")
	maxCPU := fs.Duration("max-cpu", 0, "CPU time limit of this process (0: none)")
	if err := fs.Parse(args); err != nil {
		return workerExitUsage
	}
	if err := limitSelf(*maxMemory, *maxCPU); err != nil {
		fmt.Fprintf(stderr, "decode worker: %v\n", err)
		return workerExitFailed
	}
	stopWatch := watchCPULimit(*maxCPU, stderr)
	defer stopWatch()
	if err := serveDecodeWorker(stdin, stdout, faultFromEnv()); err != nil {
		fmt.Fprintf(stderr, "decode worker: %v\n", err)
		return workerExitFailed
	}
	return 0
}

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
		lim := syscall.Rlimit{Cur: soft, Max: soft + uint64(workerCPUGrace/time.Second)}
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &lim); err != nil {
			return fmt.Errorf("setting the CPU time limit to %ds: %w", soft, err)
		}
	}
	return nil
}

// addressSpace is the size of this process's mappings (Linux /proc/self/statm, first field).
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
			os.Exit(workerExitCPULimit)
		case <-stop:
		}
	})
	return func() {
		signal.Stop(sig)
		close(stop)
		wg.Wait()
	}
}

// serveDecodeWorker runs the worker's side of the protocol on r and w.
func serveDecodeWorker(r io.Reader, w io.Writer, fault *workerFault) error {
	rd := newMsgReader(r, maxSampleMessage)
	typ, payload, err := rd.next()
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	if typ != msgHeader {
		return fmt.Errorf("%w: first message %q, want the header", errProtocol, typ)
	}
	h, err := parseHeader(payload)
	if err != nil {
		return err
	}
	src := startPipeSource(rd, h.info)
	// After the answer, wait for the parent to close stdin: the reader goroutine ends there.
	defer src.stop()

	out := newMsgWriter(w)
	convert := newFrameConverter(h.outW, h.outH)
	if fault != nil && strings.Contains(h.info.URL, fault.match) {
		convert = fault.wrap(convert, h.info.Format)
	}
	stats, decErr := codec.Decode(context.Background(), src, h.decode, convert, func(f codec.Frame[*gifenc.YCbCr]) error {
		if err := out.frame(f, h.outW, h.outH); err != nil {
			return fmt.Errorf("writing a frame: %w", err)
		}
		return nil
	})
	if err := out.done(stats, decErr); err != nil {
		return fmt.Errorf("writing the answer: %w", err)
	}
	return nil
}

// pipeSource is the codec.Source of a worker: the samples the parent sends. A goroutine reads
// them ahead so that Next can honour its context (a read from a pipe cannot be interrupted).
type pipeSource struct {
	info  codec.StreamInfo
	items chan pipeItem
	quit  chan struct{} // closed by stop: read no more, drain until the parent closes
	done  chan struct{} // closed when the reader goroutine has returned
	err   error         // the error Next returned last, returned again (io.EOF at the end)
}

type pipeItem struct {
	sample codec.Sample
	err    error
}

// pipeAhead is how many samples the reader goroutine holds for Next: Decode's lookahead buffers
// on its own, this only keeps the pipe flowing.
const pipeAhead = 4

func startPipeSource(rd *msgReader, info codec.StreamInfo) *pipeSource {
	s := &pipeSource{info: info, items: make(chan pipeItem, pipeAhead), quit: make(chan struct{}), done: make(chan struct{})}
	go s.read(rd)
	return s
}

func (s *pipeSource) read(rd *msgReader) {
	defer close(s.done)
	for {
		it := readPipeItem(rd)
		select {
		case s.items <- it:
		case <-s.quit:
		}
		if it.err != nil || s.stopped() {
			break
		}
	}
	<-s.quit
	_, _ = io.Copy(io.Discard, rd.r)
}

func readPipeItem(rd *msgReader) pipeItem {
	typ, payload, err := rd.next()
	switch {
	case errors.Is(err, io.EOF):
		return pipeItem{err: fmt.Errorf("reading samples: %w", io.ErrUnexpectedEOF)} // the parent gave up
	case err != nil:
		return pipeItem{err: fmt.Errorf("reading samples: %w", err)}
	case typ == msgSample:
		s, err := parseSample(payload)
		return pipeItem{sample: s, err: err}
	case typ == msgEnd:
		return pipeItem{err: io.EOF}
	}
	return pipeItem{err: fmt.Errorf("%w: message %q among the samples", errProtocol, typ)}
}

func (s *pipeSource) stopped() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

func (s *pipeSource) Info() codec.StreamInfo { return s.info }

func (s *pipeSource) Next(ctx context.Context) (codec.Sample, error) {
	if s.err != nil {
		return codec.Sample{}, s.err
	}
	select {
	case it := <-s.items:
		s.err = it.err
		return it.sample, it.err
	case <-ctx.Done():
		return codec.Sample{}, ctx.Err()
	}
}

func (s *pipeSource) Close() error { return nil }

// stop ends reading: what the parent still sends is discarded until it closes the pipe.
func (s *pipeSource) stop() {
	close(s.quit)
	<-s.done
}

// workerFault is a crash a test asks the worker to have: AAC_TEST_WORKER_CRASH=KIND[:MATCH[:N]]
// makes the decode stage call the stream's decoder package's Fault(KIND) (h264.Fault, or
// h265.Fault for HEVC, whose segv is a read through a null pointer inside libde265) on the N-th
// picture (default faultAfter) of every stream whose URL contains MATCH (every stream when MATCH
// is empty; it cannot hold a colon). Only test binaries read the variable.
type workerFault struct {
	kind, match string
	after       int64
}

// faultAfter is the picture the fault comes at by default: late enough that GIF bytes are out
// (after the palette window, a second of output).
const faultAfter = 60

func faultFromEnv() *workerFault {
	if !testing.Testing() {
		return nil
	}
	v, ok := os.LookupEnv("AAC_TEST_WORKER_CRASH")
	if !ok || v == "" {
		return nil
	}
	kind, rest, _ := strings.Cut(v, ":")
	match, after, _ := strings.Cut(rest, ":")
	f := &workerFault{kind: kind, match: match, after: faultAfter}
	if n, err := strconv.ParseInt(after, 10, 64); err == nil && n > 0 {
		f.after = n
	}
	return f
}

func (f *workerFault) wrap(convert func(*yuv.Picture) (*gifenc.YCbCr, error), format codec.VideoFormat) func(*yuv.Picture) (*gifenc.YCbCr, error) {
	fault := h264.Fault
	if format == codec.FormatHEVC {
		fault = h265.Fault
	}
	var n atomic.Int64
	return func(p *yuv.Picture) (*gifenc.YCbCr, error) {
		if n.Add(1) == f.after {
			if err := fault(f.kind); err != nil {
				return nil, err
			}
		}
		return convert(p)
	}
}
