package checkpointer

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/store"
)

// Durable is what one commit makes durable.
type Durable struct {
	// Marks are the sources' new resume points.
	Marks map[string]change.Mark
	// Chunks are snapshot chunks whose rows are all acknowledged.
	Chunks []ChunkDone
	// Finished lists sources whose snapshot is complete.
	Finished []string
	// Schemas are schema history entries of acknowledged batches.
	Schemas []store.TableSchema
}

// CommitFunc durably stores d in one transaction. It is called from the
// actor only, never concurrently.
type CommitFunc func(d *Durable) error

// SourceStart is where a source starts in this process, as the store had it.
type SourceStart struct {
	Resume flow.Resume
	// Budget is the source's in-flight budget in bytes, granted whole to
	// each reader that starts.
	Budget int64
}

// Config configures the checkpoint actor.
type Config struct {
	Commit CommitFunc
	// Interval is the longest time a durable mark waits to be committed.
	Interval time.Duration
	// Sources are the sources' start points, by name.
	Sources map[string]SourceStart
	Logger  *slog.Logger
}

// Actor owns the ledgers of every source and commits their durable marks.
// It is the one owner of the sources' resume points: a reader asks it where
// to start (ResumeFrom), at task start and after every restart of its
// source's recovery unit.
type Actor struct {
	cfg       Config
	ledgers   map[string]*Ledger
	committed map[string]*change.Mark
	stopTick  chan struct{}
}

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor {
		return &Actor{cfg: cfg, ledgers: make(map[string]*Ledger), committed: make(map[string]*change.Mark)}
	}
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.startTicker(ctx)
	case *ResumeFrom:
		a.resume(ctx, m)
	case *Reset:
		if l := a.ledger(m.Source); m.Epoch > l.Epoch {
			l.Reset(m.Epoch)
		}
	case *BatchSent:
		if l := a.current(m.Source, m.Epoch); l != nil {
			l.Sent(m)
			a.afterRelease(ctx, m.Source, l)
		}
	case *BatchEncoded:
		if l := a.current(m.Source, m.Epoch); l != nil {
			if from := l.Grew(m.ID, m.Bytes); from != nil {
				ctx.Send(from, &flow.Charged{Epoch: m.Epoch, Bytes: m.Bytes})
			}
		}
	case *BatchAcked:
		if l := a.current(m.Source, m.Epoch); l != nil {
			l.Acked(m.ID)
			a.afterRelease(ctx, m.Source, l)
		}
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
		a.stopTicker()
		if err := a.commit(); err != nil {
			a.cfg.Logger.Error("final checkpoint commit failed", "err", err)
		}
	case *actor.Restarting:
		a.stopTicker()
	}
}

// resume opens the source's epoch and answers with its resume point: the
// newest durable mark, else where the source started in this process.
func (a *Actor) resume(ctx actor.Context, m *ResumeFrom) {
	// What is durable in memory is committed first: the new reader loads its
	// schema history from the store.
	if err := a.commit(); err != nil {
		panic(err)
	}
	l := a.ledger(m.Source)
	if m.Epoch > l.Epoch {
		l.Reset(m.Epoch)
	}
	start := a.cfg.Sources[m.Source]
	st := &flow.Start{Source: m.Source, Epoch: l.Epoch, Resume: start.Resume, Grant: start.Budget}
	if d := l.Durable(); d != nil {
		st.Resume = flow.Resume{Pos: d.Pos, GTIDSet: d.GTIDSet, NextSeq: d.Seq + 1}
	}
	done, finished := l.ChunksDone()
	for _, c := range done {
		st.ChunksDone = append(st.ChunksDone, flow.ChunkID{Table: c.Table, ID: c.ID})
	}
	st.SnapshotFinished = finished
	ctx.Send(m.From, st)
}

// current is the source's ledger when epoch is its current epoch; messages
// of older epochs belong to dropped batches.
func (a *Actor) current(source string, epoch uint64) *Ledger {
	l := a.ledger(source)
	if epoch != l.Epoch {
		return nil
	}
	return l
}

func (a *Actor) afterRelease(ctx actor.Context, source string, l *Ledger) {
	for _, r := range l.TakeReleased() {
		ctx.Send(r.From, &flow.Released{Epoch: l.Epoch, Bytes: r.Bytes})
	}
	if !l.finished {
		return
	}
	// The end of a snapshot is committed at once: the incremental phase
	// waits for it. The commit takes l.finished, so this runs once.
	if err := a.commit(); err != nil {
		panic(err)
	}
	if l.finishedBy != nil {
		ctx.Send(l.finishedBy, &flow.SnapshotCommitted{Source: source})
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
		d.Schemas = append(d.Schemas, l.TakeSchemas()...)
		chunks, finished := l.TakeSnapshotProgress()
		d.Chunks = append(d.Chunks, chunks...)
		if finished {
			d.Finished = append(d.Finished, src)
		}
	}
	if d.Marks == nil && d.Chunks == nil && d.Finished == nil && d.Schemas == nil {
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

func (a *Actor) stopTicker() {
	if a.stopTick != nil {
		close(a.stopTick)
		a.stopTick = nil
	}
}
