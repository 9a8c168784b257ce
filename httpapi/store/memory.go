package store

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// memoryTokenSweep is how many tokens are added between sweeps of the expired ones.
const memoryTokenSweep = 1024

// Memory is the in-process store, used when no Redis is configured: one instance, nothing to
// install. Results are bounded by their total size (the oldest go first) and expire after the
// result TTL; tokens expire at their expiry.
type Memory struct {
	resultTTL time.Duration
	maxBytes  int64
	now       func() time.Time

	mu       sync.Mutex
	tokens   map[string]memoryToken
	added    int                      // tokens added since the last sweep
	results  map[string]*list.Element // of *memoryResult, by id
	order    *list.List               // of *memoryResult, oldest first
	resBytes int64                    // sum of the results' sizes
}

type memoryToken struct {
	value   []byte
	expires time.Time
}

type memoryResult struct {
	id      string
	data    []byte
	expires time.Time
}

// NewMemory makes an empty store holding results for ttl, at most maxBytes of them.
func NewMemory(ttl time.Duration, maxBytes int64) *Memory {
	return &Memory{
		resultTTL: ttl,
		maxBytes:  maxBytes,
		now:       time.Now,
		tokens:    make(map[string]memoryToken),
		results:   make(map[string]*list.Element),
		order:     list.New(),
	}
}

// PutToken keeps value under token until expires.
func (s *Memory) PutToken(_ context.Context, token string, value []byte, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = memoryToken{value: value, expires: expires}
	s.added++
	if s.added >= memoryTokenSweep {
		s.added = 0
		now := s.now()
		for t, v := range s.tokens {
			if !now.Before(v.expires) {
				delete(s.tokens, t)
			}
		}
	}
	return nil
}

// Token returns the value of token, or ErrNotFound once it has expired.
func (s *Memory) Token(_ context.Context, token string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.tokens[token]
	if !ok {
		return nil, ErrNotFound
	}
	if !s.now().Before(v.expires) {
		delete(s.tokens, token)
		return nil, ErrNotFound
	}
	return v.value, nil
}

// PutResult keeps data under id for the result TTL, pushing out the oldest results beyond the
// size bound. A result larger than the bound is not kept.
func (s *Memory) PutResult(_ context.Context, id string, data []byte) error {
	if int64(len(data)) > s.maxBytes {
		return nil // it would push out everything else; it is served while it streams only
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.results[id]; ok {
		s.remove(e)
	}
	now := s.now()
	s.results[id] = s.order.PushBack(&memoryResult{id: id, data: data, expires: now.Add(s.resultTTL)})
	s.resBytes += int64(len(data))
	// The list is in insertion order and every result lives equally long, so the expired ones
	// and the oldest are at the front.
	for e := s.order.Front(); e != nil && (s.resBytes > s.maxBytes || !now.Before(e.Value.(*memoryResult).expires)); e = s.order.Front() {
		s.remove(e)
	}
	return nil
}

func (s *Memory) remove(e *list.Element) {
	r := s.order.Remove(e).(*memoryResult)
	delete(s.results, r.id)
	s.resBytes -= int64(len(r.data))
}

// Result returns the result of id, or ErrNotFound.
func (s *Memory) Result(_ context.Context, id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.results[id]
	if !ok {
		return nil, ErrNotFound
	}
	r := e.Value.(*memoryResult)
	if !s.now().Before(r.expires) {
		s.remove(e)
		return nil, ErrNotFound
	}
	return r.data, nil
}

// Entries counts the results held.
func (s *Memory) Entries(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for e := s.order.Front(); e != nil && !now.Before(e.Value.(*memoryResult).expires); e = s.order.Front() {
		s.remove(e)
	}
	return len(s.results), nil
}

// Ping always answers: the store is in the process.
func (s *Memory) Ping(context.Context) error { return nil }

// Close does nothing: the store's memory goes with it.
func (s *Memory) Close() error { return nil }
