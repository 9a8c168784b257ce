package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/musicpresence/animated-album-covers/httpapi"
	"github.com/musicpresence/animated-album-covers/httpapi/store"
)

// shutdownTimeout is how long running conversions (and the responses streaming them) get to
// finish after SIGTERM or SIGINT: within docker-compose.yaml's 30 s grace, so that the rest
// is cancelled and logged before Docker kills the process.
const shutdownTimeout = 25 * time.Second

// storeConnectTimeout bounds connecting to Redis at start.
const storeConnectTimeout = 10 * time.Second

// runServe runs the HTTP service until SIGTERM or SIGINT, then shuts it down gracefully.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envFile := fs.String("env-file", ".env", "optional file of NAME=VALUE lines; the environment wins over it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server serve [-env-file FILE]")
		fmt.Fprintln(stderr, "Configuration comes from the environment (see docs/API.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	if err := loadDotEnv(*envFile); err != nil {
		fmt.Fprintf(stderr, "server: %v\n", err)
		return exitUsage
	}
	cfg, err := httpapi.LoadConfig(os.LookupEnv)
	if err != nil {
		fmt.Fprintln(stderr, "server: bad configuration:")
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return exitUsage
	}
	log := newLogger(stderr, cfg.Debug)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("service failed", "err", err)
		return exitError
	}
	return exitOK
}

// newLogger logs JSON, one object a line, in production, and text on a terminal.
func newLogger(w io.Writer, debug bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: durationSeconds}
	if debug {
		opts.Level = slog.LevelDebug
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// durationSeconds logs durations as seconds (a float), which log queries compare and sum,
// instead of slog's nanoseconds.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}

// closableStore is a store the service runs on, which serve closes at the end.
type closableStore interface {
	httpapi.Store
	io.Closer
}

// openStore opens the store of the configuration: Redis when one is configured, else the
// in-process store. kind names it in the logs.
func openStore(ctx context.Context, cfg httpapi.Config) (st closableStore, kind string, err error) {
	if cfg.RedisURL == "" {
		return store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), "memory", nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeConnectTimeout)
	defer cancel()
	s, err := store.NewRedis(ctx, cfg.RedisURL, cfg.ResultTTL)
	if err != nil {
		return nil, "", err
	}
	return s, "redis", nil
}

// serve runs the service until ctx ends, then stops taking requests and waits for running
// conversions and their responses, up to shutdownTimeout.
func serve(ctx context.Context, cfg httpapi.Config, log *slog.Logger) error {
	st, kind, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := httpapi.New(cfg, httpapi.Deps{Store: st, Logger: log})
	if err != nil {
		return err
	}
	hs := srv.HTTPServer()
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "store", kind,
		"concurrency", cfg.JobConcurrency, "queue", cfg.QueueSize, "sources", cfg.SourceHosts,
		"private_sources", cfg.AllowPrivateSources, "metrics_auth", cfg.MetricsAuth(), "version", version)

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		_ = srv.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// The listener closes at once; responses still streaming end with their conversions,
	// which the jobs' shutdown waits for.
	var wg sync.WaitGroup
	var httpErr, jobsErr error
	wg.Go(func() { httpErr = hs.Shutdown(sctx) })
	wg.Go(func() { jobsErr = srv.Shutdown(sctx) })
	wg.Wait()
	if httpErr != nil {
		_ = hs.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if err := errors.Join(httpErr, jobsErr); err != nil {
		log.Warn("shutdown cut short", "err", err)
		return nil
	}
	log.Info("stopped")
	return nil
}
