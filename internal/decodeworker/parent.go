package decodeworker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// Command is the (hidden) subcommand of the server binary that runs Run. Decode starts its
// worker binary with it as the first argument; a test binary that isolates conversions must
// dispatch it in its TestMain.
const Command = "decode-worker"

// Options say how a decode worker runs.
type Options struct {
	// Path is the executable started with Command; "": this process's own (os.Executable).
	Path string
	// MaxMemory is the address space the worker may map beyond what it holds when it starts
	// (RLIMIT_AS, set to that sum), bytes; 0: DefaultMemory.
	MaxMemory int64
	// MaxCPU is the worker's CPU time limit (RLIMIT_CPU); 0: cpuBase plus cpuPerSecond for
	// every second of the decode's MaxDuration.
	MaxCPU time.Duration
}

// DefaultMemory is the decode worker's default memory budget: address space, not resident
// memory, as that is what RLIMIT_AS bounds; thread stacks and glibc's malloc arenas reserve
// more than they touch. Converting the 1280x1280 benchmark clip needs a budget of 80 MiB with
// one decoder and 112 MiB with two (pipeline's BenchmarkWorkerMemory, bench/RESULTS.md "Decoder
// isolation"); 512 MiB leaves room for larger sources and more threads, and stops a runaway
// allocation long before the host's memory is at risk.
const DefaultMemory = 512 << 20

// The default CPU limit: a conversion of the 1280x1280 benchmark clip costs about 0.15 s of CPU
// per second of media (pipeline's BenchmarkIsolation); 4 s per second and 10 s to start cover a
// 4096x4096 source with room to spare, and end a decoder stuck in a loop within minutes even if
// its parent is gone.
const (
	cpuBase      = 10 * time.Second
	cpuPerSecond = 4
)

// Bounds of the parent's handling of a worker.
const (
	stderrBytes = 8 << 10         // of the worker's stderr kept for the error message
	waitDelay   = 2 * time.Second // for the stderr copy after the worker exited
	messageLine = 200             // bytes of stderr's first line put in an error
)

// envMarker is in every decode worker's environment. A process that has it refuses to start
// workers of its own, so that a worker binary that runs something else than the worker (a test
// binary without the TestMain dispatch) cannot multiply itself.
const envMarker = "AAC_DECODE_WORKER"

// withDefaults fills in the zero fields for a decode of at most maxDuration (0: no limit).
func (o Options) withDefaults(maxDuration time.Duration) Options {
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMemory
	}
	if o.MaxCPU == 0 {
		o.MaxCPU = cpuBase + cpuPerSecond*maxDuration
	}
	return o
}

// Decode is codec.Decode with the converter the worker binary's Run was given, run in a decode
// worker: this process sends src's samples to the worker and emits the frames it sends back,
// outW x outH each, on the calling goroutine. The worker is killed when ctx ends or anything
// fails, and always waited for. A worker that ends without a proper answer (a signal, a limit,
// a broken protocol) fails the decode with an error wrapping errclass.ErrDecoderCrashed.
func Decode(ctx context.Context, src codec.Source, opts codec.DecodeOptions, outW, outH int,
	wo Options, emit func(Frame) error) (codec.DecodeStats, error) {
	if os.Getenv(envMarker) != "" {
		return codec.DecodeStats{}, fmt.Errorf("pipeline: a decode worker may not start another (does this binary's main dispatch %q?)", Command)
	}
	wo = wo.withDefaults(opts.MaxDuration)
	path := wo.Path
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return codec.DecodeStats{}, fmt.Errorf("pipeline: finding the decode worker binary: %w", err)
		}
		path = exe
	}
	procCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(procCtx, path, Command,
		"-max-memory", strconv.FormatInt(wo.MaxMemory, 10), "-max-cpu", wo.MaxCPU.String())
	cmd.Env = workerEnv()
	cmd.WaitDelay = waitDelay
	stderr := &headBuffer{max: stderrBytes}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return codec.DecodeStats{}, fmt.Errorf("pipeline: decode worker: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdin.Close() // Start, which would close it, never runs
		return codec.DecodeStats{}, fmt.Errorf("pipeline: decode worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return codec.DecodeStats{}, fmt.Errorf("pipeline: starting the decode worker %s: %w", path, err)
	}

	info := src.Info()
	h := header{decode: opts, outW: outW, outH: outH,
		info: codec.StreamInfo{Width: info.Width, Height: info.Height, Format: info.Format, URL: info.URL}}
	feedCtx, stopFeed := context.WithCancel(procCtx)
	defer stopFeed()
	fed := make(chan error, 1)
	go func() { fed <- feed(feedCtx, src, h, stdin, kill) }()

	rd := newMsgReader(stdout, max(frameMessageSize(outW, outH, true), maxDoneMessage))
	a := readAnswer(rd, outW, outH, emit)
	if !a.answered || a.broken != nil || a.emitErr != nil {
		kill()
	}
	// The worker may answer before it has every sample (an error, the duration limit), and then
	// waits for stdin to close before it exits: the rest of the source is not wanted.
	stopFeed()
	srcErr := <-fed
	if a.answered && a.broken == nil && a.emitErr == nil {
		a.expectEnd(rd)
	}
	waitErr := cmd.Wait()

	switch {
	case a.emitErr != nil:
		return a.stats, a.emitErr
	case ctx.Err() != nil:
		return a.stats, ctx.Err()
	case srcErr != nil:
		return a.stats, srcErr
	case a.broken != nil || waitErr != nil || !a.answered:
		return a.stats, crashError(cmd.ProcessState, waitErr, a.broken, stderr.String())
	}
	return a.stats, a.err
}

