package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Key is what a token stands for: one source, as the client named it, in one output format,
// with the optional parameters the client gave (zero or nil: not given). It is echoed in the
// /token answer as it is, so each parameter given comes back with its JSON type.
type Key struct {
	URL string `json:"url"`
	IFM string `json:"ifm"` // input format hint: mp4, m3u8 or auto (the content is sniffed anyway)
	OFM string `json:"ofm"` // output format: gif

	OSZ    int   `json:"osz,omitempty"`            // output size asked for
	OFR    int   `json:"ofr,omitempty"`            // frame rate asked for
	Colors int   `json:"out_gif_colors,omitempty"` // palette size asked for
	RTS    *bool `json:"rts,omitempty"`            // real-time pacing asked for (not done: docs/API.md)
	PRE    *bool `json:"pre,omitempty"`            // conversion at /token asked for (always done)
}

// inputFormats are the accepted ifm values and what each means.
var inputFormats = map[string]string{"mp4": "mp4", "m3u8": "m3u8", "hls": "m3u8", "auto": "auto"}

// outputFormats are the accepted ofm values.
var outputFormats = map[string]bool{"gif": true}

// ResultID names the output of key made with the options of fingerprint: the cache key, and the
// key that joins conversions. The input format is left out: the content is sniffed, so the hint
// does not change the bytes, and clients that disagree on it share one conversion. So are the
// optional parameters: what they change is in the fingerprint (Server.conversionOptions).
func ResultID(fingerprint string, key Key) string {
	sum := sha256.Sum256([]byte(key.OFM + "\n" + key.URL))
	return fingerprint + "-" + hex.EncodeToString(sum[:16])
}

// newToken returns size random bytes, base64url without padding (safe in a query string).
func newToken(size int) (string, error) {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenExpiry is now + ttl rounded up to a multiple of resolution (TOKEN_TTL_RESOLUTION): tokens
// made within one interval expire together, and a token never lives shorter than ttl.
func tokenExpiry(now time.Time, ttl, resolution time.Duration) time.Time {
	t := now.Add(ttl)
	if resolution <= 0 {
		return t
	}
	r := t.Truncate(resolution)
	if r.Before(t) {
		r = r.Add(resolution)
	}
	return r
}

// putToken stores key under token until expires, as JSON: the form replicas of every version
// sharing a Redis read.
func putToken(ctx context.Context, st Store, token string, key Key, expires time.Time) error {
	v, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	return st.PutToken(ctx, token, v, expires)
}

// lookupToken returns what token stands for; ErrNotFound when it is unknown or expired.
func lookupToken(ctx context.Context, st Store, token string) (Key, error) {
	v, err := st.Token(ctx, token)
	if err != nil {
		return Key{}, err
	}
	var key Key
	if err := json.Unmarshal(v, &key); err != nil {
		return Key{}, fmt.Errorf("token: %w", err)
	}
	return key, nil
}
