package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// Follow streams into w the output of the conversion of id that another replica claimed, from
// its first byte, until its end: nil when the conversion completed, else the conversion's
// error with its class (a claimant gone without an end is ErrResultAborted). It reads the
// stream from its first entry, blocking in XREAD between entries; when a wait brings nothing
// and the claim is gone too, the claimant died without an end.
func (s *Redis) Follow(ctx context.Context, id string, w io.Writer) error {
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
					return fmt.Errorf("%w: the replica converting it went away", errclass.ErrResultAborted)
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
		class = errclass.Of(errclass.ErrResultAborted)
	}
	if msg == "" {
		msg = class.Message
	}
	if msg == "" {
		msg = class.Errs[0].Error()
	}
	return class.Rebuild(msg)
}
