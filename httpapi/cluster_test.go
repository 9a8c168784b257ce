package httpapi

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedisCluster starts three redis-server masters (cluster-enabled, no replicas) on free
// loopback ports with temporary directories, joins them with redis-cli --cluster create, waits
// until the cluster says ok, and returns the service's REDIS_URL for it: the first node, the
// others as addr parameters (go-redis' cluster URL form).
func startRedisCluster(t *testing.T) string {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (apt-get install redis-server)", bin)
		}
	}
	var addrs []string
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		_, port, _ := net.SplitHostPort(addr)
		var logs bytes.Buffer
		cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", t.TempDir(),
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
			"--save", "", "--appendonly", "no", "--protected-mode", "no")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		for i := 0; ; i++ { // a readiness probe, bounded
			if c, err := net.Dial("tcp", addr); err == nil {
				_ = c.Close()
				break
			}
			if i > 500 {
				t.Fatalf("redis-server did not listen on %s: %s", addr, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		addrs = append(addrs, addr)
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

// Two service instances on a three-node Redis Cluster: one conversion in all, streamed to the
// readers of both from its first byte, then served from the shared cache by both; tokens are
// shared, and cache_entries counts over every master.
func TestTwoInstancesOnRedisCluster(t *testing.T) {
	redisURL := startRedisCluster(t)
	cfg := testConfig(t, "REDIS_URL="+redisURL)
	if cfg.RedisURL != redisURL {
		t.Fatalf("REDIS_URL read as %q", cfg.RedisURL)
	}
	convA, convB := newGatedConverter(t, 5), newGatedConverter(t, 5)
	storeA := newTestRedisStore(t, cfg.RedisURL, cfg)
	if _, ok := storeA.client.(*redis.ClusterClient); !ok {
		t.Fatalf("REDIS_URL %q made a %T, want a cluster client", redisURL, storeA.client)
	}
	a := startService(t, cfg, storeA, convA.convert)
	b := startService(t, cfg, newTestRedisStore(t, cfg.RedisURL, cfg), convB.convert)

	// Several sources, so that their keys land on different masters (hash tags keep each
	// conversion's keys on one).
	for i := range 3 {
		source := "https://origin.test/cluster-" + strconv.Itoa(i) + ".mp4"
		tokA := a.token(t, source)
		<-convA.started // A holds the claim
		tokB := b.token(t, source)
		resB := b.get(t, "/convert.gif?token="+tokB.Token)
		if resB.StatusCode != http.StatusOK {
			t.Fatalf("B: status %d", resB.StatusCode)
		}
		first := make([]byte, len(convA.pieces[0]))
		if _, err := io.ReadFull(resB.Body, first); err != nil {
			t.Fatalf("B got no bytes while A converts: %v", err)
		}
		resA := a.get(t, "/convert.gif?token="+tokA.Token)
		if i == 0 {
			convA.open()
		}
		restB, errB := readAll(resB)
		bodyA, errA := readAll(resA)
		if errA != nil || errB != nil || !bytes.Equal(bodyA, convA.whole()) || !bytes.Equal(append(first, restB...), convA.whole()) {
			t.Fatalf("source %d: A %d bytes (%v), B %d bytes (%v), want both %d", i, len(bodyA), errA, len(first)+len(restB), errB, len(convA.whole()))
		}
		waitIdle(t, a)
		waitIdle(t, b)
		res := b.get(t, "/convert.gif?token="+tokA.Token) // A's token, on B, from the cache
		body, _ := readAll(res)
		if res.StatusCode != http.StatusOK || res.ContentLength != int64(len(body)) || !bytes.Equal(body, convA.whole()) {
			t.Errorf("source %d: A's token on B: status %d, Content-Length %d", i, res.StatusCode, res.ContentLength)
		}
	}
	if ca, cb := convA.calls.Load(), convB.calls.Load(); ca != 3 || cb != 0 {
		t.Errorf("conversions: A %d, B %d; want 3 and 0", ca, cb)
	}
	n, err := storeA.Entries(context.Background())
	if err != nil || n != 3 {
		t.Errorf("Entries over the cluster: %d, %v; want 3", n, err)
	}
}
