package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Limits of the HTTP server against slow or hostile clients. /convert streams for as long as a
// conversion runs, so it sets its own write deadline instead of WriteTimeout's.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 16 << 10
)

// Server is the HTTP service.
type Server struct {
	cfg         Config
	store       Store
	jobs        *jobRunner
	metrics     *serviceMetrics
	policy      *sourcePolicy
	log         *slog.Logger
	tokenAuth   *basicAuth
	metricsAuth *bcryptAuth      // nil: /metrics is open
	options     pipeline.Options // of a conversion without optional parameters (see conversionOptions)
	now         func() time.Time
	handler     http.Handler
	writeSlack  time.Duration // of a stream's write deadline (the constant; tests shorten it)
}

// Deps are what a Server runs on besides its configuration.
type Deps struct {
	Store   Store     // required
	Convert Converter // nil: pipeline.Convert
	Logger  *slog.Logger
}

// New makes a Server. Its jobs run until Shutdown.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil {
		return nil, errors.New("httpapi: a store is required")
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:        cfg,
		store:      deps.Store,
		metrics:    newServiceMetrics(deps.Store.Entries),
		policy:     newSourcePolicy(cfg),
		log:        log,
		tokenAuth:  newBasicAuth("token", cfg.TokenUsername, cfg.TokenPassword),
		now:        time.Now,
		writeSlack: writeSlack,
	}
	// Every request of a conversion goes through the source policy: its client dials only
	// allowed addresses; fetching asks its host check before every request (redirects,
	// playlist entries and renditions included). The cache keys stay the URL the client asked
	// for, whichever rendition is read.
	s.options = cfg.Conversion
	s.options.Source.Fetch.Client = s.policy.client()
	s.options.Source.Fetch.CheckURL = s.policy.checkURL
	if err := s.options.Validate(); err != nil {
		return nil, fmt.Errorf("httpapi: conversion settings: %w", err)
	}
	if cfg.MetricsAuth() {
		s.metricsAuth = newBcryptAuth("metrics", cfg.MetricsUsername, cfg.MetricsBcryptHash)
	}
	convert := deps.Convert
	if convert == nil {
		convert = pipeline.Convert
	}
	s.jobs = newJobRunner(jobsConfig{Concurrency: cfg.JobConcurrency, QueueSize: cfg.QueueSize, Timeout: cfg.JobTimeout()},
		convert, deps.Store, s.metrics, log)
	s.handler = s.routes()
	return s, nil
}

// Handler serves the API.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /token", s.instrument("token", "/token", http.HandlerFunc(s.handleToken)))
	mux.Handle("GET /convert", s.instrument("convert", "/convert", s.handleConvert("")))
	mux.Handle("GET /convert.gif", s.instrument("convert", "/convert.gif", s.handleConvert("gif")))
	mux.Handle("GET /metrics", s.instrument("metrics", "/metrics", http.HandlerFunc(s.handleMetrics)))
	mux.Handle("GET /healthz", s.instrument("healthz", "/healthz", http.HandlerFunc(s.handleHealthz)))
	mux.Handle("GET /readyz", s.instrument("readyz", "/readyz", http.HandlerFunc(s.handleReadyz)))
	if s.cfg.DevSamplesDir != "" {
		s.log.Warn("serving development samples; never set DEV_SAMPLES_DIR in production", "dir", s.cfg.DevSamplesDir)
		mux.Handle("GET /dev/samples/", http.StripPrefix("/dev/samples/", http.FileServer(http.Dir(s.cfg.DevSamplesDir))))
	}
	mux.Handle("/", s.instrument("other", "", http.HandlerFunc(s.handleOther)))
	return s.common(mux)
}

// HTTPServer returns an http.Server for the handler with the service's limits.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Addr:              s.cfg.ListenAddr,
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Shutdown stops starting conversions and waits for those under way until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.jobs.shutdown(ctx); err != nil {
		return fmt.Errorf("httpapi: %w", err)
	}
	return nil
}
