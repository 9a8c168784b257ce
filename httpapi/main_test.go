package httpapi

import (
	"os"
	"testing"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// TestMain makes this test binary a decode worker when the service's conversions start one:
// CONVERSION_ISOLATE_DECODER is on by default, and os.Executable() is this binary here.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == pipeline.WorkerCommand {
		os.Exit(pipeline.RunDecodeWorker(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
