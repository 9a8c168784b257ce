package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/httpapi"
	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
)

// kinds are the stores the shared suite runs on, through the interface the service uses them by
// (httpapi.Store), so that it checks what the service relies on.
var kinds = []struct {
	name string
	make func(t *testing.T, ttl time.Duration) httpapi.Store
}{
	{"memory", func(t *testing.T, ttl time.Duration) httpapi.Store { return store.NewMemory(ttl, 1<<20) }},
	{"redis", func(t *testing.T, ttl time.Duration) httpapi.Store {
		return store.NewTestRedis(t, redistest.Start(t), ttl)
	}},
}

// The shared suite: what the service relies on, on both stores. Tokens and results come back
// byte for byte (binary included), missing ones are store.ErrNotFound, and both expire.
func TestStore(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			s := k.make(t, 2*time.Second)
			ctx := t.Context()
			value := []byte(`{"url":"https://origin.test/a.mp4","ifm":"mp4","ofm":"gif","osz":40,"rts":true}`)
			if _, err := s.Token(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("missing token: %v", err)
			}
			if err := s.PutToken(ctx, "t1", value, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Token(ctx, "t1"); err != nil || !bytes.Equal(got, value) {
				t.Errorf("token: %q, %v", got, err)
			}
			if _, err := s.Result(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
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
				if errors.Is(terr, store.ErrNotFound) && errors.Is(rerr, store.ErrNotFound) {
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
