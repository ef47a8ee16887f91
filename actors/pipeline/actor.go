package pipeline

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/source"
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
	m, ok := ctx.Message().(*source.Process)
	if !ok {
		return
	}
	msgs, err := a.cfg.Stage.Run(m.Batch, m.Snapshot)
	if err != nil {
		panic(err)
	}
	if len(msgs) == 0 {
		ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchAcked{Source: m.Source, ID: m.ID})
		return
	}
	w := &sink.Write{Source: m.Source, ID: m.ID, Messages: msgs}
	for i := range msgs {
		w.Bytes += len(msgs[i].Key) + len(msgs[i].Value)
	}
	if n := len(m.Batch.Changes); n > 0 {
		w.CommitTime = m.Batch.Changes[n-1].CommitTime
	}
	ctx.Send(a.cfg.Sink, w)
}
