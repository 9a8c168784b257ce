package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// TestMain lets `convert -isolate` run here: its decode worker is this test binary
// (os.Executable), started with the hidden subcommand, which goes through run as in the server.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == pipeline.WorkerCommand {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// `convert -isolate` decodes in a worker process and writes the same GIF; the worker's
// subcommand is not in the usage.
func TestConvertIsolatedCommand(t *testing.T) {
	const src = "../../testdata/media/high-bframes-320x320-30fps.mp4"
	var want, got, stderr bytes.Buffer
	if code := run([]string{"convert", src}, &want, &stderr); code != exitOK {
		t.Fatalf("in process: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"convert", "-isolate", src}, &got, &stderr); code != exitOK {
		t.Fatalf("isolated: exit %d: %s", code, stderr.String())
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("isolated GIF has %d bytes, in process %d; want identical", got.Len(), want.Len())
	}
	var usage bytes.Buffer
	run([]string{"help"}, &usage, &usage)
	if strings.Contains(usage.String(), pipeline.WorkerCommand) {
		t.Errorf("usage lists the hidden %s", pipeline.WorkerCommand)
	}
}
