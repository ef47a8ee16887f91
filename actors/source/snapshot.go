package source

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// SnapshotTable is one table of a source's snapshot.
type SnapshotTable struct {
	Table *change.Table
	// Progress is the table's line in status.
	Progress *status.Table
	// Chunks are the chunks still to read (finished ones are left out).
	Chunks []snapshot.Chunk
	// DDL is the table's CREATE statement for schema sync; empty when schema
	// sync is off or was already sent.
	DDL string
}

// SnapshotState is a snapshot's progress that survives coordinator restarts.
type SnapshotState struct {
	Tables []*SnapshotTable
	// work holds every chunk with its state; built on first start.
	work       []*chunkWork
	schemaSent bool
}

type chunkWork struct {
	table *SnapshotTable
	chunk snapshot.Chunk
	state int // pending, reading, read
}

const (
	chunkPending = iota
	chunkReading
	chunkDoneState
)

// SnapshotConfig configures a snapshot coordinator.
type SnapshotConfig struct {
	Source       *topology.Source
	State        *SnapshotState
	Pipelines    []*actor.PID
	Checkpointer *actor.PID
	// Progress numbers the snapshot's changes and batches; the binlog phase
	// continues from it.
	Progress *Progress
	Budget   *Budget
	Limiter  *snapshot.Limiter
	// Ctx ends the shards' reads at shutdown.
	Ctx    context.Context
	Status *status.Source
	Logger *slog.Logger
}

// Snapshot coordinates a source's snapshot: it hands chunks to a bounded
// pool of shard actors, numbers the rows they read, sends them to the
// pipelines within the byte budget, and records chunk completions through the
// checkpointer. When the last chunk is durable it tells its parent
// SnapshotDone.
type Snapshot struct {
	cfg      SnapshotConfig
	assigned map[string]*chunkWork // shard PID id → its chunk
	stopped  bool
	cancel   context.CancelFunc
	shardCtx context.Context
}

// NewSnapshot returns the coordinator's producer.
func NewSnapshot(cfg SnapshotConfig) actor.Producer {
	return func() actor.Actor { return &Snapshot{cfg: cfg} }
}

// Receive implements actor.Actor.
func (s *Snapshot) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.start(ctx)
	case *shardReady:
		s.assign(ctx, m.shard)
	case *chunkRows:
		m.work.table.Progress.Rows(len(m.batch.Changes))
		s.forward(ctx, m.batch)
	case *chunkRead:
		s.chunkDone(ctx, m)
	case *checkpointer.BytesReleased:
		s.cfg.Budget.Release(m.Bytes)
		s.cfg.Status.Released(m.Bytes)
	case *checkpointer.SnapshotCommitted:
		s.cfg.Logger.Info("snapshot complete")
		ctx.Send(ctx.Parent(), &SnapshotDone{Source: s.cfg.Source.Name})
	case *StopReading:
		// A chunk cut short is read again on the next start; nothing sent
		// is lost, so the snapshot stops at once.
		s.stopped = true
		s.cancel()
		ctx.Send(ctx.Parent(), &ReadingStopped{Source: s.cfg.Source.Name})
	case *actor.Stopping, *actor.Restarting:
		if s.cancel != nil {
			s.cancel()
		}
	}
}

func (s *Snapshot) start(ctx actor.Context) {
	st := s.cfg.State
	s.cfg.Status.SetPhase(status.PhaseSnapshot)
	s.assigned = map[string]*chunkWork{}
	s.shardCtx, s.cancel = context.WithCancel(s.cfg.Ctx)
	if st.work == nil {
		for _, t := range st.Tables {
			for _, c := range t.Chunks {
				st.work = append(st.work, &chunkWork{table: t, chunk: c})
			}
		}
	}
	for _, w := range st.work {
		if w.state == chunkReading { // its shard died with the last coordinator
			w.state = chunkPending
		}
	}
	if !st.schemaSent {
		st.schemaSent = true
		s.sendSchema(ctx)
	}
	if s.finishIfDone(ctx) {
		return
	}
	n := max(1, s.cfg.Source.Phases.Parallelism)
	for i := 0; i < n; i++ {
		ctx.Spawn(actor.PropsFromProducer(newShard(shardConfig{
			source: s.cfg.Source, budget: s.cfg.Budget, limiter: s.cfg.Limiter, ctx: s.shardCtx,
		})))
	}
}

// sendSchema emits the CREATE statements of the snapshot's tables as DDL
// changes (schema sync), before any row.
func (s *Snapshot) sendSchema(ctx actor.Context) {
	b := &change.Batch{}
	for _, t := range s.cfg.State.Tables {
		if t.DDL == "" {
			continue
		}
		b.Add(change.Change{Op: change.OpDDL, Table: t.Table, SQL: t.DDL, Schema: t.Table.Schema, Size: len(t.DDL)})
	}
	if len(b.Changes) > 0 {
		s.cfg.Budget.Release(-int64(b.Bytes)) // take its credit without waiting
		s.forward(ctx, b)
	}
}

