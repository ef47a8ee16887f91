package engine

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/internal/errkind"
)

const (
	firstRestartDelay = 200 * time.Millisecond
	maxRestartDelay   = 10 * time.Second
)

// failures tracks one child's consecutive failures.
type failures struct {
	since time.Time // first failure of the current run of failures
	count int
}

// restartDelay is the exponential backoff before the n-th restart (n >= 1).
func restartDelay(n int) time.Duration {
	d := firstRestartDelay
	for i := 1; i < n && d < maxRestartDelay; i++ {
		d *= 2
	}
	return min(d, maxRestartDelay)
}

// decide says whether a failed child is restarted (after delay) or the task
// fails with err. window is the child's retry window.
func decide(f *failures, reason any, window time.Duration, now time.Time) (delay time.Duration, err error) {
	cause, ok := reason.(error)
	if !ok {
		// A panic that is not an error is a bug: fail loudly, do not loop.
		return 0, errkind.Terminal(fmt.Errorf("internal error: %v", reason))
	}
	if errkind.IsTerminal(cause) {
		return 0, cause
	}
	if f.count == 0 {
		f.since = now
	}
	f.count++
	if now.Sub(f.since) > window {
		return 0, errkind.Terminal(fmt.Errorf("still failing after the retry window of %s (failing since %s): %w",
			window, f.since.UTC().Format(time.RFC3339), cause))
	}
	return restartDelay(f.count), nil
}

// HandleFailure implements actor.SupervisorStrategy for the task's children.
func (t *task) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	name := t.names[child.Id]
	f := t.failures[child.Id]
	if f == nil {
		f = &failures{}
		t.failures[child.Id] = f
	}
	if e, ok := reason.(error); ok {
		t.plan.status.SetError(fmt.Errorf("%s: %w", name, e))
	}
	delay, err := decide(f, reason, t.windowOf(child.Id), time.Now())
	if err != nil {
		t.fail(fmt.Errorf("%s: %w", name, err))
		return
	}
	t.log.Warn("stage failed; restarting", "stage", name, "attempt", f.count, "in", delay, "err", reason)
	time.AfterFunc(delay, func() { sup.RestartChildren(child) })
}
