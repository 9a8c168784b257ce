package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
)

// contract is what both stores offer the service, as its tests use it.
type contract interface {
	PutToken(ctx context.Context, token string, value []byte, expires time.Time) error
	Token(ctx context.Context, token string) ([]byte, error)
	PutResult(ctx context.Context, id string, data []byte) error
	Result(ctx context.Context, id string) ([]byte, error)
	Entries(ctx context.Context) (int, error)
	Ping(ctx context.Context) error
	Close() error
}

// kinds are the stores the shared suite runs on.
var kinds = []struct {
	name string
	make func(t *testing.T, ttl time.Duration) contract
}{
	{"memory", func(t *testing.T, ttl time.Duration) contract { return NewMemory(ttl, 1<<20) }},
	{"redis", func(t *testing.T, ttl time.Duration) contract { return newTestRedis(t, redistest.Start(t), ttl) }},
}

func newTestRedis(t *testing.T, url string, ttl time.Duration) *Redis {
	t.Helper()
	s, err := NewRedis(t.Context(), url, ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The shared suite: what the service relies on, on both stores. Tokens and results come back
// byte for byte (binary included), missing ones are ErrNotFound, and both expire.
func TestStore(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			s := k.make(t, 2*time.Second)
			ctx := t.Context()
			value := []byte(`{"url":"https://origin.test/a.mp4","ifm":"mp4","ofm":"gif","osz":40,"rts":true}`)
			if _, err := s.Token(ctx, "missing"); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing token: %v", err)
			}
			if err := s.PutToken(ctx, "t1", value, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Token(ctx, "t1"); err != nil || !bytes.Equal(got, value) {
				t.Errorf("token: %q, %v", got, err)
			}
			if _, err := s.Result(ctx, "r1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing result: %v", err)
			}
			data := []byte("GIF89a\x00\x01binary\xff")
			if err := s.PutResult(ctx, "r1", data); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Result(ctx, "r1"); err != nil || !bytes.Equal(got, data) {
				t.Errorf("result: %q, %v", got, err)
			}
			if n, err := s.Entries(ctx); err != nil || n != 1 {
				t.Errorf("entries: %d, %v", n, err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Errorf("ping: %v", err)
			}
			// Expiry on the store's own clock (Redis'): a token a second from its expiry, a
			// result TTL of two seconds. Polled, not timed: bounded by a generous deadline.
			if err := s.PutToken(ctx, "t2", value, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				_, terr := s.Token(ctx, "t2")
				_, rerr := s.Result(ctx, "r1")
				if errors.Is(terr, ErrNotFound) && errors.Is(rerr, ErrNotFound) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("token (%v) or result (%v) kept long past its expiry", terr, rerr)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got, err := s.Token(ctx, "t1"); err != nil || !bytes.Equal(got, value) {
				t.Errorf("token with an hour left: %q, %v", got, err)
			}
		})
	}
}

func TestMemoryBounds(t *testing.T) {
	s := NewMemory(time.Hour, 10)
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	ctx := t.Context()
	_ = s.PutResult(ctx, "a", []byte("aaaa"))
	_ = s.PutResult(ctx, "b", []byte("bbbb"))
	_ = s.PutResult(ctx, "c", []byte("cccc")) // 12 bytes > 10: a goes
	if _, err := s.Result(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Error("oldest result kept over the byte bound")
	}
	_ = s.PutResult(ctx, "huge", make([]byte, 11))
	if n, _ := s.Entries(ctx); n != 2 {
		t.Errorf("%d entries, want 2 (a result over the bound is not kept)", n)
	}
	now = now.Add(time.Hour)
	if _, err := s.Result(ctx, "b"); !errors.Is(err, ErrNotFound) {
		t.Error("result kept past its TTL")
	}
	_ = s.PutToken(ctx, "t", []byte("{}"), now.Add(time.Minute))
	now = now.Add(time.Minute)
	if _, err := s.Token(ctx, "t"); !errors.Is(err, ErrNotFound) {
		t.Error("token kept past its expiry")
	}
}

// classError is an error of class c as the packages make them: every sentinel of the class
// wrapped, with what failed.
func classError(c errclass.Class) error {
	if len(c.Errs) == 0 {
		return errors.New("gifenc: an internal failure")
	}
	args := make([]any, 0, len(c.Errs)+1)
	for _, e := range c.Errs {
		args = append(args, e)
	}
	return fmt.Errorf(strings.Repeat("%w: ", len(c.Errs))+"%s went wrong", append(args, c.Name)...)
}

// Every class survives the follow path: a follower's error is of the class the claimant's was,
// wraps each of its sentinels, and says what the claimant answered.
func TestEveryClassCrossesRedis(t *testing.T) {
	s := newTestRedis(t, redistest.Start(t), time.Hour)
	ctx := t.Context()
	for _, c := range errclass.Classes {
		var sent error
		if c.Name != errclass.None.Name {
			sent = classError(c)
		}
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
