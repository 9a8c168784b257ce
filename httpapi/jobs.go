package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Converter runs one conversion of input (a source URL) with opts, writing the GIF to w as it
// is made. The service uses pipeline.Convert; tests use their own.
type Converter func(ctx context.Context, input string, opts pipeline.Options, w io.Writer) (pipeline.Stats, error)

// storeTimeout bounds one store operation done on a job's behalf after the job's own deadline
// may have passed (storing the result, telling followers how it ended).
const storeTimeout = 10 * time.Second

// publishChunk is the most bytes published to followers at once.
const publishChunk = 256 << 10

// Jobs runs conversions in the background, each source once: a request for a source already
// converting gets the running conversion's Result, which every reader gets from its first byte.
// At most `slots` conversions run at once and at most maxQueued wait; a job runs to its end
// (or its deadline) whether or not anyone still reads it, so that it fills the cache.
//
// With a SharedConversions store, the replicas sharing it convert each source once too: the
// replica that claims a conversion runs it and publishes its output; the others follow it.
type Jobs struct {
	convert   Converter
	store     Store
	shared    SharedConversions // nil: this process is the only converter
	metrics   *Metrics
	log       *slog.Logger
	timeout   time.Duration // deadline of one job, queue wait included
	slots     chan struct{} // one token per running conversion
	maxQueued int

	ctx    context.Context    // parent of every job; cancelled when shutdown runs out of time
	cancel context.CancelFunc //
	wg     sync.WaitGroup     // one per job goroutine

	mu      sync.Mutex
	jobs    map[string]*pipeline.Result // running or waiting, by result id
	pending int                         // local conversions waiting or running
	closed  bool                        // no new jobs
}

// JobsConfig says how jobs run.
type JobsConfig struct {
	Concurrency int
	QueueSize   int
	Timeout     time.Duration
}

// NewJobs makes an idle job runner. Shutdown must be called to wait for its jobs.
func NewJobs(cfg JobsConfig, convert Converter, store Store, metrics *Metrics, log *slog.Logger) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	shared, _ := store.(SharedConversions)
	return &Jobs{
		convert:   convert,
		store:     store,
		shared:    shared,
		metrics:   metrics,
		log:       log,
		timeout:   cfg.Timeout,
		slots:     make(chan struct{}, max(cfg.Concurrency, 1)),
		maxQueued: cfg.QueueSize,
		ctx:       ctx,
		cancel:    cancel,
		jobs:      make(map[string]*pipeline.Result),
	}
}

// Join returns the Result of the conversion of key with opts (named id), joining the running one
// when there is one (joined is true), else starting it. It fails with ErrQueueFull when the
// queue is full and ErrShuttingDown after Shutdown.
func (j *Jobs) Join(id string, key Key, opts pipeline.Options) (res *pipeline.Result, joined bool, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if res, ok := j.jobs[id]; ok {
		return res, true, nil
	}
	if j.closed {
		return nil, false, ErrShuttingDown
	}
	if j.pending >= cap(j.slots)+j.maxQueued {
		return nil, false, ErrQueueFull
	}
	res = pipeline.NewResult()
	j.jobs[id] = res
	j.pending++
	j.wg.Add(1)
	go j.run(id, key, opts, res)
	return res, false, nil
}

// Running tells how many jobs (local conversions and followed ones) are under way.
func (j *Jobs) Running() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.jobs)
}

// Shutdown stops taking jobs and waits for those under way, until ctx ends; then it cancels
// them and waits for them to return.
func (j *Jobs) Shutdown(ctx context.Context) error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	done := make(chan struct{})
	go func() {
		j.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		j.cancel()
		return nil
	case <-ctx.Done():
		j.cancel()
		<-done
		return fmt.Errorf("jobs: shutdown: %w", ctx.Err())
	}
}

func (j *Jobs) run(id string, key Key, opts pipeline.Options, res *pipeline.Result) {
	defer j.wg.Done()
	ctx, cancel := context.WithTimeout(j.ctx, j.timeout)
	defer cancel()
	local := true
	err := j.produce(ctx, id, key, opts, res, &local)
	res.Close(err)
	// The Result leaves the map only now, after produce stored it: a request in between finds
	// either the running job or the stored result, never neither.
	j.mu.Lock()
	delete(j.jobs, id)
	if local {
		j.pending--
	}
	j.mu.Unlock()
}

