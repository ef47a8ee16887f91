package binlog

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/actors/source"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// maxBatchBytes caps one batch: large enough to amortise actor hops and Kafka
// round trips, small enough that several batches pipeline within the budget.
const maxBatchBytes = 1 << 20

// pollWait bounds how long one read blocks the actor's mailbox.
const pollWait = 100 * time.Millisecond

// Config configures a binlog reader actor.
type Config struct {
	Source *topology.Source
	Select func(db, table string) bool
	// Epoch is the recovery unit's epoch this reader belongs to.
	Epoch        uint64
	Pipelines    []*actor.PID
	Checkpointer *actor.PID
	Status       *status.Source
	// History is the source's schema history (table definitions by binlog
	// position), for servers that log no column names.
	History *schema.History
	// Online lists the tables to snapshot while the stream goes on
	// (online.go); nil when there are none and none can be added.
	Online *snapshot.Online
	Logger *slog.Logger
}

// Actor reads a source's binlog.
type Actor struct {
	cfg     Config
	stream  *binlogreader.Stream
	credit  *flow.Credit
	batchID uint64
	reading bool
	// stopping is set by StopReading: read on only to the end of the
	// transaction in progress, so that the final checkpoint covers every
	// change already sent and a restart sends nothing twice.
	stopping bool
	// midTxn is true while the stream is inside a transaction whose
	// changes it started to send.
	midTxn  bool
	waiting bool // out of credit, waiting for flow.Released
	// recovered is set once a batch of this reader was acknowledged and
	// the unit was told Recovered.
	recovered bool
	// truncates follows the TRUNCATE TABLE statements ignore_ddl drops.
	truncates truncates
	// online runs the snapshots of Config.Online; lastMark and lastSeq
	// are the stream's position after the last batch sent.
	online   *online
	lastMark *change.Mark
	lastSeq  uint64
	grant    int64           // the source's budget
	startPos change.Position // where the stream started
	ctx      context.Context
	cancel   context.CancelFunc
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
		ctx.Send(a.cfg.Checkpointer, &checkpointer.ResumeFrom{Source: a.cfg.Source.Name, Epoch: a.cfg.Epoch, From: ctx.Self()})
	case *flow.Start:
		a.open(ctx, m)
	case *readNext:
		a.read(ctx)
	case *chunkFetched:
		a.fetched(ctx, m)
	case *flow.Released:
		if m.Epoch == a.cfg.Epoch {
			a.credit.Add(m.Bytes)
			a.cfg.Status.Released(m.Bytes)
			if !a.recovered {
				a.recovered = true
				ctx.Send(ctx.Parent(), &source.Recovered{Source: a.cfg.Source.Name, Epoch: a.cfg.Epoch})
			}
			a.wake(ctx)
		}
	case *flow.Charged:
		if m.Epoch == a.cfg.Epoch {
			a.credit.Add(-m.Bytes)
			a.cfg.Status.Charged(m.Bytes)
		}
	case *flow.StopReading:
		a.stopping = true
		if a.stream == nil || !a.midTxn {
			a.stop(ctx)
		}
	case *actor.Stopping, *actor.Restarting:
		a.close()
	}
}

func (a *Actor) open(ctx actor.Context, m *flow.Start) {
	if m.Epoch != a.cfg.Epoch || a.stream != nil || a.stopping {
		return
	}
	a.credit, a.grant = flow.NewCredit(m.Grant), m.Grant
	r := m.Resume
	a.cfg.Logger.Info("binlog phase starting", "source", a.cfg.Source.Name, "from", r.Pos, "gtid_set", r.GTIDSet, "epoch", a.cfg.Epoch)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	stream, err := binlogreader.Open(a.ctx, binlogreader.Config{
		Source: a.cfg.Source, Select: a.cfg.Select, History: a.cfg.History, Logger: a.cfg.Logger,
	}, binlogreader.Resume{Pos: r.Pos, GTIDSet: r.GTIDSet, NextSeq: r.NextSeq})
	if err != nil {
		panic(err)
	}
	a.stream, a.reading = stream, true
	a.lastSeq, a.startPos = r.NextSeq-1, r.Pos
	if a.cfg.Online != nil {
		a.online = newOnline(a.cfg.Online, m.ChunksDone)
	}
	ctx.Send(ctx.Self(), &readNext{})
}

