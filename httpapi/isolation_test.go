//go:build faultinject

package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// The tests here crash decode workers on purpose: they need the faultinject build tag (make test
// gives it), which compiles in the decoders' Fault and the worker's AAC_TEST_WORKER_CRASH.

// A decoder crash, of each kind (OpenH264's, and libde265's for an HEVC source), in the real
// service: two conversions run at once and one of them crashes; a cached GIF is read meanwhile.
// The crashing one answers a clean 500 (or, when it crashes after GIF bytes went out, an aborted
// response), caches nothing, frees its job slot and counts as decoder_crash; the other completes
// with the GIF an in-process conversion makes; the service stays up with no worker left behind.
func TestDecoderCrashCostsOneConversion(t *testing.T) {
	const (
		goodPath   = "/media/high-bframes-320x320-30fps.mp4"
		cachedPath = "/media/baseline-160x160-60fps.mp4"
	)
	good, err := os.ReadFile(filepath.Join("..", "testdata", goodPath))
	if err != nil {
		t.Fatal(err)
	}
	// The good source, at /held/N/…, is held back after its first half until the test closes
	// gates[N], so that it is still converting while the crash happens and the cached GIF is read.
	gates := make([]chan struct{}, 16)
	for i := range gates {
		gates[i] = make(chan struct{})
	}
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir("../testdata")))
	mux.Handle("/crash/", http.StripPrefix("/crash", http.FileServer(http.Dir("../testdata"))))
	mux.HandleFunc("/held/{n}"+goodPath, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil || n < 0 || n >= len(gates) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(good)))
		w.Write(good[:len(good)/2])
		w.(http.Flusher).Flush()
		select {
		case <-gates[n]:
		case <-r.Context().Done():
			return
		}
		w.Write(good[len(good)/2:])
	})
	origin, _ := startOrigin(t, mux)
	run := 0

	const hevcPath = "/hevc/main-192x192-30fps.mp4" // the crash is libde265's (h265.Fault); 72 frames
	cases := []struct {
		kind   string
		after  int // the picture the worker crashes at
		worker pipeline.WorkerOptions
		source string // under /crash/; "": goodPath
	}{
		{"segv", 1, pipeline.WorkerOptions{}, ""},
		{"abort", 1, pipeline.WorkerOptions{}, ""},
		{"oom", 1, pipeline.WorkerOptions{MaxMemory: 192 << 20}, ""},
		{"hang", 1, pipeline.WorkerOptions{MaxCPU: time.Second}, ""},
		{"segv", 60, pipeline.WorkerOptions{}, ""}, // after the first GIF bytes were streamed (the palette window)
		{"segv", 1, pipeline.WorkerOptions{}, hevcPath},
		{"segv", 60, pipeline.WorkerOptions{}, hevcPath},
	}
	for _, sk := range storeKinds {
		for _, c := range cases {
			decoder := "h264"
			if c.source != "" {
				decoder = "hevc"
			} else {
				c.source = goodPath
			}
			t.Run(sk.name+"/"+decoder+"/"+c.kind+"@"+strconv.Itoa(c.after), func(t *testing.T) {
				t.Setenv("AAC_TEST_WORKER_CRASH", c.kind+":/crash/:"+strconv.Itoa(c.after))
				cfg := testConfig(t, "CONVERSION_JOB_CONCURRENCY=2")
				if !cfg.Conversion.Isolate {
					t.Fatal("CONVERSION_ISOLATE_DECODER is off by default")
				}
				cfg.Conversion.Worker = c.worker
				var want bytes.Buffer
				if _, err := pipeline.Convert(t.Context(), "../testdata"+goodPath, cfg.Conversion, &want); err != nil {
					t.Fatal(err)
				}
				ts := startService(t, cfg, sk.make(t, cfg), nil)

				cached := ts.token(t, origin.URL+cachedPath)
				wantCached, ok := fetchGIF(t, ts, cached.Token)
				if !ok {
					t.Fatal("the GIF to be cached did not convert")
				}
				gate := gates[run]
				held := ts.token(t, origin.URL+"/held/"+strconv.Itoa(run)+goodPath)
				run++
				crash := ts.token(t, origin.URL+"/crash"+c.source)

				// The crashing conversion ends while the other is held back.
				res := ts.get(t, "/convert.gif?token="+crash.Token)
				body, readErr := readAll(res)
				if c.after == 1 {
					if res.StatusCode != http.StatusInternalServerError {
						t.Errorf("crashing conversion: status %d, want 500: %s", res.StatusCode, body)
					}
					checkErrorBody(t, "crash", body, http.StatusInternalServerError)
					if !strings.Contains(string(body), "decoder crashed") {
						t.Errorf("crash message %s does not say the decoder crashed", body)
					}
				} else if readErr == nil {
					t.Errorf("crash after streaming: status %d, %d bytes ending cleanly; want an aborted response", res.StatusCode, len(body))
				}
				// Meanwhile a cached GIF is served whole from the cache.
				res = ts.get(t, "/convert.gif?token="+cached.Token)
				data, err := readAll(res)
				if err != nil || res.StatusCode != http.StatusOK || res.ContentLength != int64(len(wantCached)) || !bytes.Equal(data, wantCached) {
					t.Errorf("cached GIF during the crash: status %d, %d of %d bytes, %v", res.StatusCode, len(data), len(wantCached), err)
				}
				if _, err := ts.store.Result(t.Context(), ts.resultID(crash.Key)); !errors.Is(err, ErrNotFound) {
					t.Errorf("crashed conversion's result in the store: %v, want ErrNotFound", err)
				}

				close(gate)
				if data, ok := fetchGIF(t, ts, held.Token); !ok || !bytes.Equal(data, want.Bytes()) {
					t.Errorf("conversion beside the crash: %d bytes, want the %d bytes of an in-process conversion", len(data), want.Len())
				}

				waitNoJobs(t, ts)
				m := scrapeMetrics(t, ts, "", "")
				// The request for the crashing token joins the conversion /token started, or, when
				// that one already failed (failures are not cached), starts one that fails again.
				if n := metricValue(m, "conversions_total", "result", "decoder_crash"); n < 1 || n > 2 {
					t.Errorf("conversions_total{result=decoder_crash} = %g, want 1 or 2", n)
				}
				if n := metricValue(m, "conversions_total", "result", "success"); n != 2 {
					t.Errorf("conversions_total{result=success} = %g, want 2", n)
				}
				if res := ts.get(t, "/healthz"); res.StatusCode != http.StatusOK {
					t.Errorf("/healthz after the crash: %d", res.StatusCode)
				}
				if n := childProcesses(t); n != 0 {
					t.Errorf("%d worker processes left", n)
				}
			})
		}
	}
}

