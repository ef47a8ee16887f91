package source

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// maxBatchBytes caps one batch: large enough to amortise actor hops and Kafka
// round trips, small enough that several batches pipeline within the budget.
const maxBatchBytes = 1 << 20

// pollWait bounds how long one read blocks the actor's mailbox.
const pollWait = 100 * time.Millisecond

// Progress is a source's reading state that survives actor restarts.
type Progress struct {
	Resume  binlogreader.Resume
	BatchID uint64
	// Credit is the budget left for new batches, in decoded bytes.
	Credit int64
	// Failed is set while the source is recovering from a failure.
	Failed bool
}

// Config configures a source actor.
type Config struct {
	Source       *topology.Source
	Select       func(db, table string) bool
	Pipelines    []*actor.PID
	Checkpointer *actor.PID
	Progress     *Progress
	Status       *status.Source
	// History is the source's schema history (table definitions by binlog
	// position), for servers that log no column names.
	History *schema.History
	Logger  *slog.Logger
}

// Actor reads a source's binlog.
type Actor struct {
	cfg     Config
	stream  *binlogreader.Stream
	reading bool
	// stopping is set by StopReading: read on only to the end of the
	// transaction in progress, so that the final checkpoint covers every
	// change already sent and a restart sends nothing twice.
	stopping bool
	// midTxn is true while the last batch sent ended inside a transaction.
	midTxn  bool
	waiting bool // out of credit, waiting for BytesReleased
	ctx     context.Context
	cancel  context.CancelFunc
}

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Actor{cfg: cfg} }
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.cfg.Status.SetPhase(status.PhaseBinlog)
		a.ctx, a.cancel = context.WithCancel(context.Background())
		stream, err := binlogreader.Open(a.ctx, binlogreader.Config{
			Source: a.cfg.Source, Select: a.cfg.Select, History: a.cfg.History, Logger: a.cfg.Logger,
		}, a.cfg.Progress.Resume)
		if err != nil {
			panic(err)
		}
		a.stream, a.reading = stream, true
		ctx.Send(ctx.Self(), &readNext{})
	case *readNext:
		a.read(ctx)
	case *checkpointer.BytesReleased:
		a.cfg.Progress.Credit += m.Bytes
		a.cfg.Status.Released(m.Bytes)
		if a.waiting && a.reading {
			a.waiting = false
			ctx.Send(ctx.Self(), &readNext{})
		}
	case *StopReading:
		a.stopping = true
		if !a.midTxn {
			a.stop(ctx)
		}
	case *actor.Stopping, *actor.Restarting:
		a.close()
	}
}

func (a *Actor) read(ctx actor.Context) {
	if !a.reading {
		return
	}
	p := a.cfg.Progress
	if p.Credit <= 0 {
		a.waiting = true
		return
	}
	read := a.stream.ReadBatch
	if a.stopping {
		read = a.stream.ReadToBoundary
	}
	batch, err := read(a.ctx, int(min(p.Credit, maxBatchBytes)), pollWait)
	if err != nil {
		a.close()
		panic(err)
	}
	if p.Failed {
		p.Failed = false
		a.cfg.Status.Restarted()
		ctx.Send(ctx.Parent(), &Recovered{Source: a.cfg.Source.Name})
	}
	if at := a.stream.Progress().CaughtUpAt; !at.IsZero() {
		a.cfg.Status.CaughtUp(at)
	}
	if len(batch.Changes) > 0 || batch.Mark != nil {
		a.send(ctx, batch)
	}
	if a.stopping && !a.midTxn {
		a.stop(ctx)
		return
	}
	ctx.Send(ctx.Self(), &readNext{})
}

func (a *Actor) send(ctx actor.Context, b *change.Batch) {
	p := a.cfg.Progress
	p.BatchID++
	acks := 0
	if len(b.Changes) > 0 {
		acks = len(a.cfg.Pipelines)
	}
	p.Credit -= int64(b.Bytes)
	if m := b.Mark; m != nil {
		a.cfg.Status.Read(len(b.Changes), int64(b.Bytes), m.Pos.String(), m.GTIDSet, m.Time)
	} else {
		a.cfg.Status.Read(len(b.Changes), int64(b.Bytes), "", "", 0)
	}
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: a.cfg.Source.Name, ID: p.BatchID, Mark: b.Mark,
		Bytes: int64(b.Bytes), Acks: acks, From: ctx.Self(),
	})
	if acks > 0 {
		msg := &Process{Source: a.cfg.Source.Name, ID: p.BatchID, Batch: b}
		for _, pid := range a.cfg.Pipelines {
			ctx.Send(pid, msg)
		}
	}
	advance(&p.Resume, b)
	a.midTxn = len(b.Changes) > 0 && (b.Mark == nil || b.Mark.Seq < b.LastSeq())
}

// stop ends reading for a graceful shutdown and tells the parent.
func (a *Actor) stop(ctx actor.Context) {
	a.reading = false
	a.close()
	ctx.Send(ctx.Parent(), &ReadingStopped{Source: a.cfg.Source.Name})
}

// advance moves the resume point past b: reading restarts at its last
// transaction boundary, and sequence numbers never go back.
func advance(r *binlogreader.Resume, b *change.Batch) {
	if last := b.LastSeq(); last >= r.NextSeq {
		r.NextSeq = last + 1
	}
	if m := b.Mark; m != nil {
		r.Pos, r.GTIDSet = m.Pos, m.GTIDSet
		if m.Seq >= r.NextSeq {
			r.NextSeq = m.Seq + 1
		}
	}
}

func (a *Actor) close() {
	if a.cancel != nil {
		a.cancel()
	}
	if a.stream != nil {
		_ = a.stream.Close()
		a.stream = nil
	}
	if a.cfg.Progress != nil && a.reading {
		a.cfg.Progress.Failed = true
	}
}
