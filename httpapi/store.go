package httpapi

import (
	"context"
	"io"
	"time"
)

// Store keeps tokens and finished results; one per process, shared by the replicas behind one
// Redis. Results are stored only once complete, so anything Result returns is a whole GIF.
// Missing or expired entries are ErrNotFound.
type Store interface {
	PutToken(ctx context.Context, token string, key Key, expires time.Time) error
	Token(ctx context.Context, token string) (Key, error)
	PutResult(ctx context.Context, id string, data []byte) error
	Result(ctx context.Context, id string) ([]byte, error)
	// Entries counts the results held, for cache_entries.
	Entries(ctx context.Context) (int, error)
	// Ping tells whether the store answers, for /readyz.
	Ping(ctx context.Context) error
	Close() error
}

// SharedConversions is implemented by stores that several replicas share: a conversion claimed
// by one replica is followed by the others as it grows, so each source is converted once in the
// whole deployment. The in-process store does not need it: its Jobs join in memory.
type SharedConversions interface {
	// Claim tries to become the one replica converting id. On success the claim is held, and
	// renewed, until Release. ok is false when another replica holds it.
	Claim(ctx context.Context, id string) (claim ConversionClaim, ok bool, err error)
	// Follow streams, into w, the output of the conversion of id that another replica runs,
	// from its first byte until its end. It returns nil when the conversion completed, and
	// the conversion's error (with its class) when it failed.
	Follow(ctx context.Context, id string, w io.Writer) error
}

// ConversionClaim is a held claim on one conversion: the claimant publishes the output as it
// grows, then how it ended, then releases the claim.
type ConversionClaim interface {
	Publish(ctx context.Context, p []byte) error
	// End tells followers that the conversion ended: complete when err is nil. It is called
	// after the result is stored, so that a follower that missed the stream finds it.
	End(ctx context.Context, err error) error
	Release(ctx context.Context) error
}