// fetchGIF reads a token's GIF whole; ok is false unless it is a 200 that ends cleanly.
func fetchGIF(t *testing.T, ts *testService, token string) ([]byte, bool) {
	t.Helper()
	res := ts.get(t, "/convert.gif?token="+token)
	data, err := readAll(res)
	return data, err == nil && res.StatusCode == http.StatusOK && bytes.HasPrefix(data, []byte("GIF89a"))
}

// waitNoJobs waits until every job has ended and given back its slot (a readiness wait for the
// job goroutines' last step, bounded).
func waitNoJobs(t *testing.T, ts *testService) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts.jobs.mu.Lock()
		running, pending := len(ts.jobs.jobs), ts.jobs.pending
		ts.jobs.mu.Unlock()
		if running == 0 && pending == 0 && len(ts.jobs.slots) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs, %d pending, %d slots taken after every conversion ended", running, pending, len(ts.jobs.slots))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// childProcesses counts this process's children, zombies included (Linux /proc): a worker that
// was killed but not waited for is still one. The Redis server the test started is not counted.
func childProcesses(t *testing.T) int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	n := 0
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // ended while we looked
		}
		comm := string(data[bytes.IndexByte(data, '(')+1 : bytes.LastIndexByte(data, ')')])
		rest := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(rest) > 1 && rest[1] == self && !strings.HasPrefix(comm, "redis") {
			n++
		}
	}
	return n
}
