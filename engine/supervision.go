package engine

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/internal/backoff"
)

const (
	firstSinkRestartDelay = 200 * time.Millisecond
	maxSinkRestartDelay   = 10 * time.Second
	// sinkStableAfter: a sink that ran this long since its last restart
	// recovered; its next failure starts a new retry window.
	sinkStableAfter = 30 * time.Second
)

// HandleFailure implements actor.SupervisorStrategy for the task's children.
//
// A source's recovery unit handles every failure below it and fails only
// with an error that ends the task (terminal, or its retry window is over).
// The checkpointer owns every source's ledger: its failure ends the task
// (the next start resumes from the committed checkpoint). A sink retries
// Kafka in place; if the actor itself fails (its writer could not be made,
// a bug), it is restarted after a backoff and the sources it feeds restart
// from their durable marks, since its queue is gone.
func (t *task) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	cause, ok := reason.(error)
	if !ok {
		cause = fmt.Errorf("internal error: %v", reason)
	}
	name, isSink := t.sinkOf[child.Id]
	if !isSink {
		t.plan.status.SetError(cause)
		t.fail(cause)
		return
	}
	cause = fmt.Errorf("sink/%s: %w", name, cause)
	t.plan.status.SetError(cause)
	f := t.failures[name]
	if f == nil {
		f = &backoff.Run{First: firstSinkRestartDelay, Max: maxSinkRestartDelay, Stable: sinkStableAfter}
		f.Started(t.started)
		t.failures[name] = f
	}
	delay, err := f.Next(cause, t.sinkWindow(name), time.Now())
	if err != nil {
		t.fail(err)
		return
	}
	t.log.Warn("sink failed; restarting it and the sources it feeds", "sink", name, "attempt", f.Count(), "in", delay, "err", cause)
	time.AfterFunc(delay, func() {
		f.Started(time.Now())
		t.restartSink(sup, child, name, cause)
	})
}
