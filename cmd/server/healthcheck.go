package main

import (
	"fmt"
	"io"
)

// runHealthcheck is being built; see the open issues.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
