package main

import (
	"fmt"
	"io"
)

// runConvert is being built; see the open issues.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
