package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Metrics are the service's Prometheus metrics, on a registry of their own so that tests and
// several servers in one process do not collide (names: CONTRACT.md, "/metrics").
type Metrics struct {
	registry *prometheus.Registry
	handler  http.Handler

	requests        *prometheus.CounterVec   // http_requests_total{handler,code}
	requestDuration *prometheus.HistogramVec // http_request_duration_seconds{handler}

	conversions        *prometheus.CounterVec // conversions_total{result}
	conversionDuration prometheus.Histogram   // conversion_duration_seconds
	frames             *prometheus.CounterVec // conversion_frames_total{stage}
	queueWait          prometheus.Histogram   // conversion_queue_wait_seconds
	conversionsRunning prometheus.Gauge       // conversions_in_progress
	cacheRequests      *prometheus.CounterVec // cache_requests_total{result}
	sourceBytes        prometheus.Counter     // source_bytes_total
	outputBytes        prometheus.Counter     // output_bytes_total
}

// durationBuckets span a cached answer (a millisecond) to a long conversion (a minute).
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 25, 60}

// NewMetrics registers the metrics, the Go and process collectors, and cache_entries, which
// asks store when scraped.
func NewMetrics(store Store) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests answered, by handler and status code.",
		}, []string{"handler", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Time to answer HTTP requests, streaming included.",
			Buckets: durationBuckets,
		}, []string{"handler"}),
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
		outputBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "output_bytes_total", Help: "GIF bytes produced by conversions.",
		}),
	}
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "cache_entries", Help: "Finished results in the cache store.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.Entries(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.registry.MustRegister(m.requests, m.requestDuration, m.conversions, m.conversionDuration, m.frames,
		m.queueWait, m.conversionsRunning, m.cacheRequests, m.sourceBytes, m.outputBytes, entries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return m.handler
}

// observeConversion counts one finished conversion from its Stats.
func (m *Metrics) observeConversion(stats pipeline.Stats, wall time.Duration, err error) {
	m.conversions.WithLabelValues(conversionResult(err)).Inc()
	m.conversionDuration.Observe(wall.Seconds())
	m.frames.WithLabelValues("decoded").Add(float64(stats.Decoded))
	m.frames.WithLabelValues("skipped").Add(float64(stats.Skipped))
	m.frames.WithLabelValues("encoded").Add(float64(stats.Encoded))
	m.sourceBytes.Add(float64(stats.SourceBytes))
	m.outputBytes.Add(float64(stats.OutputBytes))
}
