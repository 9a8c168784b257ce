package httpapi

import (
	"context"
	"io"
	"time"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
)

// Store keeps tokens and finished results: store.Memory in one process, store.Redis shared by
// the replicas behind one Redis. Results are stored only once complete, so anything Result
// returns is a whole GIF. Missing or expired entries are ErrNotFound.
type Store interface {
	// PutToken keeps value (the JSON of the token's Key) until expires.
	PutToken(ctx context.Context, token string, value []byte, expires time.Time) error
	Token(ctx context.Context, token string) ([]byte, error)
	PutResult(ctx context.Context, id string, data []byte) error
	Result(ctx context.Context, id string) ([]byte, error)
	// Entries counts the results held, for cache_entries.
	Entries(ctx context.Context) (int, error)
	// Ping tells whether the store answers, for /readyz.
	Ping(ctx context.Context) error
}

// sharedConversions is what a store that several replicas share adds (store.Redis): a
// conversion claimed by one replica is followed by the others as it grows, so each source is
// converted once in the whole deployment. The in-process store does not need it: its jobs join
// in memory.
type sharedConversions interface {
	// Claim tries to become the one replica converting id; ok is false when another holds it.
	Claim(ctx context.Context, id string) (claim *store.Claim, ok bool, err error)
	// Follow streams into w the output of the conversion of id that another replica runs,
	// from its first byte until its end: nil when it completed, else its error and class.
	Follow(ctx context.Context, id string, w io.Writer) error
}
