package main

import (
	"fmt"
	"io"

	"github.com/musicpresence/animated-album-covers/codec/h264"
)

// runVersion prints the program's version and that of the OpenH264 library it runs with.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: server version")
		return exitUsage
	}
	fmt.Fprintf(stdout, "server %s\nOpenH264 %s\n", version, h264.Version())
	return exitOK
}
