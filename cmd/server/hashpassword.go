package main

import (
	"fmt"
	"io"
)

// runHashPassword is being built; see the open issues.
func runHashPassword(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "server: not built yet")
	return exitError
}