// produce fills res: by following another replica's conversion, from the store, or by
// converting. *local is cleared when no local conversion slot is taken.
func (j *Jobs) produce(ctx context.Context, id string, key Key, opts pipeline.Options, res *pipeline.Result, local *bool) error {
	log := j.log.With("result", id, "source", key.URL)
	var claim ConversionClaim
	if j.shared != nil {
		c, ok, err := j.shared.Claim(ctx, id)
		switch {
		case err != nil:
			// Without the claim this replica may convert what another converts too: wasteful,
			// not wrong. Better than failing while the store hiccups.
			log.Warn("claiming conversion failed, converting unshared", "err", err)
		case !ok:
			j.leave(local)
			log.Debug("following conversion of another replica")
			return j.shared.Follow(ctx, id, res)
		default:
			claim = c
			defer func() {
				rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
				defer rcancel()
				if err := claim.Release(rctx); err != nil {
					log.Warn("releasing conversion claim failed", "err", err)
				}
			}()
		}
	}

	queued := time.Now()
	select {
	case j.slots <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("waiting for a job slot: %w", ctx.Err())
		j.end(ctx, log, claim, err)
		return err
	}
	defer func() { <-j.slots }()
	j.metrics.queueWait.Observe(time.Since(queued).Seconds())

	// A conversion that ended just before this job started (here, between the caller's cache
	// lookup and Join, or on another replica before the claim) left its result in the store.
	if data, err := j.store.Result(ctx, id); err == nil {
		_, _ = res.Write(data)
		var perr error
		if claim != nil {
			perr = claim.Publish(ctx, data)
		}
		j.end(ctx, log, claim, perr)
		return nil
	}

	var publishing sync.WaitGroup
	var publishErr error // read after publishing.Wait
	if claim != nil {
		// Followers get the output in chunks as large as what accumulated since the last
		// publish: few round trips when the store is slow, low latency when it is fast.
		publishing.Go(func() { publishErr = j.publish(ctx, claim, res) })
	}

	j.metrics.conversionsRunning.Inc()
	start := time.Now()
	stats, err := j.convert(ctx, key.URL, opts, res)
	wall := time.Since(start)
	j.metrics.conversionsRunning.Dec()
	j.metrics.observeConversion(stats, wall, err)
	if err == nil && res.Len() == 0 {
		err = errors.New("conversion produced no output")
	}
	res.Close(err)
	publishing.Wait()

	if err != nil {
		log.Warn("conversion failed", "err", err, "wall", wall, "decoded", stats.Decoded, "encoded", stats.Encoded)
		j.end(ctx, log, claim, err)
		return err
	}
	if stats.Truncated != nil {
		// Served whole but cut inside itself: the GIF holds what came before the cut, as the
		// earlier service's did. Worth a look at the origin.
		log.Warn("source truncated; converted what it holds", "err", stats.Truncated, "encoded", stats.Encoded)
	}
	log.Info("conversion done", "read_from", stats.SourceURL, "wall", wall, "first_byte", stats.FirstByte, "source_bytes", stats.SourceBytes,
		"output_bytes", stats.OutputBytes, "decoded", stats.Decoded, "skipped", stats.Skipped, "encoded", stats.Encoded,
		"fetch_busy", stats.FetchTime, "decode_busy", stats.DecodeTime, "resize_busy", stats.ResizeTime, "encode_busy", stats.EncodeTime)
	data, _ := res.Bytes()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer scancel()
	if err := j.store.PutResult(sctx, id, data); err != nil {
		log.Error("storing result failed", "err", err)
	}
	if publishErr != nil {
		// Followers missed chunks: telling them it completed would hand out a broken GIF.
		log.Warn("publishing output to followers failed", "err", publishErr)
		j.end(ctx, log, claim, fmt.Errorf("publishing to other replicas: %w", publishErr))
		return nil
	}
	j.end(ctx, log, claim, nil)
	return nil
}

// leave gives up the queue place Join counted, for a job that does not convert here.
func (j *Jobs) leave(local *bool) {
	j.mu.Lock()
	j.pending--
	j.mu.Unlock()
	*local = false
}

// publish sends res to followers as it grows, until it ends. It fails only when a chunk could
// not be published; how the conversion ended is told by end.
func (j *Jobs) publish(ctx context.Context, claim ConversionClaim, res *pipeline.Result) error {
	rr := res.NewReader(ctx)
	buf := make([]byte, publishChunk)
	for {
		n, err := rr.Read(buf)
		if n > 0 {
			if perr := claim.Publish(ctx, buf[:n]); perr != nil {
				return perr
			}
		}
		if err != nil {
			return nil
		}
	}
}

// end tells followers, if any, how the conversion ended.
func (j *Jobs) end(ctx context.Context, log *slog.Logger, claim ConversionClaim, err error) {
	if claim == nil {
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if eerr := claim.End(ectx, err); eerr != nil {
		log.Warn("telling followers the end failed", "err", eerr)
	}
}
