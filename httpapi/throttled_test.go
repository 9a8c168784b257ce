package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
)

// gatedOrigin serves one file: the first part at once, the rest once the gate opens, so the
// conversion cannot end before the test lets it.
func gatedOrigin(t *testing.T, path string, firstPart int) (url string, gate chan struct{}) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gate = make(chan struct{})
	srv, _ := startOrigin(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			http.Error(w, "no ranges here", http.StatusNotImplemented)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:firstPart])
		http.NewResponseController(w).Flush()
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write(data[firstPart:])
	}))
	return srv.URL + "/cover.mp4", gate
}

// Twenty readers of one new token with the real pipeline and an origin that holds back the
// last quarter of the source: each gets GIF bytes while the conversion waits for the origin
// (so before it ends; the first bytes wait for the encoder's palette window, about 1.3 s of
// this 3 s clip), all get the same GIF, and the metrics count one conversion.
func TestConcurrentReadersWithPipelineAndSlowOrigin(t *testing.T) {
	const readers = 20
	const fixture = "../testdata/media/high-bframes-320x320-30fps.mp4"
	info, err := os.Stat(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			src, gate := gatedOrigin(t, fixture, int(info.Size()*3/4))
			cfg := testConfig(t)
			ts := startService(t, cfg, sk.make(t, cfg), nil)
			a := ts.token(t, src)

			var firstBytes, done sync.WaitGroup
			firstBytes.Add(readers)
			bodies := make([][]byte, readers)
			errs := make([]error, readers)
			for i := range readers {
				done.Go(func() {
					res, err := http.Get(ts.http.URL + "/convert.gif?token=" + a.Token)
					if err != nil {
						errs[i] = err
						firstBytes.Done()
						return
					}
					head := make([]byte, 6)
					_, err = io.ReadFull(res.Body, head)
					firstBytes.Done()
					if err != nil {
						errs[i] = err
						res.Body.Close()
						return
					}
					rest, err := readAll(res)
					bodies[i], errs[i] = append(head, rest...), err
				})
			}
			firstBytes.Wait() // every reader has GIF bytes; the origin still holds part of the source
			close(gate)
			done.Wait()
			for i := range readers {
				if errs[i] != nil {
					t.Fatalf("reader %d: %v", i, errs[i])
				}
				if !bytes.HasPrefix(bodies[i], []byte("GIF89a")) || !bytes.Equal(bodies[i], bodies[0]) {
					t.Fatalf("reader %d: %d bytes, reader 0: %d", i, len(bodies[i]), len(bodies[0]))
				}
			}
			waitIdle(t, ts)
			m := scrapeMetrics(t, ts, "", "")
			if got := metricValue(m, "conversions_total", "result", "success"); got != 1 {
				t.Errorf("conversions_total{result=success} = %v, want 1", got)
			}
			if got := metricValue(m, "source_bytes_total", "", ""); got < float64(info.Size()) {
				t.Errorf("source_bytes_total = %v, want at least the source's %d", got, info.Size())
			}
			t.Logf("%d readers, %d bytes each", readers, len(bodies[0]))
		})
	}
}
