package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// A burst of 100 new sources against CONVERSION_JOB_CONCURRENCY=2 and CONVERSION_QUEUE_SIZE=8:
// exactly 10 are accepted, the 90 others get 503 with Retry-After and the JSON error, and
// once the conversions may go on, every accepted one completes. (bench/load runs the same
// against the real queue of 64 with the real pipeline and reports memory.)
func TestBurstAgainstSmallQueue(t *testing.T) {
	const sources, slots, queue = 100, 2, 8
	cfg := testConfig(t, "CONVERSION_JOB_CONCURRENCY="+strconv.Itoa(slots), "CONVERSION_QUEUE_SIZE="+strconv.Itoa(queue))
	conv := newGatedConverter(t, 4)
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	var heapBefore runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heapBefore)

	type answer struct {
		status     int
		retryAfter string
		body       []byte
	}
	answers := make([]answer, sources)
	var wg sync.WaitGroup
	for i := range sources {
		wg.Go(func() {
			src := fmt.Sprintf("https://origin.test/burst/%d.mp4", i)
			req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/token?ifm=mp4&ofm=gif&url="+url.QueryEscape(src), nil)
			req.SetBasicAuth(testUser, testPassword)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("token %d: %v", i, err)
				return
			}
			body, _ := readAll(res)
			answers[i] = answer{res.StatusCode, res.Header.Get("Retry-After"), body}
		})
	}
	wg.Wait()
	var accepted []string
	refused := 0
	for i, a := range answers {
		switch a.status {
		case http.StatusOK:
			var tok tokenAnswer
			if err := jsonUnmarshal(a.body, &tok); err != nil {
				t.Fatal(err)
			}
			accepted = append(accepted, tok.Token)
		case http.StatusServiceUnavailable:
			refused++
			if a.retryAfter == "" {
				t.Errorf("source %d: 503 without Retry-After", i)
			}
			checkErrorBody(t, "queue full", a.body, http.StatusServiceUnavailable)
		default:
			t.Errorf("source %d: status %d: %s", i, a.status, a.body)
		}
	}
	if len(accepted) != slots+queue || refused != sources-slots-queue {
		t.Fatalf("%d accepted, %d refused; want %d and %d", len(accepted), refused, slots+queue, sources-slots-queue)
	}
	var heapDuring runtime.MemStats
	runtime.ReadMemStats(&heapDuring)

	conv.open()
	for _, tok := range accepted {
		res := ts.get(t, "/convert.gif?token="+tok)
		body, err := readAll(res)
		if res.StatusCode != http.StatusOK || err != nil || !bytes.Equal(body, conv.whole()) {
			t.Errorf("accepted job: status %d, %v, %d bytes", res.StatusCode, err, len(body))
		}
	}
	if n := conv.calls.Load(); n != slots+queue {
		t.Errorf("%d conversions ran, want %d", n, slots+queue)
	}
	t.Logf("%d sources: %d accepted, %d refused with 503; heap in use %d KiB before, %d KiB with the queue full",
		sources, len(accepted), refused, heapBefore.HeapInuse>>10, heapDuring.HeapInuse>>10)
}

// slowReader connects with a small receive buffer and reads one byte every pause, as a client
// on a bad line (or one holding connections open on purpose) does. It returns how many bytes it
// got before the server closed the connection.
func slowReader(ctx context.Context, addr, path string, pause time.Duration) (int, error) {
	// The receive buffer is set before connecting, so that the window offered is small from
	// the start and the server's writes block instead of filling our kernel buffer.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: load\r\n\r\n", path)
	go func() {
		<-ctx.Done()
		_ = conn.Close()
	}()
	one := make([]byte, 1)
	n := 0
	for {
		if _, err := conn.Read(one); err != nil {
			return n, nil
		}
		n++
		time.Sleep(pause)
	}
}

