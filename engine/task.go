package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/binlog"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/actors/source"
	"github.com/sluicecdc/sluice/internal/backoff"
)

// task is the root actor: it spawns the checkpointer, the sinks and one
// recovery unit per source, and supervises them (supervision.go).
type task struct {
	plan *plan
	log  *slog.Logger
	// failed receives the error that ends the task (buffered, first wins).
	failed chan error

	checkpointer *actor.PID
	sinks        map[string]*actor.PID // by sink name
	units        map[string]*actor.PID // by source name
	// sinkOf and fedBy relate sink actors to the units that feed them.
	sinkOf   map[string]string       // sink PID id → sink name
	fedBy    map[string][]string     // sink name → source names
	failures map[string]*backoff.Run // by sink name
	started  time.Time
	stopped  map[string]bool // sources that stopped reading while draining
}

func newTask(p *plan, log *slog.Logger) *task {
	return &task{
		plan: p, log: log, failed: make(chan error, 1),
		sinks: map[string]*actor.PID{}, units: map[string]*actor.PID{},
		sinkOf: map[string]string{}, fedBy: map[string][]string{},
		failures: map[string]*backoff.Run{}, stopped: map[string]bool{},
	}
}

// Receive implements actor.Actor.
func (t *task) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		t.started = time.Now()
		t.spawn(ctx)
	case *source.ReadingStopped:
		t.stopped[m.Source] = true
	case *readingDone:
		ctx.Respond(len(t.stopped) >= len(t.plan.sources))
	case *stopReading:
		for _, pid := range t.units {
			ctx.Send(pid, &flow.StopReading{})
		}
	}
}

// stopReading is sent by Run at the start of a graceful shutdown.
type stopReading struct{}

// readingDone asks whether every source has stopped reading (reply: bool).
type readingDone struct{}

func (t *task) spawn(ctx actor.Context) {
	p := t.plan
	starts := map[string]checkpointer.SourceStart{}
	for _, s := range p.sources {
		starts[s.cfg.Name] = checkpointer.SourceStart{Resume: s.resume, Budget: s.budget}
	}
	t.checkpointer = t.child(ctx, "checkpointer", checkpointer.New(checkpointer.Config{
		Commit: p.commit, Interval: p.dag.Engine.CheckpointInterval, Sources: starts, Logger: t.log,
	}))
	for _, s := range p.sinks {
		pid := t.child(ctx, "sink/"+s.cfg.Name, sink.New(sink.Config{
			Name: s.cfg.Name, Open: s.open, Checkpointer: t.checkpointer,
			RetryWindow: s.window, Status: p.status.Sink(s.cfg.Name), Logger: t.log.With("sink", s.cfg.Name),
			Partitions: s.partitions, Describe: s.describe,
		}))
		t.sinks[s.cfg.Name], t.sinkOf[pid.Id] = pid, s.cfg.Name
	}
	for _, s := range p.sources {
		t.units[s.cfg.Name] = t.child(ctx, "unit/"+s.cfg.Name, source.New(t.unitConfig(s)))
	}
}

// unitConfig wires a source's recovery unit: its pipelines, its readers and
// the sinks it feeds.
func (t *task) unitConfig(s *sourcePlan) source.Config {
	p, name := t.plan, s.cfg.Name
	var children source.Children
	var sinks []*actor.PID
	for _, pl := range p.pipelines {
		if pl.src.Name != name {
			continue
		}
		sinks = append(sinks, t.sinks[pl.sink])
		t.fedBy[pl.sink] = append(t.fedBy[pl.sink], name)
		children.Pipelines = append(children.Pipelines, source.Named{Name: pl.name, Producer: pipeline.New(pipeline.Config{
			Stage: pl.stage, Sink: t.sinks[pl.sink], Checkpointer: t.checkpointer,
		})})
	}
	children.Binlog = func(epoch uint64, pipelines []*actor.PID) actor.Producer {
		return binlog.New(binlog.Config{
			Source: s.cfg, Select: s.selectTable, Epoch: epoch, Pipelines: pipelines,
			Checkpointer: t.checkpointer, Status: s.status, History: s.history, Online: s.online,
			Logger: t.log, // the reader names its source
		})
	}
	if sp := s.snapshot; sp != nil {
		t.log.Info("snapshot starting", "source", name, "tables", len(sp.tables), "from", s.resume.Pos)
		children.Snapshot = func(epoch uint64, pipelines []*actor.PID) actor.Producer {
			return snapshot.New(snapshot.Config{
				Source: s.cfg, Tables: sp.tables, Epoch: epoch, SeqBase: sp.seqBase, Pipelines: pipelines,
				Point: sp.record.Pos, PlannedAt: sp.record.StartedAt,
				Checkpointer: t.checkpointer, Limiter: s.limiter, Status: s.status, Logger: t.log,
			})
		}
	}
	return source.Config{
		Source: name, RetryWindow: s.cfg.RetryWindow, Children: children,
		Checkpointer: t.checkpointer, Sinks: sinks, Status: s.status,
		SetError: p.status.SetError, Logger: t.log,
	}
}

func (t *task) child(ctx actor.Context, name string, producer actor.Producer) *actor.PID {
	pid, err := ctx.SpawnNamed(actor.PropsFromProducer(producer), name)
	if err != nil {
		t.fail(fmt.Errorf("start %s: %w", name, err))
	}
	return pid
}

func (t *task) fail(err error) {
	if err == nil {
		err = errors.New("task failed")
	}
	select {
	case t.failed <- err:
	default:
	}
}

// restartSink ends a sink's backoff: the sink starts again with an empty
// queue, so every source that feeds it re-reads from its durable mark.
func (t *task) restartSink(sup actor.Supervisor, pid *actor.PID, name string, cause error) {
	sup.RestartChildren(pid)
	for _, src := range t.fedBy[name] {
		t.plan.system.Root.Send(t.units[src], &source.Restart{Reason: cause})
	}
}

// sinkWindow is how long a sink may fail before the task stops.
func (t *task) sinkWindow(name string) time.Duration {
	for _, s := range t.plan.sinks {
		if s.cfg.Name == name {
			return s.window
		}
	}
	return 0
}
