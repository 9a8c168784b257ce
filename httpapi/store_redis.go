package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
	"github.com/musicpresence/animated-album-covers/pipeline"
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

// RedisStore is the Store that replicas share, and their SharedConversions.
//
// Keys, each with a hash tag so that one conversion's keys share a cluster slot:
//
//	aac:token:{T}    JSON Key, expiring with the token
//	aac:result:{ID}  the finished GIF, expiring after the result TTL; ID includes the options'
//	                 fingerprint, so a settings change never serves an old result
//	aac:claim:{ID}   who converts ID now (SET NX PX, renewed while converting)
//	aac:stream:{ID}  the output of the running conversion as a Redis stream: one entry per
//	                 chunk ("d"), then one "end" entry saying how it ended
//
// A stream suits followers better than APPEND+PUBLISH: XREAD BLOCK waits for new entries and
// resumes from the last one seen, so no chunk or end is missed between two reads, with no
// subscription to keep and no polling.
type RedisStore struct {
	client    redis.UniversalClient
	resultTTL time.Duration
}

// NewRedisStore connects to the Redis of rawURL (redis:// or rediss://; a cluster when the URL
// names more nodes with ?addr=host:port) and checks that it answers.
func NewRedisStore(ctx context.Context, rawURL string, resultTTL time.Duration) (*RedisStore, error) {
	opts, err := redisOptions(rawURL)
	if err != nil {
		return nil, err
	}
	s := &RedisStore{client: redis.NewUniversalClient(opts), resultTTL: resultTTL}
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

func (s *RedisStore) PutToken(ctx context.Context, token string, key Key, expires time.Time) error {
	v, err := json.Marshal(key)
	if err != nil {
		return fmt.Errorf("redis: token: %w", err)
	}
	if err := s.client.SetArgs(ctx, tokenKey(token), v, redis.SetArgs{ExpireAt: expires}).Err(); err != nil {
		return fmt.Errorf("redis: storing token: %w", err)
	}
	return nil
}

func (s *RedisStore) Token(ctx context.Context, token string) (Key, error) {
	v, err := s.client.Get(ctx, tokenKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("redis: reading token: %w", err)
	}
	var key Key
	if err := json.Unmarshal(v, &key); err != nil {
		return Key{}, fmt.Errorf("redis: token: %w", err)
	}
	return key, nil
}

func (s *RedisStore) PutResult(ctx context.Context, id string, data []byte) error {
	if err := s.client.Set(ctx, resultKey(id), data, s.resultTTL).Err(); err != nil {
		return fmt.Errorf("redis: storing result %s: %w", id, err)
	}
	return nil
}

func (s *RedisStore) Result(ctx context.Context, id string) ([]byte, error) {
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
func (s *RedisStore) Entries(ctx context.Context) (int, error) {
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

func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}
	return nil
}

func (s *RedisStore) Close() error { return s.client.Close() }

// renewClaim and releaseClaim act only on a claim still held by its holder, atomically, so a
// replica whose claim expired never extends or deletes the next holder's.
var (
	renewClaim = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0`)
	releaseClaim = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1]) end
return 0`)
)

// Claim makes this replica the converter of id, unless another holds the claim.
func (s *RedisStore) Claim(ctx context.Context, id string) (ConversionClaim, bool, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	ok, err := s.client.SetNX(ctx, claimKey(id), holder, claimTTL).Result()
	if err != nil {
		return nil, false, fmt.Errorf("redis: claiming %s: %w", id, err)
	}
	if !ok {
		return nil, false, nil
	}
	// A stream an earlier, failed run left must not be read as this run's.
	if err := s.client.Del(ctx, streamKey(id)).Err(); err != nil {
		_ = releaseClaim.Run(ctx, s.client, []string{claimKey(id)}, holder).Err()
		return nil, false, fmt.Errorf("redis: claiming %s: %w", id, err)
	}
	c := &redisClaim{s: s, id: id, holder: holder, stop: make(chan struct{})}
	c.renewing.Go(c.renew)
	return c, true, nil
}

