package source

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/internal/backoff"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
)

const (
	firstRestartDelay = 200 * time.Millisecond
	maxRestartDelay   = 10 * time.Second
	// stableAfter ends a run of failures: children that ran this long
	// since they were spawned recovered, whatever fails next is new. A
	// batch of theirs acknowledged (Recovered) ends it sooner.
	stableAfter = 30 * time.Second
	// maxBugRestarts bounds restarts after runtime errors within bugWindow.
	maxBugRestarts = 3
	bugWindow      = 10 * time.Minute
)

// Children makes the unit's children for one epoch. The readers and
// pipelines it returns send the epoch with every message.
type Children struct {
	// Pipelines are the producers of the source's pipelines, by name.
	Pipelines []Named
	// Snapshot makes the snapshot coordinator; nil when the source starts
	// in the binlog phase.
	Snapshot func(epoch uint64, pipelines []*actor.PID) actor.Producer
	// Binlog makes the binlog reader.
	Binlog func(epoch uint64, pipelines []*actor.PID) actor.Producer
}

// Named is a producer and the stage name errors and logs use.
type Named struct {
	Name     string
	Producer actor.Producer
}

// Config configures a unit.
type Config struct {
	Source      string
	RetryWindow time.Duration
	Children    Children
	// Checkpointer and Sinks are told to drop the source's in-flight
	// batches when the unit restarts.
	Checkpointer *actor.PID
	Sinks        []*actor.PID
	Status       *status.Source
	// SetError shows a failure in the task's status.
	SetError func(error)
	Logger   *slog.Logger
}

// Unit supervises one source's reader and pipelines.
type Unit struct {
	cfg       Config
	self      *actor.PID
	system    *actor.ActorSystem
	epoch     uint64
	binlog    bool // the snapshot is done (or there is none)
	reader    *actor.PID
	pipelines []*actor.PID
	names     map[string]string // child PID id → stage name
	failures  backoff.Run
	bugs      []time.Time // runtime errors within bugWindow
	waiting   bool        // a respawn is scheduled
	draining  bool
	stopped   bool // the reader stopped after StopReading
}

// New returns the unit's producer.
func New(cfg Config) actor.Producer {
	return func() actor.Actor {
		return &Unit{cfg: cfg, binlog: cfg.Children.Snapshot == nil,
			failures: backoff.Run{First: firstRestartDelay, Max: maxRestartDelay, Stable: stableAfter}}
	}
}

// Receive implements actor.Actor.
func (u *Unit) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		u.self, u.system = ctx.Self(), ctx.ActorSystem()
		u.spawn(ctx)
	case *SnapshotDone:
		u.binlog = true
		ctx.Stop(u.reader)
		u.reader = nil
		if u.draining {
			u.readingStopped(ctx)
			return
		}
		u.epoch++
		u.reader = u.child(ctx, "source/"+u.cfg.Source, u.cfg.Children.Binlog(u.epoch, u.pipelines))
	case *flow.StopReading:
		u.draining = true
		if u.reader == nil {
			u.readingStopped(ctx)
			return
		}
		ctx.Send(u.reader, m)
	case *ReadingStopped:
		u.readingStopped(ctx)
	case *Recovered:
		u.recovered(m)
	case *childFailed:
		u.failed(ctx, m)
	case *Restart:
		u.cfg.Logger.Warn("source restarting: a sink it feeds restarted", "source", u.cfg.Source, "err", m.Reason)
		u.restart(ctx, 0)
	case *respawn:
		if m.epoch == u.epoch && u.waiting {
			u.waiting = false
			u.spawn(ctx)
		}
	}
}

// HandleFailure implements actor.SupervisorStrategy: every child's failure
// is the unit's.
func (u *Unit) HandleFailure(_ *actor.ActorSystem, _ actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason any, _ any) {
	u.system.Root.Send(u.self, &childFailed{child: child.Id, reason: reason})
}

