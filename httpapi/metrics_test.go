package httpapi

import (
	"io"
	"net/http"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"
)

// scrapeMetrics GETs /metrics and parses it with Prometheus' own text parser.
func scrapeMetrics(t *testing.T, ts *testService, user, password string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/metrics", nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: status %d", res.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families
}

// counterValue reads a counter in this process.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// metricValue is the value of the series of name with label=value (counter or gauge), 0 when
// absent.
func metricValue(families map[string]*dto.MetricFamily, name, label, value string) float64 {
	f, ok := families[name]
	if !ok {
		return 0
	}
	for _, m := range f.GetMetric() {
		match := label == ""
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				match = true
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			conv := newGatedConverter(t, 3)
			ts := startService(t, cfg, sk.make(t, cfg), conv.convert)
			a := ts.token(t, "https://origin.test/m.mp4")
			res := ts.get(t, "/convert.gif?token="+a.Token) // joins the running conversion
			first := make([]byte, len(conv.pieces[0]))
			if _, err := io.ReadFull(res.Body, first); err != nil {
				t.Fatal(err)
			}
			conv.open()
			_, _ = readAll(res)
			waitIdle(t, ts)
			res = ts.get(t, "/convert.gif?token="+a.Token) // a hit
			_, _ = readAll(res)

			m := scrapeMetrics(t, ts, "", "")
			for _, name := range []string{
				"http_requests_total", "http_handler_duration_seconds", "http_request_duration_seconds",
				"http_request_summary_seconds", "source_truncated_total", "conversions_total",
				"conversion_duration_seconds", "conversion_frames_total", "conversion_queue_wait_seconds",
				"conversions_in_progress", "cache_requests_total", "cache_entries", "source_bytes_total",
				"output_bytes_total", "go_goroutines", "process_cpu_seconds_total", "process_cpu_user_seconds_total",
				"process_cpu_system_seconds_total", "process_heap_bytes", "process_resident_memory_bytes",
			} {
				if _, ok := m[name]; !ok {
					t.Errorf("/metrics lacks %s", name)
				}
			}
			checks := []struct {
				name, label, value string
				want               float64
			}{
				{"conversions_total", "result", "success", 1},
				{"cache_requests_total", "result", "miss", 1},
				{"cache_requests_total", "result", "joined", 1},
				{"cache_requests_total", "result", "hit", 1},
				{"cache_entries", "", "", 1},
				{"conversion_frames_total", "stage", "encoded", float64(len(conv.pieces))},
				{"output_bytes_total", "", "", float64(len(conv.whole()))},
				{"conversion_duration_seconds", "", "", 1},
				{"conversions_in_progress", "", "", 0},
			}
			for _, c := range checks {
				if got := metricValue(m, c.name, c.label, c.value); got != c.want {
					t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, got, c.want)
				}
			}
			if s := series(m["http_requests_total"], map[string]string{"handler": "convert", "code": "200"}); s.GetCounter().GetValue() != 2 {
				t.Error(`http_requests_total{handler="convert",code="200"} is not 2`)
			}
			if typ := m["http_handler_duration_seconds"].GetType(); typ != dto.MetricType_HISTOGRAM {
				t.Errorf("http_handler_duration_seconds is a %s", typ)
			}
		})
	}
}

func TestMetricsAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("scrape-secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "METRICS_AUTH_USERNAME=prometheus", "METRICS_AUTH_PASSWORD_BCRYPT="+string(hash))
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), newGatedConverter(t, 1).convert)
	for _, c := range []struct {
		user, pass string
		want       int
	}{
		{"", "", http.StatusUnauthorized},
		{"prometheus", "wrong", http.StatusUnauthorized},
		{"other", "scrape-secret", http.StatusUnauthorized},
		{"prometheus", "scrape-secret", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/metrics", nil)
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := readAll(res)
		if res.StatusCode != c.want {
			t.Errorf("%s/%s: status %d, want %d", c.user, c.pass, res.StatusCode, c.want)
		}
		if c.want == http.StatusUnauthorized {
			checkErrorBody(t, "metrics auth", body, c.want)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		}
	}
	scrapeMetrics(t, ts, "prometheus", "scrape-secret")
}