func (a *Actor) wake(ctx actor.Context) {
	if a.waiting && a.reading {
		a.waiting = false
		ctx.Send(ctx.Self(), &readNext{})
	}
}

func (a *Actor) read(ctx actor.Context) {
	if !a.reading {
		return
	}
	credit := a.credit.Available()
	if credit <= 0 {
		a.waiting = true
		return
	}
	read := a.stream.ReadBatch
	if a.stopping {
		read = a.stream.ReadToBoundary
	}
	batch, err := read(a.ctx, int(min(credit, maxBatchBytes)), pollWait)
	if err != nil {
		a.close()
		panic(err)
	}
	p := a.stream.Progress()
	if at := p.CaughtUpAt; !at.IsZero() {
		a.cfg.Status.CaughtUp(at)
	}
	if p.Truncates != a.truncates.seen && a.cfg.Source.Phases.IgnoreDDL {
		a.noteTruncates(p)
	}
	if a.online != nil {
		a.online.note(batch)
	}
	schemas := a.stream.TakeSchemaUpdates()
	if len(batch.Changes) > 0 || batch.Mark != nil || len(schemas) > 0 {
		a.send(ctx, batch, schemas)
	}
	// Not from the batch's Mark: while an XA transaction is prepared, Marks
	// stay behind the changes sent (binlogreader's xa.go).
	a.midTxn = a.stream.InTransaction()
	if a.stopping && !a.midTxn {
		a.stop(ctx)
		return
	}
	if a.online != nil && !a.midTxn && (a.online.result != nil || (!a.online.inFlight && (a.online.cur != nil || a.online.gen != a.cfg.Online.Generation()))) {
		a.onlineStep(ctx)
	}
	ctx.Send(ctx.Self(), &readNext{})
}

func (a *Actor) send(ctx actor.Context, b *change.Batch, schemas []store.TableSchema) {
	a.batchID++
	acks := 0
	if len(b.Changes) > 0 {
		acks = len(a.cfg.Pipelines)
	}
	a.credit.Take(int64(b.Bytes))
	if m := b.Mark; m != nil {
		a.lastMark, a.lastSeq = m, m.Seq
		a.cfg.Status.Read(len(b.Changes), int64(b.Bytes), m.Pos.String(), m.GTIDSet, m.Time)
	} else {
		a.cfg.Status.Read(len(b.Changes), int64(b.Bytes), "", "", 0)
	}
	src := a.cfg.Source.Name
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: src, Epoch: a.cfg.Epoch, ID: a.batchID, Mark: b.Mark,
		Bytes: int64(b.Bytes), Acks: acks, From: ctx.Self(), Schema: schemas,
	})
	if acks > 0 {
		msg := &pipeline.Process{Source: src, Epoch: a.cfg.Epoch, ID: a.batchID, Batch: b}
		for _, pid := range a.cfg.Pipelines {
			ctx.Send(pid, msg)
		}
	}
}

// noteTruncates counts the TRUNCATE TABLE statements the pipelines will
// drop and warns about them, rate-limited.
func (a *Actor) noteTruncates(p binlogreader.Progress) {
	dropped, warn, n := a.truncates.note(p.Truncates, time.Now())
	a.cfg.Status.TruncatesIgnored(dropped)
	if warn {
		a.cfg.Logger.Warn("TRUNCATE TABLE (or TRUNCATE/DROP PARTITION) of a selected table dropped (ignore_ddl): its topic keeps the rows the table no longer has; "+
			"set phases.ignore_ddl: false to publish it as a DDL record, or take a new snapshot of the table",
			"source", a.cfg.Source.Name, "truncates", n, "last", p.LastTruncate)
	}
}

// stop ends reading for a graceful shutdown and tells the unit.
func (a *Actor) stop(ctx actor.Context) {
	a.reading = false
	a.close()
	ctx.Send(ctx.Parent(), &source.ReadingStopped{Source: a.cfg.Source.Name})
}

func (a *Actor) close() {
	if a.online != nil {
		a.online.close()
	}
	if a.cancel != nil {
		a.cancel()
	}
	if a.stream != nil {
		_ = a.stream.Close()
		a.stream = nil
	}
}

// readNext is the actor's own loop message.
type readNext struct{}
