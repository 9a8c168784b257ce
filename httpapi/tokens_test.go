package httpapi

import (
	"testing"
	"time"
)

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
