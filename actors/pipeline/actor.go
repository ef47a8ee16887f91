package pipeline

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink"
)

// Config configures a pipeline actor.
type Config struct {
	Stage        *Stage
	Sink         *actor.PID
	Checkpointer *actor.PID
}

// Actor runs one pipeline.
type Actor struct{ cfg Config }

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Actor{cfg: cfg} }
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*Process)
	if !ok {
		return
	}
	msgs, err := a.cfg.Stage.Run(m.Batch, m.Snapshot)
	if err != nil {
		// The source's recovery unit restarts its reader and pipelines
		// from the last durable mark; the batch is read again.
		panic(err)
	}
	if len(msgs) == 0 {
		ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchAcked{Source: m.Source, Epoch: m.Epoch, ID: m.ID})
		return
	}
	w := &sink.Write{Source: m.Source, Epoch: m.Epoch, ID: m.ID, Messages: msgs}
	for i := range msgs {
		w.Bytes += len(msgs[i].Key) + len(msgs[i].Value)
	}
	// The encoded records stay in memory until Kafka acknowledges them:
	// they count against the source's in-flight budget too. Sent before the
	// Write, so it reaches the checkpointer before the batch's BatchAcked.
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchEncoded{Source: m.Source, Epoch: m.Epoch, ID: m.ID, Bytes: int64(a.cfg.Stage.arenaBytes())})
	if n := len(m.Batch.Changes); n > 0 && !m.Snapshot { // freshness is of binlog changes
		w.CommitTime = m.Batch.Changes[n-1].CommitTime
	}
	ctx.Send(a.cfg.Sink, w)
}
