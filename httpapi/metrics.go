package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// serviceMetrics are the service's Prometheus metrics, on a registry of their own so that tests
// and several servers in one process do not collide (names: docs/API.md, "Metrics").
type serviceMetrics struct {
	registry *prometheus.Registry
	handler  http.Handler // the Prometheus text format

	requests        *prometheus.CounterVec   // http_requests_total{handler,code}
	handlerDuration *prometheus.HistogramVec // http_handler_duration_seconds{handler}
	// The earlier service's request metrics, fastify-metrics' defaults, which the project's
	// dashboards and alerts query: same names, labels, buckets and quantiles.
	routeDuration *prometheus.HistogramVec // http_request_duration_seconds{method,route,status_code}
	routeSummary  *prometheus.SummaryVec   // http_request_summary_seconds{method,route,status_code}

	conversions        *prometheus.CounterVec // conversions_total{result}
	conversionDuration prometheus.Histogram   // conversion_duration_seconds
	frames             *prometheus.CounterVec // conversion_frames_total{stage}
	queueWait          prometheus.Histogram   // conversion_queue_wait_seconds
	conversionsRunning prometheus.Gauge       // conversions_in_progress
	cacheRequests      *prometheus.CounterVec // cache_requests_total{result}
	sourceBytes        prometheus.Counter     // source_bytes_total
	sourceTruncated    prometheus.Counter     // source_truncated_total
	outputBytes        prometheus.Counter     // output_bytes_total
}

// durationBuckets span a cached answer (a millisecond) to a long conversion (a minute).
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 60}

// fastify-metrics (versions 10 to 14) sets no buckets or percentiles of its own, so its route
// metrics have prom-client's defaults (prom-client's lib/histogram.js and lib/summary.js). A
// prom-client summary without maxAgeSeconds keeps every observation: its quantiles are over the
// process' lifetime, and so are these (summaryMaxAge is longer than any process runs).
var (
	routeBuckets   = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	routeQuantiles = map[float64]float64{0.01: 0.001, 0.05: 0.005, 0.5: 0.05, 0.9: 0.01, 0.95: 0.005, 0.99: 0.001, 0.999: 0.0001}
)

const summaryMaxAge = 100 * 365 * 24 * time.Hour

// Labels of the route metrics, as fastify-metrics names them.
var routeLabels = []string{"method", "route", "status_code"}

// newServiceMetrics registers the metrics, the Go and process collectors, and cache_entries,
// which asks entries (the store's count of results) when scraped.
func newServiceMetrics(entries func(context.Context) (int, error)) *serviceMetrics {
	m := &serviceMetrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		handlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_handler_duration_seconds", Help: "Time to answer HTTP requests, streaming included, by handler.",
			Buckets: durationBuckets,
		}, []string{"handler"}),
		routeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "request duration in seconds",
			Buckets: routeBuckets,
		}, routeLabels),
		routeSummary: prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name: "http_request_summary_seconds", Help: "request duration in seconds summary",
			Objectives: routeQuantiles, MaxAge: summaryMaxAge, AgeBuckets: 1,
		}, routeLabels),
		conversions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conversions_total", Help: "Conversions run by this instance, by result.",
		}, []string{"result"}),
		conversionDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "conversion_duration_seconds", Help: "Wall time of conversions, queue wait excluded.",
			Buckets: durationBuckets,
		}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "conversion_frames_total", Help: "Pictures decoded, skipped undecoded, and GIF frames encoded.",
		}, []string{"stage"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "conversion_queue_wait_seconds", Help: "Time conversions waited for a job slot.",
			Buckets: durationBuckets,
		}),
		conversionsRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "conversions_in_progress", Help: "Conversions running now on this instance.",
		}),
		cacheRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_requests_total", Help: "Requests for a result: served from the cache, joined a running conversion, or started one.",
		}, []string{"result"}),
		sourceBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "source_bytes_total", Help: "Bytes fetched from origins.",
		}),
		sourceTruncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "source_truncated_total", Help: "Conversions of sources that end inside themselves (served whole, last samples missing): the GIF shows what decoded.",
		}),
		outputBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "output_bytes_total", Help: "GIF bytes produced by conversions.",
		}),
	}
	cacheEntries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cache_entries", Help: "Finished results in the cache store.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := entries(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.registry.MustRegister(m.requests, m.handlerDuration, m.routeDuration, m.routeSummary, m.conversions,
		m.conversionDuration, m.frames, m.queueWait, m.conversionsRunning, m.cacheRequests, m.sourceBytes,
		m.sourceTruncated, m.outputBytes, cacheEntries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newNodeProcessCollector())
	// Series that exist from the start, so that rate() works before the first event.
	for _, r := range []string{"hit", "miss", "joined"} {
		m.cacheRequests.WithLabelValues(r)
	}
	for _, s := range []string{"decoded", "skipped", "encoded"} {
		m.frames.WithLabelValues(s)
	}
	m.conversions.WithLabelValues("success")
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m
}

// unmeasuredMethods are the methods fastify-metrics leaves out of its route metrics by default.
var unmeasuredMethods = map[string]bool{http.MethodHead: true, http.MethodOptions: true, http.MethodTrace: true, http.MethodConnect: true}

// observeRoute records one answered request in the earlier service's route metrics. route is
// the route's pattern; "" for a path no route serves, which fastify-metrics does not record
// (its registeredRoutesOnly default), nor does this.
func (m *serviceMetrics) observeRoute(method, route string, status int, elapsed time.Duration) {
	if route == "" || unmeasuredMethods[method] {
		return
	}
	code := strconv.Itoa(status)
	m.routeDuration.WithLabelValues(method, route, code).Observe(elapsed.Seconds())
	m.routeSummary.WithLabelValues(method, route, code).Observe(elapsed.Seconds())
}

// observeConversion counts one finished conversion from its Stats.
func (m *serviceMetrics) observeConversion(stats pipeline.Stats, wall time.Duration, err error) {
	m.conversions.WithLabelValues(conversionResult(err)).Inc()
	m.conversionDuration.Observe(wall.Seconds())
	m.frames.WithLabelValues("decoded").Add(float64(stats.Decoded))
	m.frames.WithLabelValues("skipped").Add(float64(stats.Skipped))
	m.frames.WithLabelValues("encoded").Add(float64(stats.Encoded))
	m.sourceBytes.Add(float64(stats.SourceBytes))
	if err == nil && stats.Truncated != nil {
		m.sourceTruncated.Inc()
	}
	m.outputBytes.Add(float64(stats.OutputBytes))
}
