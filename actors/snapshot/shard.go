package snapshot

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/source"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// shardConfig configures a shard.
type shardConfig struct {
	source       *topology.Source
	epoch        uint64
	index        int // 1.., its batch ids are index<<48 onwards
	grant        int64
	pipelines    []*actor.PID
	checkpointer *actor.PID
	limiter      *Limiter
	status       *status.Source
}

// shard reads the chunks its coordinator assigns, over its own connection,
// and sends their rows to the pipelines within its own credit. The read is a
// blocking streaming query, so it runs on a goroutine of the shard's; the
// actor applies the credit messages and reports the chunk's end.
type shard struct {
	cfg     shardConfig
	conn    *client.Conn
	credit  *flow.Credit
	batchID uint64 // used by the reading goroutine only
	// recovered is set once a batch of the shard was acknowledged and the
	// coordinator was told (it tells the unit Recovered once per epoch).
	recovered bool
	ctx       context.Context
	cancel    context.CancelFunc
}

func newShard(cfg shardConfig) actor.Producer {
	return func() actor.Actor { return &shard{cfg: cfg, batchID: uint64(cfg.index) << 48} }
}

// batchBytes is the size of the batches shards emit.
const batchBytes = 1 << 20

func (sh *shard) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		sh.ctx, sh.cancel = context.WithCancel(context.Background())
		sh.credit = flow.NewCredit(sh.cfg.grant)
		conn, err := sourcedb.Dial(sh.ctx, sh.cfg.source)
		if err != nil {
			panic(err)
		}
		sh.conn = conn
		ctx.Send(ctx.Parent(), &shardReady{shard: ctx.Self()})
	case *readChunk:
		root, self := ctx.ActorSystem().Root, ctx.Self()
		go sh.read(root, self, m.work)
	case *chunkRead:
		ctx.Send(ctx.Parent(), m)
	case *readFailed:
		panic(m.err)
	case *flow.Released:
		if m.Epoch == sh.cfg.epoch {
			sh.credit.Add(m.Bytes)
			sh.cfg.status.Released(m.Bytes)
			if !sh.recovered {
				sh.recovered = true
				ctx.Send(ctx.Parent(), &source.Recovered{Source: sh.cfg.source.Name, Epoch: sh.cfg.epoch})
			}
		}
	case *flow.Charged:
		if m.Epoch == sh.cfg.epoch {
			sh.credit.Add(-m.Bytes)
			sh.cfg.status.Charged(m.Bytes)
		}
	case *actor.Stopping, *actor.Restarting:
		if sh.cancel != nil {
			sh.cancel()
		}
		if sh.conn != nil {
			_ = sh.conn.Close()
		}
	}
}

// read reads one chunk on the shard's goroutine. It talks to actors only by
// sending: rows to the pipelines, batches and the chunk's completion to the
// checkpointer, and the outcome to the shard itself.
func (sh *shard) read(root *actor.RootContext, self *actor.PID, w chunkWork) {
	src := sh.cfg.source.Name
	table := w.table.Table.QualifiedName()
	next := w.seqBase
	rows, pos, err := ReadChunk(sh.ctx, sh.conn, w.table.Table, w.chunk, func(b *change.Batch) error {
		if err := sh.credit.Wait(sh.ctx, int64(b.Bytes)); err != nil {
			return err
		}
		if next+uint64(len(b.Changes))-w.seqBase > 1<<chunkSeqBits {
			return errkind.Terminal(fmt.Errorf("chunk %d of %s has more than %d rows; set a smaller phases.chunk_size (a table without a usable key is one chunk)",
				w.chunk.ID, table, uint64(1)<<chunkSeqBits))
		}
		for i := range b.Changes {
			b.Changes[i].Seq = next
			next++
		}
		b.Source = src
		sh.batchID++
		w.table.Progress.Rows(len(b.Changes))
		sh.cfg.status.Read(len(b.Changes), int64(b.Bytes), "", "", 0)
		root.Send(sh.cfg.checkpointer, &checkpointer.BatchSent{
			Source: src, Epoch: sh.cfg.epoch, ID: sh.batchID, Bytes: int64(b.Bytes), Acks: len(sh.cfg.pipelines), From: self,
		})
		msg := &pipeline.Process{Source: src, Epoch: sh.cfg.epoch, ID: sh.batchID, Batch: b, Snapshot: true}
		for _, pid := range sh.cfg.pipelines {
			root.Send(pid, msg)
		}
		return nil
	}, batchBytes, sh.cfg.limiter)
	if err != nil {
		if sh.ctx.Err() == nil {
			root.Send(self, &readFailed{err: fmt.Errorf("source %s: %w", src, err)})
		}
		return // stopping: the chunk stays unfinished
	}
	// Announced after the chunk's rows, from the same sender: the
	// checkpointer releases it only after all of them.
	sh.batchID++
	root.Send(sh.cfg.checkpointer, &checkpointer.BatchSent{
		Source: src, Epoch: sh.cfg.epoch, ID: sh.batchID, From: self,
		Chunk: &checkpointer.ChunkDone{Source: src, Table: table, ID: w.chunk.ID, Low: w.chunk.Low, High: w.chunk.High, Rows: rows, Pos: pos},
	})
	root.Send(self, &chunkRead{shard: self, rows: rows})
}