// redisClaim is a held claim; its goroutine renews it until Release.
type redisClaim struct {
	s        *RedisStore
	id       string
	holder   string         // random value of the claim key, this holder's
	stop     chan struct{}  // closed by Release
	once     sync.Once      //
	renewing sync.WaitGroup // the renewing goroutine
}

func (c *redisClaim) renew() {
	t := time.NewTicker(claimTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), claimTTL/3)
			_ = renewClaim.Run(ctx, c.s.client, []string{claimKey(c.id)}, c.holder, claimTTL.Milliseconds()).Err()
			cancel()
		}
	}
}

func (c *redisClaim) Publish(ctx context.Context, p []byte) error {
	key := streamKey(c.id)
	_, err := c.s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{"d", p}})
		pipe.PExpire(ctx, key, streamTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: publishing %s: %w", c.id, err)
	}
	return nil
}

func (c *redisClaim) End(ctx context.Context, convErr error) error {
	values := []any{"end", "ok"}
	if convErr != nil {
		// The class decides the followers' answers. The status is for followers of versions
		// before class names, during a rolling upgrade.
		c := errclass.Of(convErr)
		values = []any{"end", "error", "class", c.Name, "status", c.Status, "message", c.PublicMessage(convErr)}
	}
	key := streamKey(c.id)
	_, err := c.s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: values})
		pipe.PExpire(ctx, key, streamTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: ending %s: %w", c.id, err)
	}
	return nil
}

func (c *redisClaim) Release(ctx context.Context) error {
	c.once.Do(func() { close(c.stop) })
	c.renewing.Wait()
	if err := releaseClaim.Run(ctx, c.s.client, []string{claimKey(c.id)}, c.holder).Err(); err != nil {
		return fmt.Errorf("redis: releasing %s: %w", c.id, err)
	}
	return nil
}

// Follow reads the stream of id from its first entry, writing every chunk to w, until the end
// entry. Between entries it blocks in XREAD; when a wait brings nothing and the claim is gone
// too, the claimant died without an end.
func (s *RedisStore) Follow(ctx context.Context, id string, w io.Writer) error {
	last := "0"
	orphaned := 0
	for {
		streams, err := s.client.XRead(ctx, &redis.XReadArgs{
			Streams: []string{streamKey(id), last}, Count: 64, Block: followBlock,
		}).Result()
		if errors.Is(err, redis.Nil) {
			n, err := s.client.Exists(ctx, claimKey(id)).Result()
			if err != nil {
				return fmt.Errorf("redis: following %s: %w", id, err)
			}
			if n == 0 {
				orphaned++
				if orphaned >= followOrphaned {
					return fmt.Errorf("%w: the replica converting it went away", pipeline.ErrResultAborted)
				}
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("redis: following %s: %w", id, err)
		}
		orphaned = 0
		for _, st := range streams {
			for _, msg := range st.Messages {
				last = msg.ID
				if d, ok := msg.Values["d"].(string); ok {
					if _, err := io.WriteString(w, d); err != nil {
						return fmt.Errorf("redis: following %s: %w", id, err)
					}
				}
				if end, ok := msg.Values["end"].(string); ok {
					if end == "ok" {
						return nil
					}
					return followedError(msg.Values)
				}
			}
		}
	}
}

// followedError is the error of a conversion another replica ran, from its stream's end entry:
// the message it answered with, and the class it had there, so that it answers with the same
// status, message and errors.Is here.
func followedError(values map[string]any) error {
	msg, _ := values["message"].(string)
	name, _ := values["class"].(string)
	class, ok := errclass.Named(name)
	if !ok || class.Name == errclass.None.Name {
		// A replica of another version that names no class this one knows: it failed, and
		// said no more that this one can use.
		class = errclass.Of(pipeline.ErrResultAborted)
	}
	if msg == "" {
		msg = class.Message
	}
	if msg == "" {
		msg = class.Errs[0].Error()
	}
	return class.Rebuild(msg)
}