// Slow clients reading a GIF a byte at a time hold neither memory nor goroutines beyond the
// write timeout: with small timeouts configured, every connection is closed by the server,
// before the whole body went out, and the goroutine count returns to where it was. Both the
// cached answer (http.Server's WriteTimeout) and the stream of a running conversion (the job
// deadline plus writeSlack) are covered.
func TestSlowClientsAreCut(t *testing.T) {
	const clients = 100
	big := make([]byte, 1<<20) // far beyond what the small socket buffers hold
	_, _ = rand.Read(big)
	const pieces = 16
	var parts [][]byte
	for i := range pieces {
		parts = append(parts, big[i*len(big)/pieces:(i+1)*len(big)/pieces])
	}
	for _, tc := range []string{"cached", "streamed"} {
		t.Run(tc, func(t *testing.T) {
			cfg := testConfig(t)
			gate := make(chan struct{})
			convert := func(ctx context.Context, _ string, _ pipeline.Options, w io.Writer) (pipeline.Stats, error) {
				for i, p := range parts {
					if i == 1 {
						select { // the stream stays open until the slow readers are all in
						case <-gate:
						case <-ctx.Done():
							return pipeline.Stats{}, ctx.Err()
						}
					}
					if _, err := w.Write(p); err != nil {
						return pipeline.Stats{}, err
					}
				}
				return pipeline.Stats{OutputBytes: int64(len(big))}, nil
			}
			srv, err := New(cfg, Deps{Store: store.NewMemory(cfg.ResultTTL, 64<<20), Convert: convert})
			if err != nil {
				t.Fatal(err)
			}
			srv.writeSlack = 300 * time.Millisecond
			srv.jobs.timeout = 2 * time.Second
			hs := httptest.NewUnstartedServer(srv.Handler())
			// Small send buffers, so that the server's writes block after a few KiB, as they do
			// in production once a body outgrows the kernel's buffers (a MiB here stands for it).
			hs.Listener = smallSendBuffers{hs.Listener}
			hs.Config = srv.HTTPServer()
			hs.Config.WriteTimeout = time.Second
			var closed atomic.Int32
			hs.Config.ConnState = func(_ net.Conn, state http.ConnState) {
				if state == http.StateClosed {
					closed.Add(1)
				}
			}
			hs.Start()
			srv.cfg.BaseURL = hs.URL
			ts := &testService{Server: srv, http: hs}
			defer func() {
				hs.Close()
				_ = srv.Shutdown(context.Background())
			}()
			tok := ts.token(t, "https://origin.test/big-"+tc+".mp4")
			if tc == "cached" {
				close(gate)
				waitIdle(t, ts)
			}
			runtime.GC()
			baseline := runtime.NumGoroutine()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			got := make([]int, clients)
			var wg sync.WaitGroup
			start := time.Now()
			for i := range clients {
				wg.Go(func() {
					n, err := slowReader(ctx, hs.Listener.Addr().String(), "/convert.gif?token="+tok.Token, 250*time.Microsecond)
					if err != nil {
						t.Errorf("client %d: %v", i, err)
					}
					got[i] = n
				})
			}
			if tc == "streamed" {
				// Every reader joined the running conversion (or is about to): let it finish.
				for counterValue(t, srv.metrics.cacheRequests.WithLabelValues("joined")) < clients {
					if ctx.Err() != nil {
						t.Fatalf("only %v of %d readers joined the conversion", counterValue(t, srv.metrics.cacheRequests.WithLabelValues("joined")), clients)
					}
					time.Sleep(5 * time.Millisecond)
				}
				close(gate)
			}
			var during runtime.MemStats
			runtime.ReadMemStats(&during)
			// The server closes every connection once a write waited past its deadline.
			for closed.Load() < int32(clients) && ctx.Err() == nil {
				time.Sleep(10 * time.Millisecond)
			}
			cut := time.Since(start)
			if ctx.Err() != nil {
				t.Fatalf("%d of %d slow clients still connected after 30 s: the server did not cut them", int32(clients)-closed.Load(), clients)
			}
			cancel() // what the clients' kernels still hold, they need not read
			wg.Wait()
			for i, n := range got {
				if n >= len(big) {
					t.Errorf("client %d read the whole body (%d bytes) a byte at a time: no timeout cut it", i, n)
				}
			}
			// The handlers and connections end a little after the clients notice.
			deadline := time.Now().Add(10 * time.Second)
			for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > baseline+2 {
				t.Errorf("%d goroutines after the slow clients, %d before", n, baseline)
			}
			t.Logf("%s: %d slow clients cut after %v; heap in use %d KiB before, %d KiB with all connected; goroutines back to %d (baseline %d)",
				tc, clients, cut.Round(10*time.Millisecond), before.HeapInuse>>10, during.HeapInuse>>10, runtime.NumGoroutine(), baseline)
		})
	}
}

// smallSendBuffers gives every accepted connection a send buffer of a few KiB.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}
