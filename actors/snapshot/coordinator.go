package snapshot

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/source"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// chunkSeqBits sizes the block of sequence numbers each chunk numbers its
// rows from: chunk i of a run's plan uses SeqBase + i<<chunkSeqBits onwards,
// so a chunk read again after a restart gives its rows the same numbers.
const chunkSeqBits = 32

// SeqSpan is how many sequence numbers a run of a snapshot with n chunks
// reserves.
func SeqSpan(n int) uint64 { return uint64(n+1) << chunkSeqBits }

// TablePlan is one table of a source's snapshot run.
type TablePlan struct {
	Table *change.Table
	// Progress is the table's line in status.
	Progress *status.Table
	// Chunks are the chunks this run reads (those finished before are left
	// out).
	Chunks []Chunk
	// DDL is the table's CREATE statement for schema sync; empty when schema
	// sync is off or was already sent.
	DDL string
}

// Config configures a snapshot coordinator.
type Config struct {
	Source *topology.Source
	Tables []*TablePlan
	// Epoch is the recovery unit's epoch this coordinator belongs to.
	Epoch uint64
	// SeqBase is the first sequence number of this run's block (SeqSpan).
	SeqBase uint64
	// Point is the snapshot's start position and PlannedAt the time the
	// plan read the tables' CREATE statements: the schema-sync DDL carries
	// both, as Debezium's snapshot schema changes carry the snapshot's.
	Point        change.Position
	PlannedAt    time.Time
	Pipelines    []*actor.PID
	Checkpointer *actor.PID
	Limiter      *Limiter
	Status       *status.Source
	Logger       *slog.Logger
}

// chunkWork is one chunk of the plan and where its sequence numbers start.
type chunkWork struct {
	table   *TablePlan
	chunk   Chunk
	seqBase uint64
	done    bool
}

// Coordinator runs a source's snapshot: it asks the checkpointer which
// chunks are still to read, hands them to a bounded pool of shard actors
// (each reads with its own connection and credit and sends its rows to the
// pipelines itself), and, when every chunk is read, announces the end of
// the snapshot. Once that is durable it tells the unit SnapshotDone.
type Coordinator struct {
	cfg      Config
	work     []*chunkWork
	assigned map[string]*chunkWork // shard PID id → its chunk
	stopped  bool
	batchID  uint64
	// recovered is set once a shard's batch was acknowledged and the unit
	// was told Recovered.
	recovered bool
}

// New returns the coordinator's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Coordinator{cfg: cfg, assigned: map[string]*chunkWork{}} }
}

// Receive implements actor.Actor.
func (c *Coordinator) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.cfg.Status.SetPhase(status.PhaseSnapshot)
		ctx.Send(c.cfg.Checkpointer, &checkpointer.ResumeFrom{Source: c.cfg.Source.Name, Epoch: c.cfg.Epoch, From: ctx.Self()})
	case *flow.Start:
		if m.Epoch == c.cfg.Epoch && !c.stopped {
			c.start(ctx, m)
		}
	case *shardReady:
		c.assign(ctx, m.shard)
	case *chunkRead:
		c.chunkDone(ctx, m)
	case *source.Recovered:
		if !c.recovered {
			c.recovered = true
			ctx.Send(ctx.Parent(), m)
		}
	case *flow.SnapshotCommitted:
		c.cfg.Logger.Info("snapshot complete", "source", c.cfg.Source.Name)
		ctx.Send(ctx.Parent(), &source.SnapshotDone{Source: c.cfg.Source.Name})
	case *flow.StopReading:
		// A chunk cut short is read again on the next start; nothing sent
		// is lost, so the snapshot stops at once.
		c.stopped = true
		for _, pid := range ctx.Children() {
			ctx.Stop(pid)
		}
		ctx.Send(ctx.Parent(), &source.ReadingStopped{Source: c.cfg.Source.Name})
	}
	// flow.Released and flow.Charged for the schema-sync batch are ignored:
	// it takes no credit (it is small and sent once, before any row).
}

