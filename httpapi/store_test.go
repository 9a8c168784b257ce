package httpapi

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// The Store contract, on both implementations.
func TestStore(t *testing.T) {
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			s := sk.make(t, cfg)
			ctx := t.Context()
			rts := true
			key := Key{URL: "https://origin.test/a.mp4", IFM: "mp4", OFM: "gif", OSZ: 40, OFR: 12, Colors: 16, RTS: &rts}
			if _, err := s.Token(ctx, "missing"); !errors.Is(err, ErrNotFound) {
				t.Errorf("missing token: %v", err)
			}
			if err := s.PutToken(ctx, "t1", key, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Token(ctx, "t1"); err != nil || !reflect.DeepEqual(got, key) {
				t.Errorf("token: %+v, %v", got, err)
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
		})
	}
}

func TestMemoryStoreBounds(t *testing.T) {
	s := NewMemoryStore(time.Hour, 10)
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
	_ = s.PutToken(ctx, "t", Key{}, now.Add(time.Minute))
	now = now.Add(time.Minute)
	if _, err := s.Token(ctx, "t"); !errors.Is(err, ErrNotFound) {
		t.Error("token kept past its expiry")
	}
}

func TestTokenExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 123_000_000) // not on a minute
	got := tokenExpiry(now, time.Hour, time.Minute)
	if got.Unix()%60 != 0 || got.Before(now.Add(time.Hour)) || got.Sub(now.Add(time.Hour)) >= time.Minute {
		t.Errorf("expiry %v for now %v", got, now)
	}
	a, _ := newToken(48)
	b, _ := newToken(48)
	if len(a) != 64 || a == b {
		t.Errorf("tokens %q %q", a, b)
	}
}

func TestCheckAddress(t *testing.T) {
	strict := &SourcePolicy{}
	open := &SourcePolicy{allowPrivate: true}
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "224.0.0.1": false, "ff02::1": false, "0.0.0.0": false,
		"::": false, "100.64.0.1": false, "fd00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"93.184.216.34": true, "2606:4700::1111": true, "17.253.144.10": true,
	} {
		err := strict.CheckAddress(netip.MustParseAddr(addr))
		if (err == nil) != public {
			t.Errorf("%s: %v, want public=%v", addr, err, public)
		}
		if err := open.CheckAddress(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s with private sources allowed: %v", addr, err)
		}
	}
}