func (u *Unit) failed(ctx actor.Context, m *childFailed) {
	name, ok := u.names[m.child]
	if !ok {
		return // a child of an older epoch, already stopped
	}
	now := time.Now()
	err := fmt.Errorf("%s: %w", name, u.classify(m.reason, now))
	u.cfg.SetError(err)
	if u.draining {
		// Stopping anyway: what was in flight is re-read on the next start.
		u.stopChildren(ctx)
		u.dropInFlight(ctx)
		u.readingStopped(ctx)
		return
	}
	delay, fatal := u.failures.Next(err, u.cfg.RetryWindow, now)
	if fatal != nil {
		u.stopChildren(ctx)
		panic(fatal) // the task stops with it
	}
	u.cfg.Logger.Warn("source failed; restarting it from its last durable mark", "source", u.cfg.Source,
		"attempt", u.failures.Count(), "in", delay, "err", err)
	u.restart(ctx, delay)
}

// recovered ends the run of failures once a batch of the restarted
// children went all the way through.
func (u *Unit) recovered(m *Recovered) {
	if m.Epoch != u.epoch || u.failures.Count() == 0 {
		return
	}
	u.cfg.Logger.Info("source recovered; its next failure starts a new retry window", "source", u.cfg.Source,
		"after_failures", u.failures.Count(), "failing_for", u.failures.Since(time.Now()).Round(time.Millisecond))
	u.failures.Reset()
}

// classify turns a panic's reason into the error the unit acts on: a
// runtime error is retried at most maxBugRestarts times within bugWindow.
func (u *Unit) classify(reason any, now time.Time) error {
	err, ok := reason.(error)
	if !ok {
		err = fmt.Errorf("internal error: %v", reason)
	}
	var rt runtime.Error
	if !ok || errors.As(err, &rt) {
		kept := u.bugs[:0]
		for _, t := range u.bugs {
			if now.Sub(t) < bugWindow {
				kept = append(kept, t)
			}
		}
		u.bugs = append(kept, now)
		if len(u.bugs) > maxBugRestarts {
			return errkind.Terminal(fmt.Errorf("internal error, %d times within %s (please report it): %w", len(u.bugs), bugWindow, err))
		}
	}
	return err
}

// restart stops the children, drops what they had in flight and schedules
// the next epoch's children after delay.
func (u *Unit) restart(ctx actor.Context, delay time.Duration) {
	u.stopChildren(ctx)
	u.dropInFlight(ctx)
	u.cfg.Status.Restarted()
	u.waiting = true
	if delay <= 0 {
		ctx.Send(u.self, &respawn{epoch: u.epoch})
		return
	}
	root, self, msg := u.system.Root, u.self, &respawn{epoch: u.epoch}
	time.AfterFunc(delay, func() { root.Send(self, msg) })
}

// dropInFlight opens the next epoch: the checkpointer and the sinks drop
// what the stopped children had in flight.
func (u *Unit) dropInFlight(ctx actor.Context) {
	u.epoch++
	ctx.Send(u.cfg.Checkpointer, &checkpointer.Reset{Source: u.cfg.Source, Epoch: u.epoch})
	for _, s := range u.cfg.Sinks {
		ctx.Send(s, &sink.DropSource{Source: u.cfg.Source, Epoch: u.epoch})
	}
	u.cfg.Status.Dropped()
}

func (u *Unit) spawn(ctx actor.Context) {
	if u.epoch == 0 {
		u.epoch = 1
	}
	u.names = map[string]string{}
	u.pipelines = u.pipelines[:0]
	u.failures.Started(time.Now())
	for _, p := range u.cfg.Children.Pipelines {
		u.pipelines = append(u.pipelines, u.child(ctx, p.Name, p.Producer))
	}
	if u.binlog {
		u.reader = u.child(ctx, "source/"+u.cfg.Source, u.cfg.Children.Binlog(u.epoch, u.pipelines))
	} else {
		u.reader = u.child(ctx, "snapshot/"+u.cfg.Source, u.cfg.Children.Snapshot(u.epoch, u.pipelines))
	}
}

func (u *Unit) child(ctx actor.Context, name string, p actor.Producer) *actor.PID {
	pid := ctx.SpawnPrefix(actor.PropsFromProducer(p), name)
	u.names[pid.Id] = name
	return pid
}

func (u *Unit) stopChildren(ctx actor.Context) {
	for _, pid := range ctx.Children() {
		ctx.Stop(pid)
	}
	u.reader, u.pipelines = nil, nil
	u.names = map[string]string{}
}

func (u *Unit) readingStopped(ctx actor.Context) {
	if u.stopped {
		return
	}
	u.stopped = true
	ctx.Send(ctx.Parent(), &ReadingStopped{Source: u.cfg.Source})
}
