package engine

import (
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/source"
)

// task is the root actor: it spawns every stage and supervises them.
type task struct {
	plan *plan
	log  *slog.Logger
	// failed receives the error that ends the task (buffered, first wins).
	failed chan error

	names    map[string]string        // child PID id → stage name
	windows  map[string]time.Duration // child PID id → retry window
	failures map[string]*failures

	checkpointer *actor.PID
	sources      map[string]*actor.PID   // the actor reading each source now
	pipelines    map[string][]*actor.PID // by source
	draining     bool
	stopped      map[string]bool // sources that stopped reading while draining
}

func newTask(p *plan, log *slog.Logger) *task {
	return &task{
		plan: p, log: log, failed: make(chan error, 1),
		names: map[string]string{}, windows: map[string]time.Duration{}, failures: map[string]*failures{},
		sources: map[string]*actor.PID{}, pipelines: map[string][]*actor.PID{}, stopped: map[string]bool{},
	}
}

// Receive implements actor.Actor.
func (t *task) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		t.spawn(ctx)
	case *source.SnapshotDone:
		t.startBinlog(ctx, m.Source)
	case *source.Recovered:
		if pid := t.sources[m.Source]; pid != nil {
			delete(t.failures, pid.Id)
			t.log.Info("source recovered", "source", m.Source)
		}
	case *source.ReadingStopped:
		t.stopped[m.Source] = true
	case *readingDone:
		ctx.Respond(len(t.stopped) >= len(t.plan.sources))
	case *stopReading:
		t.draining = true
		for _, pid := range t.sources {
			ctx.Send(pid, &source.StopReading{})
		}
	}
}

// stopReading is sent by Run at the start of a graceful shutdown.
type stopReading struct{}

// readingDone asks whether every source has stopped reading (reply: bool).
type readingDone struct{}

func (t *task) spawn(ctx actor.Context) {
	p := t.plan
	t.checkpointer = t.child(ctx, "checkpointer", p.retryMax, checkpointer.New(checkpointer.Config{
		Commit: p.commit, Interval: p.dag.Engine.CheckpointInterval, Logger: t.log,
	}))
	sinks := map[string]*actor.PID{}
	for _, s := range p.sinks {
		sinks[s.cfg.Name] = t.child(ctx, "sink/"+s.cfg.Name, s.window, sink.New(sink.Config{
			Name: s.cfg.Name, Open: s.open, Checkpointer: t.checkpointer,
			RetryWindow: s.window, Status: p.status.Sink(s.cfg.Name), Logger: t.log.With("sink", s.cfg.Name),
		}))
	}
	for _, pl := range p.pipelines {
		pid := t.child(ctx, pl.name, pl.src.RetryWindow, pipeline.New(pipeline.Config{
			Stage: pl.stage, Sink: sinks[pl.sink], Checkpointer: t.checkpointer,
			RetryWindow: pl.src.RetryWindow, Logger: t.log.With("pipeline", pl.name),
		}))
		t.pipelines[pl.src.Name] = append(t.pipelines[pl.src.Name], pid)
	}
	for _, s := range p.sources {
		if s.snapshot == nil {
			t.startBinlog(ctx, s.cfg.Name)
			continue
		}
		t.log.Info("snapshot starting", "source", s.cfg.Name, "tables", len(s.snapshot.Tables), "from", s.progress.Resume.Pos)
		t.sources[s.cfg.Name] = t.child(ctx, "snapshot/"+s.cfg.Name, s.cfg.RetryWindow, source.NewSnapshot(source.SnapshotConfig{
			Source: s.cfg, State: s.snapshot, Pipelines: t.pipelines[s.cfg.Name], Checkpointer: t.checkpointer,
			Progress: s.progress, Budget: source.NewBudget(s.budget), Limiter: s.limiter, Ctx: p.runCtx, Status: s.status,
			Logger: t.log.With("source", s.cfg.Name),
		}))
	}
}

// startBinlog starts (or, after its snapshot, switches) a source to the
// binlog phase.
func (t *task) startBinlog(ctx actor.Context, name string) {
	s := t.plan.source(name)
	if old := t.sources[name]; old != nil {
		ctx.Stop(old)
	}
	if t.draining {
		return
	}
	s.progress.Credit = s.budget // every snapshot batch is acknowledged
	t.log.Info("binlog phase starting", "source", name, "from", s.progress.Resume.Pos, "gtid_set", s.progress.Resume.GTIDSet)
	t.sources[name] = t.child(ctx, "source/"+name, s.cfg.RetryWindow, source.New(source.Config{
		Source: s.cfg, Select: s.selectTable, Pipelines: t.pipelines[name],
		Checkpointer: t.checkpointer, Progress: s.progress, Status: s.status, History: s.history,
		Logger: t.log, // the reader names its source
	}))
}

func (t *task) child(ctx actor.Context, name string, window time.Duration, producer actor.Producer) *actor.PID {
	pid, err := ctx.SpawnNamed(actor.PropsFromProducer(producer), name)
	if err != nil {
		t.fail(err)
		return nil
	}
	t.names[pid.Id] = name
	t.windows[pid.Id] = window
	return pid
}

func (t *task) windowOf(id string) time.Duration { return t.windows[id] }

func (t *task) fail(err error) {
	if err == nil {
		err = errors.New("task failed")
	}
	select {
	case t.failed <- err:
	default:
	}
}
