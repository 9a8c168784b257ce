package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Converter runs one conversion of input (a source URL) with opts, writing the GIF to w as it
// is made; opts fetch through the source policy. The service uses pipeline.Convert; tests use
// their own.
type Converter func(ctx context.Context, input string, opts pipeline.Options, w io.Writer) (pipeline.Stats, error)

// storeTimeout bounds one store operation done on a job's behalf after the job's own deadline
// may have passed (storing the result, telling followers how it ended).
const storeTimeout = 10 * time.Second

// publishChunk is the most bytes published to followers at once.
const publishChunk = 256 << 10

// jobRunner runs conversions in the background, each source once: a request for a source
// already converting gets the running conversion's Result, which every reader gets from its
// first byte. At most `slots` conversions run at once and at most maxQueued wait; a job runs to
// its end (or its deadline) whether or not anyone still reads it, so that it fills the cache.
//
// With a store that shares conversions (sharedConversions), the replicas sharing it convert
// each source once too: the replica that claims a conversion runs it and publishes its output;
// the others follow it.
type jobRunner struct {
	converter Converter
	store     Store
	shared    sharedConversions // nil: this process is the only converter
	metrics   *serviceMetrics
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

// jobsConfig says how jobs run.
type jobsConfig struct {
	Concurrency int
	QueueSize   int
	Timeout     time.Duration
}

// newJobRunner makes an idle job runner. shutdown must be called to wait for its jobs.
func newJobRunner(cfg jobsConfig, convert Converter, st Store, metrics *serviceMetrics, log *slog.Logger) *jobRunner {
	ctx, cancel := context.WithCancel(context.Background())
	shared, _ := st.(sharedConversions)
	return &jobRunner{
		converter: convert,
		store:     st,
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

// join returns the Result of the conversion of key with opts (named id), joining the running one
// when there is one (joined is true), else starting it. It fails with ErrQueueFull when the
// queue is full and ErrShuttingDown after shutdown.
func (j *jobRunner) join(id string, key Key, opts pipeline.Options) (res *pipeline.Result, joined bool, err error) {
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
	go j.run(&job{id: id, key: key, opts: opts, res: res, log: j.log.With("result", id, "source", key.URL)})
	return res, false, nil
}

// running tells how many jobs (local conversions and followed ones) are under way.
func (j *jobRunner) running() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.jobs)
}

// shutdown stops taking jobs and waits for those under way, until ctx ends; then it cancels
// them and waits for them to return.
func (j *jobRunner) shutdown(ctx context.Context) error {
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

// job is one conversion job: what it makes, where it logs, and the claim it holds when the
// replicas share conversions.
type job struct {
	id    string
	key   Key
	opts  pipeline.Options
	res   *pipeline.Result
	log   *slog.Logger
	claim *store.Claim // nil: not shared (no shared store, or claiming failed)
}

// run fills the job's result, by converting here or by following another replica's
// conversion, until the job's deadline.
func (j *jobRunner) run(jb *job) {
	defer j.wg.Done()
	ctx, cancel := context.WithTimeout(j.ctx, j.timeout)
	defer cancel()
	local := j.claim(ctx, jb)
	var err error
	if local {
		err = j.convertHere(ctx, jb)
	} else {
		j.leaveQueue()
		err = j.shared.Follow(ctx, jb.id, jb.res)
	}
	jb.res.Close(err)
	// The Result leaves the map only now, after the job stored it: a request in between finds
	// either the running job or the stored result, never neither.
	j.mu.Lock()
	delete(j.jobs, jb.id)
	if local {
		j.pending--
	}
	j.mu.Unlock()
}

// claim decides where the job's bytes come from: true to make them here (holding the claim
// when the replicas share conversions), false to follow the replica that holds it.
func (j *jobRunner) claim(ctx context.Context, jb *job) (local bool) {
	if j.shared == nil {
		return true
	}
	claim, ok, err := j.shared.Claim(ctx, jb.id)
	switch {
	case err != nil:
		// Without the claim this replica may convert what another converts too: wasteful,
		// not wrong. Better than failing while the store hiccups.
		jb.log.Warn("claiming conversion failed, converting unshared", "err", err)
		return true
	case !ok:
		jb.log.Debug("following conversion of another replica")
		return false
	}
	jb.claim = claim
	return true
}

// leaveQueue gives up the queue place join counted, for a job that does not convert here.
func (j *jobRunner) leaveQueue() {
	j.mu.Lock()
	j.pending--
	j.mu.Unlock()
}

// convertHere makes the job's bytes in this process once a conversion slot is free: from the
// store when a conversion that ended meanwhile left them there, else by converting, and stores
// them. Followers, if any, get them as they grow, then how the job ended.
func (j *jobRunner) convertHere(ctx context.Context, jb *job) error {
	defer j.releaseClaim(ctx, jb)
	if err := j.waitForSlot(ctx); err != nil {
		j.end(ctx, jb, err)
		return err
	}
	defer func() { <-j.slots }()
	if j.fromStore(ctx, jb) {
		return nil
	}
	published := j.publish(ctx, jb)
	stats, wall, err := j.convert(ctx, jb)
	publishErr := published()
	if err != nil {
		jb.log.Warn("conversion failed", "err", err, "wall", wall, "decoded", stats.Decoded, "encoded", stats.Encoded)
		j.end(ctx, jb, err)
		return err
	}
	logDone(jb.log, stats, wall)
	j.keep(ctx, jb)
	if publishErr != nil {
		// Followers missed chunks: telling them it completed would hand out a broken GIF.
		jb.log.Warn("publishing output to followers failed", "err", publishErr)
		j.end(ctx, jb, fmt.Errorf("publishing to other replicas: %w", publishErr))
		return nil
	}
	j.end(ctx, jb, nil)
	return nil
}

// waitForSlot takes a conversion slot, waiting as long as ctx allows.
func (j *jobRunner) waitForSlot(ctx context.Context) error {
	queued := time.Now()
	select {
	case j.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for a job slot: %w", ctx.Err())
	}
	j.metrics.queueWait.Observe(time.Since(queued).Seconds())
	return nil
}

// fromStore fills the job's result from the store, and tells followers, when a conversion that
// ended just before this job started left it there (between the caller's cache lookup and
// join, or on another replica before the claim). It tells whether it did.
func (j *jobRunner) fromStore(ctx context.Context, jb *job) bool {
	data, err := j.store.Result(ctx, jb.id)
	if err != nil {
		return false
	}
	_, _ = jb.res.Write(data)
	var perr error
	if jb.claim != nil {
		perr = jb.claim.Publish(ctx, data)
	}
	j.end(ctx, jb, perr)
	return true
}

// convert runs the conversion into the job's result, counts it in the metrics and ends the
// result.
func (j *jobRunner) convert(ctx context.Context, jb *job) (pipeline.Stats, time.Duration, error) {
	j.metrics.conversionsRunning.Inc()
	start := time.Now()
	stats, err := j.converter(ctx, jb.key.URL, jb.opts, jb.res)
	wall := time.Since(start)
	j.metrics.conversionsRunning.Dec()
	j.metrics.observeConversion(stats, wall, err)
	if err == nil && jb.res.Len() == 0 {
		err = errors.New("conversion produced no output")
	}
	jb.res.Close(err)
	return stats, wall, err
}

// logDone logs a conversion that succeeded, and a source cut inside itself.
func logDone(log *slog.Logger, stats pipeline.Stats, wall time.Duration) {
	if stats.Truncated != nil {
		// Served whole but cut inside itself: the GIF holds what came before the cut, as the
		// earlier service's did. Worth a look at the origin.
		log.Warn("source truncated; converted what it holds", "err", stats.Truncated, "encoded", stats.Encoded)
	}
	log.Info("conversion done", "read_from", stats.SourceURL, "wall", wall, "first_byte", stats.FirstByte, "source_bytes", stats.SourceBytes,
		"output_bytes", stats.OutputBytes, "decoded", stats.Decoded, "skipped", stats.Skipped, "encoded", stats.Encoded,
		"fetch_busy", stats.FetchTime, "decode_busy", stats.DecodeTime, "resize_busy", stats.ResizeTime, "encode_busy", stats.EncodeTime)
}

// keep stores the job's finished result, past the job's deadline if need be.
func (j *jobRunner) keep(ctx context.Context, jb *job) {
	data, _ := jb.res.Bytes()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := j.store.PutResult(sctx, jb.id, data); err != nil {
		jb.log.Error("storing result failed", "err", err)
	}
}

// publish sends the job's result to followers as it grows, on a goroutine of its own until the
// result ends. The function it returns waits for that goroutine and says whether a chunk could
// not be published; how the conversion ended is told by end. Without a claim there is no one
// to send to.
func (j *jobRunner) publish(ctx context.Context, jb *job) (wait func() error) {
	if jb.claim == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() { done <- publishResult(ctx, jb.claim, jb.res) }()
	return func() error { return <-done }
}

// publishResult publishes res until it ends, in chunks as large as what accumulated since the
// last one: few round trips when the store is slow, low latency when it is fast.
func publishResult(ctx context.Context, claim *store.Claim, res *pipeline.Result) error {
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
func (j *jobRunner) end(ctx context.Context, jb *job, err error) {
	if jb.claim == nil {
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if eerr := jb.claim.End(ectx, err); eerr != nil {
		jb.log.Warn("telling followers the end failed", "err", eerr)
	}
}

// releaseClaim gives up the job's claim, if it holds one, past the job's deadline if need be.
func (j *jobRunner) releaseClaim(ctx context.Context, jb *job) {
	if jb.claim == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := jb.claim.Release(rctx); err != nil {
		jb.log.Warn("releasing conversion claim failed", "err", err)
	}
}