func (c *Coordinator) start(ctx actor.Context, m *flow.Start) {
	if m.SnapshotFinished { // durable before the unit restarted
		ctx.Send(ctx.Parent(), &source.SnapshotDone{Source: c.cfg.Source.Name})
		return
	}
	done := make(map[flow.ChunkID]bool, len(m.ChunksDone))
	for _, id := range m.ChunksDone {
		done[id] = true
	}
	i := 0
	for _, t := range c.cfg.Tables {
		name := t.Table.QualifiedName()
		for _, ch := range t.Chunks {
			w := &chunkWork{table: t, chunk: ch, seqBase: c.cfg.SeqBase + uint64(i)<<chunkSeqBits}
			i++
			if done[flow.ChunkID{Table: name, ID: ch.ID}] {
				continue
			}
			c.work = append(c.work, w)
		}
	}
	c.sendSchema(ctx)
	if c.finishIfDone(ctx) {
		return
	}
	n := min(c.cfg.Source.Phases.Readers(), len(c.work))
	for k := 1; k <= n; k++ {
		ctx.Spawn(actor.PropsFromProducer(newShard(shardConfig{
			source: c.cfg.Source, epoch: c.cfg.Epoch, index: k, grant: max(1, m.Grant/int64(n)),
			pipelines: c.cfg.Pipelines, checkpointer: c.cfg.Checkpointer, limiter: c.cfg.Limiter, status: c.cfg.Status,
		})))
	}
}

// sendSchema emits the CREATE statements of the snapshot's tables as DDL
// changes (schema sync), before any row. After a restart of the unit they
// are sent again (at-least-once).
func (c *Coordinator) sendSchema(ctx actor.Context) {
	b := &change.Batch{Source: c.cfg.Source.Name}
	var at uint32
	if !c.cfg.PlannedAt.IsZero() {
		at = uint32(c.cfg.PlannedAt.Unix())
	}
	for _, t := range c.cfg.Tables {
		if t.DDL != "" {
			b.Add(change.Change{Op: change.OpDDL, SchemaSync: true, Table: t.Table, SQL: t.DDL, Schema: t.Table.Schema,
				Pos: c.cfg.Point, CommitTime: at, Size: len(t.DDL)})
		}
	}
	if len(b.Changes) == 0 {
		return
	}
	for i := range b.Changes {
		b.Changes[i].Seq = c.cfg.SeqBase + uint64(i) // below chunk 0's rows: SeqSpan reserves one block more
	}
	c.announce(ctx, &checkpointer.BatchSent{Bytes: int64(b.Bytes), Acks: len(c.cfg.Pipelines)})
	msg := &pipeline.Process{Source: b.Source, Epoch: c.cfg.Epoch, ID: c.batchID, Batch: b, Snapshot: true}
	for _, pid := range c.cfg.Pipelines {
		ctx.Send(pid, msg)
	}
}

// announce numbers a batch of the coordinator's own (shards number theirs)
// and tells the checkpointer.
func (c *Coordinator) announce(ctx actor.Context, m *checkpointer.BatchSent) {
	c.batchID++
	m.Source, m.Epoch, m.ID, m.From = c.cfg.Source.Name, c.cfg.Epoch, c.batchID, ctx.Self()
	ctx.Send(c.cfg.Checkpointer, m)
}

func (c *Coordinator) assign(ctx actor.Context, shard *actor.PID) {
	if c.stopped {
		return
	}
	for _, w := range c.work {
		if !w.done && !c.isAssigned(w) {
			c.assigned[shard.Id] = w
			ctx.Send(shard, &readChunk{work: *w})
			return
		}
	}
	ctx.Stop(shard) // nothing left for it
}

func (c *Coordinator) isAssigned(w *chunkWork) bool {
	for _, a := range c.assigned {
		if a == w {
			return true
		}
	}
	return false
}

func (c *Coordinator) chunkDone(ctx actor.Context, m *chunkRead) {
	w := c.assigned[m.shard.Id]
	if w == nil {
		return
	}
	delete(c.assigned, m.shard.Id)
	w.done = true
	w.table.Progress.ChunkDone()
	if !c.finishIfDone(ctx) {
		c.assign(ctx, m.shard)
	}
}

// finishIfDone announces the end of the snapshot once every chunk is read.
// Each shard announced its chunks' completions before it reported them
// here, so this batch is released after all of them.
func (c *Coordinator) finishIfDone(ctx actor.Context) bool {
	for _, w := range c.work {
		if !w.done {
			return false
		}
	}
	c.announce(ctx, &checkpointer.BatchSent{SnapshotFinished: true})
	return true
}

// HandleFailure escalates a shard's failure to the source's recovery unit,
// which restarts the snapshot; the unfinished chunks are read again.
func (c *Coordinator) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, _ *actor.PID, _ *actor.RestartStatistics, reason, message any) {
	sup.EscalateFailure(reason, message)
}
