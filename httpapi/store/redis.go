package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timing of shared conversions in Redis.
const (
	// claimTTL is how long a claim lives without renewal: a replica that dies mid-conversion
	// blocks the source for at most this long. Renewed every claimTTL/3.
	claimTTL = 30 * time.Second
	// streamTTL is how long a conversion's stream stays after its last entry, so that followers
	// that fell behind still read it to the end.
	streamTTL = 2 * time.Minute
	// followBlock is how long a follower waits for new output before checking that the claim is
	// still held.
	followBlock = 2 * time.Second
	// followOrphaned is how many waits without output and without a claim make a follower give
	// up: the claimant went away without saying how it ended.
	followOrphaned = 2
	// keyPrefix namespaces the service's keys in a shared Redis.
	keyPrefix = "aac:"
)

// Redis is the store that replicas share, and the way they share conversions (Claim, Follow).
//
// Keys, each with a hash tag so that one conversion's keys share a cluster slot:
//
//	aac:token:{T}    the token's value (the service's JSON of what it stands for), expiring
//	                 with the token
//	aac:result:{ID}  the finished GIF, expiring after the result TTL; ID includes the options'
//	                 fingerprint, so a settings change never serves an old result
//	aac:claim:{ID}   who converts ID now (SET NX PX, renewed while converting)
//	aac:stream:{ID}  the output of the running conversion as a Redis stream: one entry per
//	                 chunk ("d"), then one "end" entry saying how it ended
//
// A stream suits followers better than APPEND+PUBLISH: XREAD BLOCK waits for new entries and
// resumes from the last one seen, so no chunk or end is missed between two reads, with no
// subscription to keep and no polling.
type Redis struct {
	client    redis.UniversalClient
	resultTTL time.Duration
}

// NewRedis connects to the Redis of rawURL (redis:// or rediss://; a cluster when the URL names
// more nodes with ?addr=host:port) and checks that it answers. Results expire after resultTTL.
func NewRedis(ctx context.Context, rawURL string, resultTTL time.Duration) (*Redis, error) {
	opts, err := redisOptions(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Redis{client: redis.NewUniversalClient(opts), resultTTL: resultTTL}
	if err := s.Ping(ctx); err != nil {
		_ = s.client.Close()
		return nil, err
	}
	return s, nil
}

func redisOptions(rawURL string) (*redis.UniversalOptions, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("redis: bad URL") // the URL may hold a password: not repeated
	}
	if u.Query().Has("addr") {
		c, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, fmt.Errorf("redis: cluster URL: %w", err)
		}
		return &redis.UniversalOptions{Addrs: c.Addrs, Username: c.Username, Password: c.Password,
			TLSConfig: c.TLSConfig, IsClusterMode: true, ContextTimeoutEnabled: true}, nil
	}
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis: URL: %w", err)
	}
	return &redis.UniversalOptions{Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username, Password: o.Password,
		TLSConfig: o.TLSConfig, ContextTimeoutEnabled: true}, nil
}

func tokenKey(token string) string { return keyPrefix + "token:{" + token + "}" }
func resultKey(id string) string   { return keyPrefix + "result:{" + id + "}" }
func claimKey(id string) string    { return keyPrefix + "claim:{" + id + "}" }
func streamKey(id string) string   { return keyPrefix + "stream:{" + id + "}" }

// PutToken keeps value under token until expires.
func (s *Redis) PutToken(ctx context.Context, token string, value []byte, expires time.Time) error {
	if err := s.client.SetArgs(ctx, tokenKey(token), value, redis.SetArgs{ExpireAt: expires}).Err(); err != nil {
		return fmt.Errorf("redis: storing token: %w", err)
	}
	return nil
}

// Token returns the value of token, or ErrNotFound once it has expired.
func (s *Redis) Token(ctx context.Context, token string) ([]byte, error) {
	v, err := s.client.Get(ctx, tokenKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis: reading token: %w", err)
	}
	return v, nil
}

// PutResult keeps data under id for the result TTL.
func (s *Redis) PutResult(ctx context.Context, id string, data []byte) error {
	if err := s.client.Set(ctx, resultKey(id), data, s.resultTTL).Err(); err != nil {
		return fmt.Errorf("redis: storing result %s: %w", id, err)
	}
	return nil
}

// Result returns the result of id, or ErrNotFound.
func (s *Redis) Result(ctx context.Context, id string) ([]byte, error) {
	v, err := s.client.Get(ctx, resultKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis: reading result %s: %w", id, err)
	}
	return v, nil
}

// Entries counts results with SCAN, on every master of a cluster. It walks the key space, so
// it runs only when Prometheus scrapes.
func (s *Redis) Entries(ctx context.Context) (int, error) {
	count := func(ctx context.Context, c redis.Cmdable) (int, error) {
		n := 0
		iter := c.Scan(ctx, 0, keyPrefix+"result:*", 1000).Iterator()
		for iter.Next(ctx) {
			n++
		}
		return n, iter.Err()
	}
	cluster, ok := s.client.(*redis.ClusterClient)
	if !ok {
		n, err := count(ctx, s.client)
		if err != nil {
			return 0, fmt.Errorf("redis: counting results: %w", err)
		}
		return n, nil
	}
	var mu sync.Mutex
	total := 0
	err := cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := count(ctx, c)
		mu.Lock()
		total += n
		mu.Unlock()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redis: counting results: %w", err)
	}
	return total, nil
}

// Ping tells whether Redis answers.
func (s *Redis) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

// Close closes the connections to Redis.
func (s *Redis) Close() error { return s.client.Close() }
