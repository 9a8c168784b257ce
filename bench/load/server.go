package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// service is a `server serve` process under load, on a loopback port, with the in-process store.
type service struct {
	cmd  *exec.Cmd
	base string
	logs bytes.Buffer
	done chan error
}

// startService runs bin with the environment the load phases assume: a whitelist of 127.0.0.1,
// private sources allowed (the origin is on loopback), and the queue sizes given.
func startService(bin string, env ...string) (*service, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	s := &service{base: "http://" + addr, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "serve", "-env-file", "/dev/null")
	s.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "TOKEN_AUTH_USERNAME=load", "TOKEN_AUTH_PASSWORD=load",
		"LISTEN_ADDR=" + addr, "SERVER_BASE_URL=" + s.base,
		"SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "ALLOW_PRIVATE_SOURCES=1",
	}, env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	for i := 0; ; i++ {
		if res, err := http.Get(s.base + "/healthz"); err == nil {
			res.Body.Close()
			return s, nil
		}
		if i > 500 {
			s.stop()
			return nil, fmt.Errorf("service did not answer on %s: %s", addr, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the service with SIGTERM (its graceful drain), then SIGKILL if it takes too long.
func (s *service) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// memory is what the service's process holds: resident set from /proc, Go heap and goroutines
// from its own /metrics.
type memory struct {
	rss, heap  int64
	goroutines int
}

func (m memory) String() string {
	return fmt.Sprintf("RSS %.1f MiB, heap in use %.1f MiB, %d goroutines", float64(m.rss)/(1<<20), float64(m.heap)/(1<<20), m.goroutines)
}

func (s *service) memory() memory {
	var m memory
	if f, err := os.Open("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.rss = kb << 10
			}
		}
		f.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return m
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "go_memstats_heap_inuse_bytes":
			m.heap = int64(v)
		case "go_goroutines":
			m.goroutines = int(v)
		}
	}
	return m
}