// answer is what the parent read from a worker.
type answer struct {
	stats    codec.DecodeStats
	answered bool  // 'D' came
	err      error // the worker's decoding error, from 'D'
	broken   error // the protocol broke: a message out of place or out of shape, or no 'D'
	emitErr  error // emit failed: the decode stops
}

// readAnswer reads frames, emitting each, up to the final answer.
func readAnswer(rd *msgReader, outW, outH int, emit func(Frame) error) answer {
	var a answer
	for {
		typ, payload, err := rd.next()
		switch {
		case err != nil:
			a.broken = fmt.Errorf("reading its answer: %w", err)
			return a
		case typ == msgFrame:
			f, err := parseFrame(payload, outW, outH)
			if err != nil {
				a.broken = err
				return a
			}
			if err := emit(f); err != nil {
				a.emitErr = err
				return a
			}
			a.stats.Emitted++
		case typ == msgDone:
			d, err := parseDone(payload)
			if err == nil && d.stats.Emitted != a.stats.Emitted {
				err = fmt.Errorf("%w: %d frames counted, %d sent", errProtocol, d.stats.Emitted, a.stats.Emitted)
			}
			if err != nil {
				a.broken = err
				return a
			}
			a.stats, a.err, a.answered = d.stats, d.err, true
			return a
		default:
			a.broken = fmt.Errorf("%w: unknown message %q", errProtocol, typ)
			return a
		}
	}
}

// expectEnd checks that the worker says nothing after its answer: stdout ends.
func (a *answer) expectEnd(rd *msgReader) {
	typ, _, err := rd.next()
	switch {
	case errors.Is(err, io.EOF):
	case err != nil:
		a.broken = fmt.Errorf("after its answer: %w", err)
	default:
		a.broken = fmt.Errorf("%w: message %q after the answer", errProtocol, typ)
	}
}

// feed sends the header and src's samples to the worker, then the end, and closes stdin.
// It returns the source's error, after killing the worker: the conversion fails with it as it
// would in process. A write error means the worker is gone; the answer's reader tells why.
func feed(ctx context.Context, src codec.Source, h header, stdin io.WriteCloser, kill func()) error {
	defer stdin.Close()
	out := newMsgWriter(stdin)
	if out.header(h) != nil {
		return nil
	}
	for {
		s, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			_ = out.end()
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped by Decode, which knows why
			}
			kill()
			return err
		}
		if out.sample(s) != nil {
			return nil
		}
	}
}

// workerEnv is the worker's whole environment: it needs none of the service's (which holds
// secrets), only the marker, a cap on glibc's malloc arenas (each thread's 64 MiB arena
// reservation counts against RLIMIT_AS), and, in a faultinject build, the fault a test asks for.
func workerEnv() []string {
	return append([]string{envMarker + "=1", "MALLOC_ARENA_MAX=2"}, faultEnv()...)
}

// crashError describes how a worker ended without a proper answer: an errclass.ErrDecoderCrashed
// naming how the worker ended and the first line it wrote to stderr.
func crashError(ps *os.ProcessState, waitErr, broken error, stderr string) error {
	how := "no answer"
	if ps != nil {
		how = ps.String() // "exit status 2", "signal: killed"
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			how += fmt.Sprintf(" after %.2fs CPU, %d MiB peak", cpu.Seconds(), ru.Maxrss>>10)
		}
	} else if waitErr != nil {
		how = waitErr.Error()
	}
	if line := firstLine(stderr); line != "" {
		how += ": " + line
	} else if broken != nil {
		how += ": " + broken.Error()
	}
	return fmt.Errorf("pipeline: %w: decode worker %s", errclass.ErrDecoderCrashed, how)
}

// firstLine is the first non-empty line of s, cut to messageLine bytes: what a crash says
// (SIGSEGV: segmentation violation, fatal error: runtime: out of memory) without the stack.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > messageLine {
				line = line[:messageLine] + "…"
			}
			return line
		}
	}
	return ""
}

// headBuffer keeps the first max bytes written to it and discards the rest, so a worker that
// floods stderr neither blocks nor grows the parent.
type headBuffer struct {
	buf bytes.Buffer
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (h *headBuffer) String() string { return h.buf.String() }
