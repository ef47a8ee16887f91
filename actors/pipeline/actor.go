package pipeline

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/source"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Config configures a pipeline actor.
type Config struct {
	Stage        *Stage
	Sink         *actor.PID
	Checkpointer *actor.PID
	// RetryWindow bounds how long a batch that fails with a retryable error
	// (a schema registry that does not answer) is retried.
	RetryWindow time.Duration
	Logger      *slog.Logger
}

// Actor runs one pipeline.
type Actor struct{ cfg Config }

// New returns the actor's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor { return &Actor{cfg: cfg} }
}

const (
	firstBackoff = 200 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*source.Process)
	if !ok {
		return
	}
	msgs, err := a.run(m)
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
	// The encoded records stay in memory until Kafka acknowledges them:
	// they count against the source's in-flight budget too. Sent before the
	// Write, so it reaches the checkpointer before the batch's BatchAcked.
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchEncoded{Source: m.Source, ID: m.ID, Bytes: int64(a.cfg.Stage.arenaBytes())})
	if n := len(m.Batch.Changes); n > 0 {
		w.CommitTime = m.Batch.Changes[n-1].CommitTime
	}
	ctx.Send(a.cfg.Sink, w)
}

// run runs the stage on one batch, retrying retryable errors in place: the
// batch is not dropped (a restarted actor would never see it again, and its
// acknowledgement would hold the source's credit and checkpoint forever).
func (a *Actor) run(m *source.Process) ([]kafkawriter.Message, error) {
	var since time.Time
	backoff := firstBackoff
	for {
		msgs, err := a.cfg.Stage.Run(m.Batch, m.Snapshot)
		if err == nil || errkind.IsTerminal(err) {
			return msgs, err
		}
		now := time.Now()
		if since.IsZero() {
			since = now
			a.cfg.Logger.Warn("pipeline stage failed; retrying the batch", "source", m.Source, "err", err)
		}
		if now.Sub(since) > a.cfg.RetryWindow {
			return nil, errkind.Terminal(fmt.Errorf("still failing after the retry window of %s: %w", a.cfg.RetryWindow, err))
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}
