package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// origin serves a fixture at /fast/ANY (at once) and /slow/ANY (pieceBytes every 100 ms), so
// that each path is a different source of the same bytes.
func startOrigin(fast, slow string, pieceBytes int) (*http.Server, string, error) {
	fastData, err := os.ReadFile(fast)
	if err != nil {
		return nil, "", err
	}
	slowData, err := os.ReadFile(slow)
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/fast/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(fastData)))
		_, _ = w.Write(fastData)
	})
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(slowData)))
		for off := 0; off < len(slowData); off += pieceBytes {
			if _, err := w.Write(slowData[off:min(off+pieceBytes, len(slowData))]); err != nil {
				return
			}
			http.NewResponseController(w).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	return srv, "http://" + l.Addr().String(), nil
}

// token asks the service for a token; status is the answer's, retryAfter its header.
func token(client *http.Client, base, source string) (tok string, status int, retryAfter string, err error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/token?ifm=mp4&ofm=gif&url="+url.QueryEscape(source), nil)
	req.SetBasicAuth("load", "load")
	res, err := client.Do(req)
	if err != nil {
		return "", 0, "", err
	}
	defer res.Body.Close()
	var a struct{ Token string }
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			return "", res.StatusCode, "", err
		}
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return a.Token, res.StatusCode, res.Header.Get("Retry-After"), nil
}

// rateResult is one concurrency level of the cached-GIF phase.
type rateResult struct {
	concurrency   int
	requests      int
	errors        int
	perSecond     float64
	p50, p99, max time.Duration
}

// hammer fetches path with `concurrency` clients for d, each request after the last.
func hammer(base, path string, concurrency int, d time.Duration) rateResult {
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	var latencies []time.Duration
	var errs atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(stop) {
				t0 := time.Now()
				res, err := client.Get(base + path)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	r := rateResult{concurrency: concurrency, requests: len(latencies), errors: int(errs.Load())}
	if n := len(latencies); n > 0 {
		r.perSecond = float64(n) / elapsed.Seconds()
		r.p50, r.p99, r.max = latencies[n/2], latencies[min(n-1, n*99/100)], latencies[n-1]
	}
	return r
}

// slowReaders opens n connections for path, each with a small receive buffer, reading a byte
// every pause until ctx ends or the server closes. It returns a func that reports how many are
// still open, how many the server closed (before ctx ended) and the bytes read in all, and one
// that waits for them all.
func slowReaders(ctx context.Context, addr, path string, n int, pause time.Duration) (open func() (live, closedByServer int, read int64), wait func()) {
	var live, closed atomic.Int64
	var bytesRead atomic.Int64
	var wg sync.WaitGroup
	for range n {
		live.Add(1)
		wg.Go(func() {
			defer live.Add(-1)
			d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
				return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
			}}
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				return
			}
			defer conn.Close()
			stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
			defer stop()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: load\r\n\r\n", path)
			one := make([]byte, 1)
			for {
				if _, err := conn.Read(one); err != nil {
					if ctx.Err() == nil {
						closed.Add(1)
					}
					return
				}
				bytesRead.Add(1)
				time.Sleep(pause)
			}
		})
	}
	return func() (int, int, int64) { return int(live.Load()), int(closed.Load()), bytesRead.Load() }, wg.Wait
}

func hostPort(base string) string { return strings.TrimPrefix(base, "http://") }
