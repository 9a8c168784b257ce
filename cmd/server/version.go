package main

import (
	"fmt"
	"io"
)

// runVersion is being built; see the open issues.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