func (s *Snapshot) assign(ctx actor.Context, shard *actor.PID) {
	if s.stopped {
		return
	}
	if w := s.assigned[shard.Id]; w != nil {
		// A restarted shard: read its chunk again from the start (the rows
		// it had sent are sent twice, which at-least-once allows).
		ctx.Send(shard, &readChunk{work: w})
		return
	}
	for _, w := range s.cfg.State.work {
		if w.state == chunkPending {
			w.state = chunkReading
			s.assigned[shard.Id] = w
			ctx.Send(shard, &readChunk{work: w})
			return
		}
	}
	ctx.Stop(shard) // nothing left for it
}

// forward numbers a batch's changes and sends it to every pipeline.
func (s *Snapshot) forward(ctx actor.Context, b *change.Batch) {
	p := s.cfg.Progress
	b.Source = s.cfg.Source.Name
	for i := range b.Changes {
		b.Changes[i].Seq = p.Resume.NextSeq
		p.Resume.NextSeq++
	}
	p.BatchID++
	s.cfg.Status.Read(len(b.Changes), int64(b.Bytes), "", "", 0)
	ctx.Send(s.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: b.Source, ID: p.BatchID, Bytes: int64(b.Bytes), Acks: len(s.cfg.Pipelines), From: ctx.Self(),
	})
	msg := &Process{Source: b.Source, ID: p.BatchID, Batch: b, Snapshot: true}
	for _, pid := range s.cfg.Pipelines {
		ctx.Send(pid, msg)
	}
}

func (s *Snapshot) chunkDone(ctx actor.Context, m *chunkRead) {
	w := s.assigned[m.shard.Id]
	if w == nil {
		return
	}
	delete(s.assigned, m.shard.Id)
	w.state = chunkDoneState
	w.table.Progress.ChunkDone()
	p := s.cfg.Progress
	p.BatchID++
	ctx.Send(s.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: s.cfg.Source.Name, ID: p.BatchID, From: ctx.Self(),
		Chunk: &checkpointer.ChunkDone{
			Source: s.cfg.Source.Name, Table: w.table.Table.QualifiedName(), ID: w.chunk.ID,
			Low: w.chunk.Low, High: w.chunk.High, Rows: m.rows, Pos: m.pos,
		},
	})
	if !s.finishIfDone(ctx) {
		s.assign(ctx, m.shard)
	}
}

// finishIfDone announces the end of the snapshot once every chunk is read.
func (s *Snapshot) finishIfDone(ctx actor.Context) bool {
	for _, w := range s.cfg.State.work {
		if w.state != chunkDoneState {
			return false
		}
	}
	p := s.cfg.Progress
	p.BatchID++
	ctx.Send(s.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: s.cfg.Source.Name, ID: p.BatchID, From: ctx.Self(), SnapshotFinished: true,
	})
	return true
}

// HandleFailure escalates a shard's failure: the task restarts the whole
// coordinator with backoff, within the source's retry window, and the
// unfinished chunks are read again by new shards.
func (s *Snapshot) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, _ *actor.PID, _ *actor.RestartStatistics, reason, message any) {
	sup.EscalateFailure(reason, message)
}

// shardConfig configures a shard.
type shardConfig struct {
	source  *topology.Source
	budget  *Budget
	limiter *snapshot.Limiter
	ctx     context.Context
}

// shard reads the chunks its coordinator assigns, over its own connection.
type shard struct {
	cfg  shardConfig
	conn *client.Conn
}

func newShard(cfg shardConfig) actor.Producer {
	return func() actor.Actor { return &shard{cfg: cfg} }
}

// batchBytes is the size of the batches shards emit.
const batchBytes = 1 << 20

func (sh *shard) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		conn, err := sourcedb.Dial(sh.cfg.ctx, sh.cfg.source)
		if err != nil {
			panic(err)
		}
		sh.conn = conn
		ctx.Send(ctx.Parent(), &shardReady{shard: ctx.Self()})
	case *readChunk:
		parent := ctx.Parent()
		w := m.work
		rows, pos, err := snapshot.ReadChunk(sh.cfg.ctx, sh.conn, w.table.Table, w.chunk, func(b *change.Batch) error {
			if err := sh.cfg.budget.Acquire(sh.cfg.ctx, int64(b.Bytes)); err != nil {
				return err
			}
			ctx.Send(parent, &chunkRows{work: w, batch: b})
			return nil
		}, batchBytes, sh.cfg.limiter)
		if err != nil {
			if sh.cfg.ctx.Err() != nil {
				return // shutting down: the chunk stays unfinished
			}
			panic(fmt.Errorf("source %s: %w", sh.cfg.source.Name, err))
		}
		ctx.Send(parent, &chunkRead{shard: ctx.Self(), rows: rows, pos: pos})
	case *actor.Stopping, *actor.Restarting:
		if sh.conn != nil {
			_ = sh.conn.Close()
		}
	}
}
