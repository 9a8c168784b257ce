package httpapi

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// series finds the series of family f whose labels are exactly want.
func series(f *dto.MetricFamily, want map[string]string) *dto.Metric {
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) == len(want) {
			match := true
			for k, v := range want {
				match = match && got[k] == v
			}
			if match {
				return m
			}
		}
	}
	return nil
}

// The earlier service's route metrics (fastify-metrics' defaults), over real HTTP: every request
// to a route is in the histogram http_request_duration_seconds and the summary
// http_request_summary_seconds with exactly the labels method, route (the route's pattern) and
// status_code, with prom-client's default buckets and quantiles; HEAD requests and paths no
// route serves are not recorded, as fastify-metrics does not record them.
func TestMetricsOfTheEarlierService(t *testing.T) {
	ts, tok := serviceAfterOneConversion(t)

	source := "ifm=mp4&ofm=gif&url=" + url.QueryEscape("https://origin.test/m.mp4")
	requests := []struct {
		method, path string
		auth         bool
		status       int
	}{
		{"GET", "/token?" + source, false, 401},
		{"GET", "/token?" + source + "&osz=0", true, 400},
		{"GET", "/convert.gif?token=" + tok.Token, false, 200},
		{"GET", "/convert?token=" + tok.Token, false, 200},
		{"GET", "/convert?token=unknown", false, 404},
		{"HEAD", "/convert.gif?token=" + tok.Token, false, 200}, // not recorded: HEAD
		{"GET", "/no/such/path", false, 404},                    // not recorded: no route
		{"POST", "/token", false, 405},                          // not recorded: no route for POST
		{"GET", "/convert.webp?token=x", false, 400},            // not recorded: no route
		{"GET", "/healthz", false, 200},
	}
	for _, r := range requests {
		req, _ := http.NewRequest(r.method, ts.http.URL+r.path, nil)
		if r.auth {
			req.SetBasicAuth(testUser, testPassword)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = readAll(res)
		if res.StatusCode != r.status {
			t.Fatalf("%s %s: status %d, want %d", r.method, r.path, res.StatusCode, r.status)
		}
	}

	m := scrapeMetrics(t, ts, "", "")
	hist, sum := m["http_request_duration_seconds"], m["http_request_summary_seconds"]
	if hist.GetType() != dto.MetricType_HISTOGRAM || sum.GetType() != dto.MetricType_SUMMARY {
		t.Fatalf("http_request_duration_seconds is a %s, http_request_summary_seconds a %s", hist.GetType(), sum.GetType())
	}
	want := []struct {
		method, route, status string
		count                 uint64
	}{
		{"GET", "/token", "200", 1},
		{"GET", "/token", "401", 1},
		{"GET", "/token", "400", 1},
		{"GET", "/convert.gif", "200", 2},
		{"GET", "/convert", "200", 1},
		{"GET", "/convert", "404", 1},
		{"GET", "/healthz", "200", 1},
	}
	var total uint64
	for _, w := range want {
		labels := map[string]string{"method": w.method, "route": w.route, "status_code": w.status}
		h, s := series(hist, labels), series(sum, labels)
		if h == nil || s == nil {
			t.Errorf("no series %v (histogram %v, summary %v)", labels, h != nil, s != nil)
			continue
		}
		if h.GetHistogram().GetSampleCount() != w.count || s.GetSummary().GetSampleCount() != w.count {
			t.Errorf("%v: histogram count %d, summary count %d, want %d", labels, h.GetHistogram().GetSampleCount(), s.GetSummary().GetSampleCount(), w.count)
		}
		total += w.count
	}
	// Nothing else: no HEAD, no unknown path, no other label. The scrape itself is recorded only
	// after it is answered.
	var recorded uint64
	for _, s := range hist.GetMetric() {
		recorded += s.GetHistogram().GetSampleCount()
		var names []string
		for _, l := range s.GetLabel() {
			names = append(names, l.GetName())
			if l.GetName() == "method" && l.GetValue() != "GET" {
				t.Errorf("a %s request is recorded", l.GetValue())
			}
		}
		if !slices.Equal(names, []string{"method", "route", "status_code"}) {
			t.Errorf("labels %v, want method, route, status_code", names)
		}
	}
	if recorded != total {
		t.Errorf("%d requests recorded, want %d", recorded, total)
	}
	// prom-client's default buckets and quantiles.
	var bounds []float64
	for _, b := range hist.GetMetric()[0].GetHistogram().GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) { // the text format writes +Inf, the parser keeps it
			bounds = append(bounds, b.GetUpperBound())
		}
	}
	if !slices.Equal(bounds, routeBuckets) || !slices.Equal(routeBuckets, []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}) {
		t.Errorf("buckets %v, want prom-client's defaults", bounds)
	}
	var quantiles []float64
	for _, q := range sum.GetMetric()[0].GetSummary().GetQuantile() {
		quantiles = append(quantiles, q.GetQuantile())
	}
	if !slices.Equal(quantiles, []float64{0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999}) {
		t.Errorf("quantiles %v, want prom-client's defaults", quantiles)
	}
	// This service's own request metrics keep their labels under their own names.
	if s := series(m["http_handler_duration_seconds"], map[string]string{"handler": "convert"}); s == nil || s.GetHistogram().GetSampleCount() != 5 {
		t.Errorf("http_handler_duration_seconds{handler=convert}: %v, want 5 requests (HEAD included)", s)
	}
	for _, name := range []string{"process_cpu_user_seconds_total", "process_cpu_system_seconds_total", "process_heap_bytes"} {
		f := m[name]
		if len(f.GetMetric()) != 1 {
			t.Errorf("%s: %d series, want 1", name, len(f.GetMetric()))
			continue
		}
		v := f.GetMetric()[0].GetCounter().GetValue() + f.GetMetric()[0].GetGauge().GetValue()
		if v <= 0 && name != "process_cpu_system_seconds_total" {
			t.Errorf("%s = %v, want more than 0", name, v)
		}
	}
}

