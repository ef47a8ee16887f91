package checkpointer

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Durable is what one commit makes durable.
type Durable struct {
	// Marks are the sources' new resume points.
	Marks map[string]change.Mark
	// Chunks are snapshot chunks whose rows are all acknowledged.
	Chunks []ChunkDone
	// Finished lists sources whose snapshot is complete.
	Finished []string
}

// CommitFunc durably stores d in one transaction. It is called from the
// actor only, never concurrently.
type CommitFunc func(d *Durable) error

// Config configures the checkpoint actor.
type Config struct {
	Commit CommitFunc
	// Interval is the longest time a durable mark waits to be committed.
	Interval time.Duration
	Logger   *slog.Logger
}

// Actor owns the ledgers of every source and commits their durable marks.
type Actor struct {
	cfg       Config
	ledgers   map[string]*Ledger
	sources   map[string]*actor.PID // who gets BytesReleased
	committed map[string]*change.Mark
	stopTick  chan struct{}
}

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor {
		return &Actor{
			cfg:       cfg,
			ledgers:   make(map[string]*Ledger),
			sources:   make(map[string]*actor.PID),
			committed: make(map[string]*change.Mark),
		}
	}
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.startTicker(ctx)
	case *BatchSent:
		a.sources[m.Source] = m.From
		a.release(ctx, m.Source, a.ledger(m.Source).Sent(m))
	case *BatchEncoded:
		if a.ledger(m.Source).Grew(m.ID, m.Bytes) {
			ctx.Send(a.sources[m.Source], &BytesReleased{Bytes: -m.Bytes})
		}
	case *BatchAcked:
		a.release(ctx, m.Source, a.ledger(m.Source).Acked(m.ID))
	case *tick:
		if err := a.commit(); err != nil {
			panic(err)
		}
	case *Flush:
		err := a.commit()
		pending := 0
		for _, l := range a.ledgers {
			pending += l.Pending()
		}
		ctx.Respond(&Flushed{Pending: pending, Err: err})
	case *actor.Stopping:
		close(a.stopTick)
		if err := a.commit(); err != nil {
			a.cfg.Logger.Error("final checkpoint commit failed", "err", err)
		}
	}
}

func (a *Actor) release(ctx actor.Context, source string, freed int64) {
	pid := a.sources[source]
	if freed > 0 {
		ctx.Send(pid, &BytesReleased{Bytes: freed})
	}
	if l := a.ledgers[source]; l.finished {
		// The end of a snapshot is committed at once: the incremental
		// phase waits for it.
		if err := a.commit(); err != nil {
			panic(err)
		}
		ctx.Send(pid, &SnapshotCommitted{Source: source})
	}
}

func (a *Actor) ledger(source string) *Ledger {
	l := a.ledgers[source]
	if l == nil {
		l = NewLedger()
		a.ledgers[source] = l
	}
	return l
}

// commit stores every durable mark that changed since the last commit. A
// failed commit is terminal: the checkpoint file is the task's memory and
// running on without it would widen the window of duplicates unboundedly.
func (a *Actor) commit() error {
	var d Durable
	for src, l := range a.ledgers {
		if m := l.Durable(); m != nil && m != a.committed[src] {
			if d.Marks == nil {
				d.Marks = make(map[string]change.Mark)
			}
			d.Marks[src] = *m
		}
		chunks, finished := l.TakeSnapshotProgress()
		d.Chunks = append(d.Chunks, chunks...)
		if finished {
			d.Finished = append(d.Finished, src)
		}
	}
	if d.Marks == nil && d.Chunks == nil && d.Finished == nil {
		return nil
	}
	if err := a.cfg.Commit(&d); err != nil {
		return errkind.Terminal(fmt.Errorf("commit checkpoint: %w", err))
	}
	for src := range maps.Keys(d.Marks) {
		a.committed[src] = a.ledgers[src].Durable()
	}
	return nil
}

func (a *Actor) startTicker(ctx actor.Context) {
	a.stopTick = make(chan struct{})
	root, self, stop := ctx.ActorSystem().Root, ctx.Self(), a.stopTick
	go func() {
		t := time.NewTicker(a.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				root.Send(self, &tick{})
			case <-stop:
				return
			}
		}
	}()
}
