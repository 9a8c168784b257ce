package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
	"github.com/musicpresence/animated-album-covers/internal/errclass/errclasstest"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// classConverter fails each conversion with the error of the class its source names
// (https://origin.test/class/NAME.mp4), once the test lets it.
type classConverter struct {
	started chan string
	mu      sync.Mutex
	gates   map[string]chan struct{}
}

func (c *classConverter) gate(input string) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gates[input] == nil {
		c.gates[input] = make(chan struct{})
	}
	return c.gates[input]
}

func (c *classConverter) convert(ctx context.Context, input string, _ pipeline.Options, _ io.Writer) (pipeline.Stats, error) {
	c.started <- input
	select {
	case <-c.gate(input):
	case <-ctx.Done():
		return pipeline.Stats{}, ctx.Err()
	}
	name := strings.TrimSuffix(input[strings.LastIndexByte(input, '/')+1:], ".mp4")
	class, _ := errclass.Named(name)
	return pipeline.Stats{}, errclasstest.Error(class, class.Name+" went wrong")
}

// Every class, as a conversion's failure on one replica, answers with its status and message
// there and on a replica that follows the conversion through Redis, and counts under its
// conversions_total{result} label where it ran.
func TestEveryClassAnswersOnBothReplicas(t *testing.T) {
	want := map[string]struct {
		status  int
		result  string
		message string // "": the error's text
	}{
		"decoder-crashed": {500, "decoder_crash", "conversion failed: the video decoder crashed on this source"},
		"forbidden":       {403, "forbidden", ""},
		"unsupported":     {415, "unsupported", ""},
		"truncated":       {415, "unsupported", ""},
		"invalid":         {415, "unsupported", ""},
		"origin-timeout":  {504, "timeout", ""},
		"deadline":        {504, "timeout", ""},
		"origin":          {502, "origin_error", ""},
		"queue-full":      {503, "error", ""},
		"shutting-down":   {503, "error", ""},
		"not-found":       {404, "error", ""},
		"aborted":         {500, "error", "conversion failed"},
		"other":           {500, "error", "conversion failed"},
	}
	redisURL := redistest.Start(t)
	cfg := testConfig(t)
	convA := &classConverter{started: make(chan string, 64), gates: map[string]chan struct{}{}}
	convB := &classConverter{started: make(chan string, 64), gates: map[string]chan struct{}{}}
	a := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convA.convert)
	b := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convB.convert)
	for _, c := range errclass.Classes[1:] {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("class %s: no expected answer in this test", c.Name)
			continue
		}
		if w.message == "" {
			w.message = errclasstest.Error(c, c.Name+" went wrong").Error()
		}
		source := "https://origin.test/class/" + c.Name + ".mp4"
		tokA := a.token(t, source)
		input := <-convA.started // A holds the claim and waits at the gate
		tokB := b.token(t, source)
		waitFollowing(t, b)
		// Both readers join the job before it fails: a failure is not kept.
		got := map[string]chan *http.Response{"A": make(chan *http.Response, 1), "B": make(chan *http.Response, 1)}
		for name, ts := range map[string]*testService{"A": a, "B": b} {
			tok := tokA.Token
			if name == "B" {
				tok = tokB.Token
			}
			joined := counterValue(t, ts.metrics.cacheRequests.WithLabelValues("joined"))
			go func() { got[name] <- ts.get(t, "/convert.gif?token="+url.QueryEscape(tok)) }()
			for counterValue(t, ts.metrics.cacheRequests.WithLabelValues("joined")) <= joined {
				runtime.Gosched()
			}
		}
		before := metricValue(scrapeMetrics(t, a, "", ""), "conversions_total", "result", w.result)
		close(convA.gate(input))
		for _, name := range []string{"A", "B"} {
			res := <-got[name]
			body, _ := readAll(res)
			var e apiError
			if err := json.Unmarshal(body, &e); err != nil || res.StatusCode != w.status || e.StatusCode != w.status || e.Message != w.message {
				t.Errorf("%s on %s: status %d, %s; want %d with %q", c.Name, name, res.StatusCode, body, w.status, w.message)
			}
		}
		waitIdle(t, a)
		waitIdle(t, b)
		if after := metricValue(scrapeMetrics(t, a, "", ""), "conversions_total", "result", w.result); after != before+1 {
			t.Errorf("%s: conversions_total{result=%q} went from %v to %v, want one more", c.Name, w.result, before, after)
		}
	}
	if n := len(convB.started); n != 0 {
		t.Errorf("B converted %d times, want 0", n)
	}
}
