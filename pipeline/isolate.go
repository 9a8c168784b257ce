package pipeline

import (
	"io"

	"github.com/musicpresence/animated-album-covers/internal/decodeworker"
	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// ErrDecoderCrashed is wrapped by the error of a conversion whose decode worker ended without a
// proper answer: killed by a signal or exited early (a segfault or abort in OpenH264 or
// libde265), stopped by its memory or CPU limit, or broke the protocol. Only that conversion
// fails; the process and every other conversion go on. The message names how the worker ended
// and the first line it wrote to stderr.
var ErrDecoderCrashed = errclass.ErrDecoderCrashed

// WorkerOptions say how the decode worker of an isolated conversion runs: the executable, and
// its memory and CPU limits (by default, decodeworker.DefaultMemory and a CPU time that grows
// with the conversion's MaxDuration).
type WorkerOptions = decodeworker.Options

// WorkerCommand is the (hidden) subcommand of the server binary that runs RunDecodeWorker. A
// conversion with Options.Isolate starts its worker binary with it as the first argument; a test
// binary that isolates conversions must dispatch it in its TestMain.
const WorkerCommand = decodeworker.Command

// RunDecodeWorker is the decode worker: `server decode-worker [-max-memory B] [-max-cpu D]`
// (decodeworker.Run), resizing with the same converter as an in-process conversion, so that its
// frames are the same bytes. It returns the exit status.
func RunDecodeWorker(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return decodeworker.Run(args, stdin, stdout, stderr, newFrameConverter)
}
