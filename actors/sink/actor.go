package sink

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
)

// Config configures a sink actor.
type Config struct {
	Name string
	// Open makes a new writer, at start and after each failure, on a
	// goroutine of its own (it may connect). Its retryable errors are
	// retried within RetryWindow; a terminal one fails the actor.
	Open         func() (Writer, error)
	Checkpointer *actor.PID
	// RetryWindow bounds how long Kafka may stay unwritable.
	RetryWindow time.Duration
	Status      *status.Sink
	Logger      *slog.Logger
	// Partitions are the partition counts, by topic, the pipelines route
	// this sink's records by; Describe reads the current ones. When both
	// are set the actor compares them every WatchEvery (default
	// partitions.CheckEvery) and fails with a terminal error on a change
	// (watch.go).
	Partitions map[string]int
	Describe   func(ctx context.Context, topics []string) (map[string]int, error)
	WatchEvery time.Duration
}

// Actor writes batches to Kafka through a Writer.
type Actor struct {
	cfg Config
	// writer is the open writer; nil while one is being opened.
	writer  Writer
	opening *opening
	// queue holds unacknowledged Writes in arrival order.
	queue []*submission
	// unsettled counts submissions of the current writer not yet settled.
	unsettled int
	// committing is set while a Commit runs; more, when a submission came
	// after it started and another Commit must follow.
	committing, more bool
	// failing is set while a reopen waits out its backoff.
	failing bool
	since   time.Time // first failure of the current outage
	backoff time.Duration
	// stopWatch ends the partition-count watch; nil when none runs.
	stopWatch func()
}

// submission is one Write and its latest attempt.
type submission struct {
	w       *Write
	pending *kafkarecord.Pending
	acked   bool // or dropped: nothing more to do for it
}

// opening is an Open running on its own goroutine (a transactional writer
// connects to open). The result is handed over under mu, so that a writer
// opened after the actor stopped is closed instead of leaked.
type opening struct {
	mu      sync.Mutex
	stopped bool
	w       Writer
	err     error
}

const (
	firstBackoff = 200 * time.Millisecond
	maxBackoff   = 15 * time.Second
)

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Actor{cfg: cfg, backoff: firstBackoff} }
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.open(ctx)
		a.watchPartitions(ctx)
	case *partitionsChanged:
		panic(m.err) // terminal: the task stops
	case *opened:
		a.opened(ctx, m.o)
	case *Write:
		s := &submission{w: m}
		a.queue = append(a.queue, s)
		if a.writer != nil && !a.failing {
			a.submit(ctx, s)
		}
	case *DropSource:
		a.drop(m)
	case *settled:
		a.settled(ctx, m.sub)
	case *committed:
		a.committing = false
		if a.more && a.writer != nil && !a.failing {
			a.commit(ctx)
		}
	case *reopen:
		a.reopen(ctx)
	case *actor.Stopping, *actor.Restarting:
		a.release()
	}
}

// open starts opening a writer; opened takes the result.
func (a *Actor) open(ctx actor.Context) {
	o := &opening{}
	a.opening = o
	open, root, self := a.cfg.Open, ctx.ActorSystem().Root, ctx.Self()
	go func() {
		w, err := open()
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.stopped {
			if err == nil {
				_ = w.Close()
			}
			return
		}
		o.w, o.err = w, err
		root.Send(self, &opened{o: o})
	}()
}

func (a *Actor) opened(ctx actor.Context, o *opening) {
	if o != a.opening {
		return
	}
	a.opening = nil
	o.mu.Lock()
	w, err := o.w, o.err
	o.w = nil
	o.mu.Unlock()
	if err != nil {
		a.failed(ctx, err)
		return
	}
	a.writer = w
	for _, s := range a.queue {
		if !s.acked {
			a.submit(ctx, s)
		}
	}
}

// release closes the writer, and the one being opened when it arrives.
func (a *Actor) release() {
	if a.stopWatch != nil {
		a.stopWatch()
		a.stopWatch = nil
	}
	if o := a.opening; o != nil {
		o.mu.Lock()
		o.stopped = true
		w, err := o.w, o.err
		o.mu.Unlock()
		if w != nil && err == nil {
			_ = w.Close()
		}
	}
	if a.writer != nil {
		_ = a.writer.Close()
	}
}

