// Package redistest runs real redis-server processes (Debian's redis-server package) for tests:
// one on a free loopback port (Start), one a test can kill and start again on the same port
// (New, Server.Kill, Server.Start), and a cluster of three masters (StartCluster). Each has a
// temporary directory and no persistence, and is killed when the test ends. A test is skipped
// when redis-server is not installed. Only tests import this package.
package redistest

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"testing"
	"time"
)

// Server is one redis-server on a fixed loopback port.
type Server struct {
	t    testing.TB
	addr string   // host:port, fixed for the server's life
	dir  string   // its working directory
	args []string // beyond port, bind, dir and no persistence
	cmd  *exec.Cmd
	done chan error // the exit of cmd
	logs *bytes.Buffer
}

// New starts a redis-server on a free loopback port with args added to its command line.
func New(t testing.TB, args ...string) *Server {
	t.Helper()
	need(t, "redis-server")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, addr: l.Addr().String(), dir: t.TempDir(), args: args}
	_ = l.Close()
	t.Cleanup(s.Kill)
	s.Start()
	return s
}

// Start returns the URL of a new redis-server, database 0.
func Start(t testing.TB) string {
	t.Helper()
	return New(t).URL()
}

// URL is the server's redis:// URL, database 0.
func (s *Server) URL() string { return "redis://" + s.addr + "/0" }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Start starts the server again after Kill, on the same port and directory (its data gone, as
// after a restart without persistence), and waits until it listens.
func (s *Server) Start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	args := append([]string{"--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--protected-mode", "no"}, s.args...)
	s.logs = &bytes.Buffer{}
	s.cmd = exec.Command("redis-server", args...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(s.cmd, s.done)
	// A readiness probe, bounded: not a timing assertion.
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", s.addr); err == nil {
			_ = c.Close()
			return
		}
		select {
		case err := <-s.done:
			s.cmd = nil
			s.t.Fatalf("redis-server exited: %v\n%s", err, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if i > 500 {
			s.t.Fatalf("redis-server did not listen on %s: %s", s.addr, s.logs.String())
		}
	}
}

// Kill ends the server with SIGKILL, no goodbye to its clients, and waits for it.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// StartCluster starts three cluster-enabled masters without replicas, joins them with
// `redis-cli --cluster create`, waits until every node says the cluster is ok, and returns the
// service's REDIS_URL for it: the first node, the others as addr parameters (go-redis' cluster
// URL form).
func StartCluster(t testing.TB) string {
	t.Helper()
	need(t, "redis-cli")
	var addrs []string
	for range 3 {
		s := New(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		addrs = append(addrs, s.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// The nodes agree on the slots a moment after create returns.
	for _, addr := range addrs {
		host, port, _ := net.SplitHostPort(addr)
		for {
			out, err := exec.CommandContext(ctx, "redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
			if err == nil && bytes.Contains(out, []byte("cluster_state:ok")) {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("cluster not ok on %s within 60 s: %s", addr, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return "redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]
}

// need skips the test when program is not installed.
func need(t testing.TB, program string) {
	t.Helper()
	if _, err := exec.LookPath(program); err != nil {
		t.Skipf("%s not installed (apt-get install redis-server; make test installs it)", program)
	}
}
