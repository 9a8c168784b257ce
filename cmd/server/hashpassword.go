package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// runHashPassword prints a bcrypt hash of a password, for METRICS_AUTH_PASSWORD_BCRYPT, so that
// operators need no other tool. The password comes from standard input: typed at a prompt
// without echo (twice) on a terminal, else its first line.
func runHashPassword(args []string, stdout, stderr io.Writer) int {
	return hashPassword(args, os.Stdin, stdout, stderr)
}

func hashPassword(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// bcrypt's default: every authenticated scrape pays it once (about 50 ms).
	cost := fs.Int("cost", bcrypt.DefaultCost, fmt.Sprintf("bcrypt cost, %d..%d", bcrypt.MinCost, bcrypt.MaxCost))
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server hash-password [-cost N] < password")
		fmt.Fprintln(stderr, "Prints a bcrypt hash of the password read from standard input (prompted for on a terminal).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 || *cost < bcrypt.MinCost || *cost > bcrypt.MaxCost {
		fs.Usage()
		return exitUsage
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hash-password: %v\n", err)
		return exitError
	}
	hash, err := bcrypt.GenerateFromPassword(password, *cost)
	if err != nil {
		fmt.Fprintf(stderr, "hash-password: %v\n", err)
		return exitError
	}
	fmt.Fprintln(stdout, string(hash))
	return exitOK
}

func readPassword(stdin io.Reader, stderr io.Writer) ([]byte, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		fmt.Fprint(stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		if !bytes.Equal(p, again) {
			return nil, errors.New("the passwords differ")
		}
		return checkPassword(p)
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	return checkPassword(bytes.TrimRight(line, "\r\n"))
}

func checkPassword(p []byte) ([]byte, error) {
	switch {
	case len(p) == 0:
		return nil, errors.New("empty password")
	case len(p) > 72:
		return nil, errors.New("password longer than 72 bytes, bcrypt's limit")
	}
	return p, nil
}
