package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// healthcheckTimeout bounds the whole check; container runtimes kill it after their own.
const healthcheckTimeout = 5 * time.Second

// runHealthcheck exits 0 when the service answers /healthz with 200: the container health
// check, as the image has no shell or curl.
func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server healthcheck [URL]")
		fmt.Fprintln(stderr, "URL defaults to http://127.0.0.1:PORT/healthz, PORT from LISTEN_ADDR (8080).")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	target := fs.Arg(0)
	if target == "" {
		_ = loadDotEnv(".env")
		target = healthURL(os.Getenv("LISTEN_ADDR"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return exitUsage
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return exitError
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s answered %s\n", target, res.Status)
		return exitError
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// healthURL is the /healthz URL of a service listening on listenAddr, reached over loopback
// when it listens on every address.
func healthURL(listenAddr string) string {
	if listenAddr == "" {
		listenAddr = ":8080"
	}
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "http://127.0.0.1:8080/healthz"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
