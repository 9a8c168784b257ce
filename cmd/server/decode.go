package main

import (
	"fmt"
	"io"
)

// runDecode is being built; see the open issues.
func runDecode(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
