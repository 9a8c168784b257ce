package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
	"github.com/musicpresence/animated-album-covers/internal/errclass/errclasstest"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func newTestRedis(t *testing.T, url string, ttl time.Duration) *Redis {
	t.Helper()
	s, err := NewRedis(t.Context(), url, ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Every class survives the follow path: a follower's error is of the class the claimant's was,
// wraps each of its sentinels, and says what the claimant answered.
func TestEveryClassCrossesRedis(t *testing.T) {
	s := newTestRedis(t, redistest.Start(t), time.Hour)
	ctx := t.Context()
	for _, c := range errclass.Classes {
		sent := errclasstest.Error(c, c.Name+" went wrong")
		id := "class-" + c.Name
		claim, ok, err := s.Claim(ctx, id)
		if err != nil || !ok {
			t.Fatalf("%s: claim %v, %v", c.Name, ok, err)
		}
		if err := claim.Publish(ctx, []byte("GIF89a")); err != nil {
			t.Fatal(err)
		}
		if err := claim.End(ctx, sent); err != nil {
			t.Fatal(err)
		}
		if err := claim.Release(ctx); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		got := s.Follow(ctx, id, &out)
		if out.String() != "GIF89a" {
			t.Errorf("%s: followed %q", c.Name, out.String())
		}
		if errclass.Of(got).Name != c.Name {
			t.Errorf("%s: followed as %s (%v)", c.Name, errclass.Of(got).Name, got)
		}
		for _, e := range c.Errs {
			if !errors.Is(got, e) {
				t.Errorf("%s: followed %v does not wrap %v", c.Name, got, e)
			}
		}
		if want := errclass.Of(sent).PublicMessage(sent); sent != nil && (got == nil || got.Error() != want) {
			t.Errorf("%s: followed %v, the claimant answered %q", c.Name, got, want)
		}
	}
	// An end from a replica that names a class this version does not know: a failure, no more.
	if err := s.client.XAdd(ctx, &redis.XAddArgs{Stream: streamKey("class-future"), Values: []any{"end", "error", "class", "from-the-future", "status", 418, "message", "teapot"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if got := s.Follow(ctx, "class-future", io.Discard); !errors.Is(got, errclass.ErrResultAborted) || errclass.Of(got).Status != 500 {
		t.Errorf("unknown class followed as %v (status %d)", got, errclass.Of(got).Status)
	}
}

// A claim is one replica's: a second claim of the same conversion fails until the first is
// released, and a follower of a claim released without an end gives up with ErrResultAborted.
func TestClaimIsExclusive(t *testing.T) {
	url := redistest.Start(t)
	a, b := newTestRedis(t, url, time.Hour), newTestRedis(t, url, time.Hour)
	ctx := t.Context()
	claim, ok, err := a.Claim(ctx, "x")
	if err != nil || !ok {
		t.Fatalf("first claim: %v, %v", ok, err)
	}
	if _, ok, err := b.Claim(ctx, "x"); err != nil || ok {
		t.Fatalf("second claim while the first is held: %v, %v", ok, err)
	}
	if err := claim.Publish(ctx, []byte("GIF8")); err != nil {
		t.Fatal(err)
	}
	if err := claim.Release(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := b.Follow(ctx, "x", &out); !errors.Is(err, errclass.ErrResultAborted) || out.String() != "GIF8" {
		t.Errorf("following a claim released without an end: %q, %v", out.String(), err)
	}
	again, ok, err := b.Claim(ctx, "x")
	if err != nil || !ok {
		t.Fatalf("claim after release: %v, %v", ok, err)
	}
	if err := again.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// A REDIS_URL naming more nodes makes a cluster client, and Entries counts over every master.
func TestRedisCluster(t *testing.T) {
	url := redistest.StartCluster(t)
	s := newTestRedis(t, url, time.Hour)
	if _, ok := s.client.(*redis.ClusterClient); !ok {
		t.Fatalf("%q made a %T, want a cluster client", url, s.client)
	}
	ctx := t.Context()
	for i := range 12 { // hash tags spread the ids over the masters
		if err := s.PutResult(ctx, fmt.Sprintf("r%d", i), []byte("GIF89a")); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Entries(ctx); err != nil || n != 12 {
		t.Errorf("Entries over the cluster: %d, %v; want 12", n, err)
	}
}
