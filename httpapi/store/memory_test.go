package store

import (
	"errors"
	"testing"
	"time"
)

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
