// Command server is the animated-album-covers service and its tools: it turns animated album
// covers (MP4, MPEG-TS and HLS videos in H.264 or H.265) into small looping GIFs. See README.md,
// docs/API.md and the subcommands below.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit statuses, as the contract fixes them.
const (
	exitOK    = 0
	exitError = 1 // conversion or input error
	exitUsage = 2
)

// command is one subcommand: it gets the arguments after its name and returns the exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP service (configuration from the environment and .env)", runServe},
		{"convert", "convert a video file or URL into a GIF", runConvert},
		{"probe", "print what a source holds, as JSON", runProbe},
		{"decode", "write the decoded frames of a source as YUV4MPEG2", runDecode},
		{"healthcheck", "exit 0 when the service answers /healthz", runHealthcheck},
		{"hash-password", "print a bcrypt hash of a password (for METRICS_AUTH_PASSWORD_BCRYPT)", runHashPassword},
		{"version", "print the version and the decoder library version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runServe(nil, stdout, stderr)
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" || name == "help" {
		usage(stdout)
		return exitOK
	}
	if name == pipeline.WorkerCommand {
		// Hidden from usage: the decode worker an isolated conversion starts from this binary.
		return pipeline.RunDecodeWorker(args[1:], os.Stdin, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "server: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: server [command] [flags] [arguments]")
	fmt.Fprintln(w, "\nWithout a command, server runs the HTTP service. Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
}
