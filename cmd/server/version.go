package main

import (
	"fmt"
	"io"

	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
)

// runVersion prints the program's version and those of the decoder libraries it runs with:
// OpenH264 (linked in) and libde265 (the shared library loaded).
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: server version")
		return exitUsage
	}
	fmt.Fprintf(stdout, "server %s\nOpenH264 %s\nlibde265 %s\n", version, h264.Version(), h265.Version())
	return exitOK
}
