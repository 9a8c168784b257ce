package decodeworker

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// Exit statuses of the decode worker besides 0.
const (
	exitFailed   = 1 // the protocol or the output failed; the message is on stderr
	exitUsage    = 2
	exitCPULimit = 3 // RLIMIT_CPU's soft limit was reached
)

// Converter turns a decoded picture into an output frame, as codec.Decode's convert does.
type Converter = func(*yuv.Picture) (*gifenc.YCbCr, error)

// Run is the decode worker: `server decode-worker [-max-memory B] [-max-cpu D]`. It puts the
// limits on its own process first, before it reads a byte of input, then reads one stream over
// stdin and answers over stdout as protocol.go describes: it decodes with codec.Decode and
// converts each picture with a converter from newConverter for the output size the parent asks
// for (the one an in-process conversion uses, so that the frames are the same bytes). It
// returns the exit status.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, newConverter func(outW, outH int) Converter) int {
	fs := flag.NewFlagSet(Command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxMemory := fs.Int64("max-memory", 0, "address space this process may map beyond what it holds at start, `bytes` (0: no limit)")
	maxCPU := fs.Duration("max-cpu", 0, "CPU time limit of this process (0: none)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := limitSelf(*maxMemory, *maxCPU); err != nil {
		fmt.Fprintf(stderr, "decode worker: %v\n", err)
		return exitFailed
	}
	stopWatch := watchCPULimit(*maxCPU, stderr)
	defer stopWatch()
	if err := serve(stdin, stdout, newConverter); err != nil {
		fmt.Fprintf(stderr, "decode worker: %v\n", err)
		return exitFailed
	}
	return 0
}

// serve runs the worker's side of the protocol on r and w.
func serve(r io.Reader, w io.Writer, newConverter func(outW, outH int) Converter) error {
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
	convert := withFault(newConverter(h.outW, h.outH), h.info)
	stats, decErr := codec.Decode(context.Background(), src, h.decode, convert, func(f Frame) error {
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
