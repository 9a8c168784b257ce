// Command load puts a `server serve` process under load on loopback and reports what it held:
// cached GIFs at several concurrency levels (requests per second, p50/p99 latency), a burst of
// new sources against the conversion queue (200/503 counts, memory before and after, every
// accepted job completed), and slow clients reading a GIF a byte at a time (memory while they
// hang on, and whether the server's timeouts close them). RELIABILITY.md has its figures.
//
//	go run ./bench/load                       # builds bin/server if missing
//	go run ./bench/load -levels 1,8,32 -duration 3s -slow 200
//
// Everything stays on loopback; the origin is in this process and serves testdata/media.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("server", "bin/server", "the service binary (built with go build ./cmd/server when missing)")
	levels := flag.String("levels", "1,8,32,128", "concurrency levels of the cached-GIF phase")
	duration := flag.Duration("duration", 5*time.Second, "length of each cached-GIF level")
	burst := flag.Int("burst", 100, "new sources asked for at once")
	queue := flag.Int("queue", 64, "CONVERSION_QUEUE_SIZE")
	concurrency := flag.Int("concurrency", 2, "CONVERSION_JOB_CONCURRENCY")
	slow := flag.Int("slow", 500, "slow clients")
	slowHold := flag.Duration("slow-hold", 10*time.Second, "how long slow clients of the streamed GIF hang on before the tool lets go")
	phases := flag.String("phases", "cached,burst,slow", "which phases to run")
	slowWait := flag.Duration("slow-wait", 40*time.Second, "how long to wait for the server to close slow clients of the cached GIF (its write timeout is 30 s)")
	flag.Parse()
	if err := run(*bin, *phases, *levels, *duration, *burst, *queue, *concurrency, *slow, *slowHold, *slowWait); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(bin, phases, levels string, duration time.Duration, burst, queue, concurrency, slow int, slowHold, slowWait time.Duration) error {
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "building %s\n", bin)
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/server").CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %w\n%s", err, out)
		}
	}
	// 128x128, 3 s at 30 fps, 38 KB: quick conversions; 320x320 at 8 KiB per 100 ms: about
	// 2.6 s of download each, so that the burst's jobs wait in the queue and the slow clients'
	// GIF is still streaming when they connect.
	origin, originURL, err := startOrigin("testdata/media/high-bframes-128x128-30fps.mp4",
		"testdata/media/high-bframes-320x320-30fps.mp4", 8<<10)
	if err != nil {
		return err
	}
	defer origin.Close()
	svc, err := startService(bin, "CONVERSION_JOB_CONCURRENCY="+strconv.Itoa(concurrency), "CONVERSION_QUEUE_SIZE="+strconv.Itoa(queue))
	if err != nil {
		return err
	}
	defer svc.stop()
	client := &http.Client{Timeout: 5 * time.Minute}
	fmt.Printf("service %s (CONVERSION_JOB_CONCURRENCY=%d, CONVERSION_QUEUE_SIZE=%d, in-process store); at start: %v\n\n",
		bin, concurrency, queue, svc.memory())

	// 1. Cached GIF at increasing concurrency.
	if !strings.Contains(phases, "cached") {
		levels = ""
	}
	tok, status, _, err := token(client, svc.base, originURL+"/fast/cached.mp4")
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("token: %d %v", status, err)
	}
	cached := "/convert.gif?token=" + tok
	if res, err := client.Get(svc.base + cached); err == nil { // converts it, once
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		fmt.Printf("cached GIF: %d bytes\n", n)
	}
	fmt.Println("| concurrency | requests | errors | requests/s | p50 | p99 | max |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for l := range strings.SplitSeq(levels, ",") {
		if l == "" {
			continue
		}
		c, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || c < 1 {
			return fmt.Errorf("-levels: %q", l)
		}
		r := hammer(svc.base, cached, c, duration)
		fmt.Printf("| %d | %d | %d | %.0f | %v | %v | %v |\n", r.concurrency, r.requests, r.errors, r.perSecond,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.max.Round(10*time.Microsecond))
	}
	fmt.Printf("after the cached phase: %v\n\n", svc.memory())

	// 2. A burst of new sources against the queue.
	if !strings.Contains(phases, "burst") {
		burst = 0
	}
	before := svc.memory()
	type answer struct {
		token, retryAfter string
		status            int
		err               error
	}
	answers := make([]answer, burst)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			t, s, ra, err := token(client, svc.base, fmt.Sprintf("%s/slow/burst-%d.mp4", originURL, i))
			answers[i] = answer{t, ra, s, err}
		})
	}
	wg.Wait()
	tokenTime := time.Since(start)
	during := svc.memory()
	counts := map[int]int{}
	withRetry := 0
	var accepted []string
	for _, a := range answers {
		if a.err != nil {
			counts[-1]++
			continue
		}
		counts[a.status]++
		if a.status == http.StatusServiceUnavailable && a.retryAfter != "" {
			withRetry++
		}
		if a.status == http.StatusOK {
			accepted = append(accepted, a.token)
		}
	}
	fmt.Printf("burst of %d new sources, answered in %v: %d x 200, %d x 503 (%d with Retry-After), %d other, %d transport errors\n",
		burst, tokenTime.Round(time.Millisecond), counts[200], counts[503], withRetry, burst-counts[200]-counts[503]-counts[-1], counts[-1])
	// Every accepted job must complete: read each GIF (they stream or come from the cache).
	complete, failed := 0, 0
	var mu sync.Mutex
	sem := make(chan struct{}, 16)
	for _, t := range accepted {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := client.Get(svc.base + "/convert.gif?token=" + t)
			ok := err == nil && res.StatusCode == http.StatusOK
			if err == nil {
				_, cerr := io.Copy(io.Discard, res.Body)
				ok = ok && cerr == nil
				res.Body.Close()
			}
			mu.Lock()
			if ok {
				complete++
			} else {
				failed++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	after := svc.memory()
	fmt.Printf("accepted jobs: %d completed, %d failed, all done %v after the burst\n", complete, failed, time.Since(start).Round(100*time.Millisecond))
	fmt.Printf("memory: before %v\n        queue full %v\n        after %v\n\n", before, during, after)

	// 3. Slow clients: first on a GIF still being made (streamed), then on a cached one.
	if !strings.Contains(phases, "slow") {
		return nil
	}
	tok, status, _, err = token(client, svc.base, originURL+"/slow/streamed.mp4")
	if err != nil || status != http.StatusOK {
		return fmt.Errorf("token: %d %v", status, err)
	}
	before = svc.memory()
	ctx, cancel := context.WithTimeout(context.Background(), slowHold)
	open, wait := slowReaders(ctx, hostPort(svc.base), "/convert.gif?token="+tok, slow, 10*time.Millisecond)
	time.Sleep(slowHold / 2)
	n, _, read := open()
	during = svc.memory()
	wait()
	cancel()
	time.Sleep(time.Second)
	fmt.Printf("%d slow clients on a streamed GIF (1 byte per 10 ms, 2 KiB receive buffer): %d still connected after %v, %d bytes read in all\n",
		slow, n, slowHold/2, read)
	fmt.Printf("memory: before %v\n        with them connected %v\n        1 s after they left %v\n\n", before, during, svc.memory())

	res, err := client.Get(svc.base + "/convert.gif?token=" + tok) // now cached
	if err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	before = svc.memory()
	ctx, cancel = context.WithTimeout(context.Background(), slowWait)
	defer cancel()
	open, wait = slowReaders(ctx, hostPort(svc.base), "/convert.gif?token="+tok, slow, 10*time.Millisecond)
	start = time.Now()
	var peak memory
	var lastClose time.Duration
	closedBefore := 0
	for {
		n, closed, _ := open()
		if closed > closedBefore {
			closedBefore, lastClose = closed, time.Since(start)
		}
		if m := svc.memory(); m.rss > peak.rss {
			peak = m
		}
		if n == 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	n, closed, read := open()
	wait()
	fmt.Printf("%d slow clients on the cached GIF: %d closed by the server (the last about %v after they connected), %d still open when the tool let go after %v, %d bytes read in all\n",
		slow, closed, lastClose.Round(time.Second), n, time.Since(start).Round(time.Second), read)
	fmt.Printf("memory: before %v\n        peak %v\n        after %v\n", before, peak, svc.memory())
	return nil
}
