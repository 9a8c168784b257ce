package main

import (
	"context"
	"sync"
	"time"
)

// tokenBucket limits the bytes per second of every response of the origin together: it stands
// for the one network link between the converter and the CDN, which a converter fetching several
// things at once (ffmpeg probing every HLS variant) shares.
type tokenBucket struct {
	rate  float64 // bytes per second; 0 means no limit
	burst float64 // bytes that may go at once after an idle moment

	mu     sync.Mutex
	tokens float64 // may go negative: bytes reserved by writers that are waiting
	last   time.Time
}

func newTokenBucket(bitsPerSecond float64) *tokenBucket {
	rate := bitsPerSecond / 8
	// A burst of 1/50 s of traffic (at least one chunk): smooth like a real link, coarse
	// enough that sleeping is not most of the cost.
	return &tokenBucket{rate: rate, burst: max(rate/50, throttleChunk), tokens: max(rate/50, throttleChunk), last: time.Now()}
}

// throttleChunk is the largest write the origin makes at once.
const throttleChunk = 16 << 10

// wait blocks until n bytes may be sent. Reservations are taken in call order, so concurrent
// responses share the rate fairly enough for a benchmark.
func (b *tokenBucket) wait(ctx context.Context, n int) error {
	if b == nil || b.rate <= 0 {
		return nil
	}
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	deficit := -b.tokens
	b.mu.Unlock()
	if deficit <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(deficit / b.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
