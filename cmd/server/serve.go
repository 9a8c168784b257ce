package main

import (
	"fmt"
	"io"
)

// runServe is being built; see the open issues.
func runServe(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