func (a *Actor) submit(ctx actor.Context, s *submission) {
	p := a.writer.Submit(s.w.Messages)
	s.pending = p
	a.unsettled++
	root, self := ctx.ActorSystem().Root, ctx.Self()
	go func() {
		<-p.Done()
		root.Send(self, &settled{sub: s})
	}()
	a.commit(ctx)
}

// commit makes what the writer holds durable: Commit runs on its own
// goroutine, and when one is running the next follows it, so that under
// load a transaction holds what arrived during the previous one. Its error
// is not needed here: every Pending it concerns fails with it.
func (a *Actor) commit(ctx actor.Context) {
	if a.committing {
		a.more = true
		return
	}
	a.committing, a.more = true, false
	w := a.writer
	root, self := ctx.ActorSystem().Root, ctx.Self()
	go func() {
		_ = w.Commit(context.Background())
		root.Send(self, &committed{})
	}()
}

func (a *Actor) settled(ctx actor.Context, s *submission) {
	a.unsettled--
	if err := s.pending.Err(); err != nil {
		a.failed(ctx, err)
		return
	}
	if !s.acked {
		s.acked = true
		a.cfg.Status.Written(len(s.w.Messages), s.w.Bytes, s.w.CommitTime, time.Now())
		ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchAcked{Source: s.w.Source, Epoch: s.w.Epoch, ID: s.w.ID})
	}
	a.trim()
	if !a.failing && !a.since.IsZero() {
		a.cfg.Logger.Info("kafka writes recovered", "sink", a.cfg.Name, "after", time.Since(a.since).Round(time.Millisecond))
		a.since, a.backoff = time.Time{}, firstBackoff
	}
}

// drop marks the source's queued Writes of older epochs done without
// acknowledging them.
func (a *Actor) drop(m *DropSource) {
	for _, s := range a.queue {
		if s.w.Source == m.Source && s.w.Epoch < m.Epoch {
			s.acked = true
		}
	}
	a.trim()
}

// trim drops the acknowledged prefix of the queue.
func (a *Actor) trim() {
	n := 0
	for n < len(a.queue) && a.queue[n].acked {
		n++
	}
	if n > 0 {
		clear(a.queue[:n])
		a.queue = a.queue[n:]
	}
}

func (a *Actor) failed(ctx actor.Context, err error) {
	if errkind.IsTerminal(err) {
		panic(err) // the writers' errors name the sink
	}
	if a.failing {
		return // a reopen is already scheduled
	}
	a.failing = true
	a.cfg.Status.Retried()
	now := time.Now()
	if a.since.IsZero() {
		a.since = now
		a.cfg.Logger.Warn("kafka write failed; retrying", "sink", a.cfg.Name, "err", err, "retry_window", a.cfg.RetryWindow)
	}
	if now.Sub(a.since) > a.cfg.RetryWindow {
		panic(errkind.Terminal(fmt.Errorf("sink %q: Kafka unwritable since %s, longer than the retry window of %s: %w; check that the brokers are up and reachable, then start again: Sluice resumes from its checkpoint",
			a.cfg.Name, a.since.UTC().Format(time.RFC3339), a.cfg.RetryWindow, err)))
	}
	delay := a.backoff
	a.backoff = min(2*a.backoff, maxBackoff)
	root, self := ctx.ActorSystem().Root, ctx.Self()
	time.AfterFunc(delay, func() { root.Send(self, &reopen{}) })
}

func (a *Actor) reopen(ctx actor.Context) {
	if a.unsettled > 0 {
		// The failed writer is still settling its in-flight requests; try
		// again shortly rather than resubmit records it may still send.
		root, self := ctx.ActorSystem().Root, ctx.Self()
		time.AfterFunc(50*time.Millisecond, func() { root.Send(self, &reopen{}) })
		return
	}
	if a.writer != nil {
		_ = a.writer.Close()
		a.writer = nil
	}
	a.failing = false
	a.open(ctx)
}