// serviceAfterOneConversion is a service (in-process store) that has converted one source and
// served it once, and the source's token.
func serviceAfterOneConversion(t *testing.T) (*testService, tokenAnswer) {
	t.Helper()
	cfg := testConfig(t)
	conv := newGatedConverter(t, 2)
	conv.open()
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	tok := ts.token(t, "https://origin.test/m.mp4")
	_, _ = readAll(ts.get(t, "/convert.gif?token="+tok.Token))
	waitIdle(t, ts)
	return ts, tok
}

// metricsPage is the text of /metrics after a few requests.
func metricsPage(t *testing.T) []byte {
	t.Helper()
	ts, _ := serviceAfterOneConversion(t)
	res := ts.get(t, "/metrics")
	page, err := readAll(res)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d, %v", res.StatusCode, err)
	}
	return page
}

// The page passes Prometheus' lint (promlint, the library `promtool check metrics` runs) but
// for the one problem the earlier service's summary name has, which its dashboards need.
func TestMetricsLint(t *testing.T) {
	problems, err := promlint.New(bytes.NewReader(metricsPage(t))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].Metric != "http_request_summary_seconds" || !strings.Contains(problems[0].Text, "summary") {
		t.Errorf("lint problems %+v, want only the summary's name", problems)
	}
}

// The same with the real promtool (Debian's, as scripts/install-deps.sh installs it): it exits
// 3 (lint problems) naming only the summary.
func TestMetricsPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (scripts/install-deps.sh installs it)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(metricsPage(t))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("promtool check metrics: %v, want exit status 3 (lint problems): %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "http_request_summary_seconds") || !strings.Contains(lines[0], "summary") {
		t.Errorf("promtool: %q, want one line about http_request_summary_seconds", out)
	}
	t.Logf("promtool check metrics: exit %d: %s", exit.ExitCode(), bytes.TrimSpace(out))
}
