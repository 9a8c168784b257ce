package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

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

// Claim tries to make this replica the one converting id: ok is false when another replica
// holds the claim. A claim is held, and renewed, until its Release; meanwhile the holder
// publishes the output as it grows, then how the conversion ended, which the other replicas
// Follow.
func (s *Redis) Claim(ctx context.Context, id string) (claim *Claim, ok bool, err error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	ok, err = s.client.SetNX(ctx, claimKey(id), holder, claimTTL).Result()
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
	c := &Claim{s: s, id: id, holder: holder, stop: make(chan struct{})}
	c.renewing.Go(c.renew)
	return c, true, nil
}

// Claim is a held claim on one conversion; its goroutine renews it until Release.
type Claim struct {
	s        *Redis
	id       string
	holder   string         // random value of the claim key, this holder's
	stop     chan struct{}  // closed by Release
	once     sync.Once      //
	renewing sync.WaitGroup // the renewing goroutine
}

func (c *Claim) renew() {
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

// Publish appends p to the output the followers read.
func (c *Claim) Publish(ctx context.Context, p []byte) error {
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

// End tells followers that the conversion ended: complete when convErr is nil, else with
// convErr's class and the message a client is told. The service calls it after storing the
// result, so that a follower that missed the stream finds the result.
func (c *Claim) End(ctx context.Context, convErr error) error {
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

// Release gives up the claim and stops renewing it.
func (c *Claim) Release(ctx context.Context) error {
	c.once.Do(func() { close(c.stop) })
	c.renewing.Wait()
	if err := releaseClaim.Run(ctx, c.s.client, []string{claimKey(c.id)}, c.holder).Err(); err != nil {
		return fmt.Errorf("redis: releasing %s: %w", c.id, err)
	}
	return nil
}
