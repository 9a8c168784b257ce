package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/musicpresence/animated-album-covers/internal/redistest"
)

// Two service instances on a three-node Redis Cluster: one conversion in all, streamed to the
// readers of both from its first byte, then served from the shared cache by both; tokens are
// shared, and cache_entries counts over every master.
func TestTwoInstancesOnRedisCluster(t *testing.T) {
	redisURL := redistest.StartCluster(t)
	cfg := testConfig(t, "REDIS_URL="+redisURL)
	if cfg.RedisURL != redisURL {
		t.Fatalf("REDIS_URL read as %q", cfg.RedisURL)
	}
	convA, convB := newGatedConverter(t, 5), newGatedConverter(t, 5)
	storeA := newTestRedisStore(t, cfg.RedisURL, cfg)
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
