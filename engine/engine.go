package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/sink/txwriter"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/topology"
)

// Options configure Run.
type Options struct {
	// Task names the task (the store refuses another task's checkpoints):
	// the topology's name, or a cluster task's.
	Task   string
	Logger *slog.Logger
	// DrainTimeout bounds the graceful shutdown (default 30s).
	DrainTimeout time.Duration
	// Status receives the task's live state; nil makes a registry of its
	// own (a cluster node passes one per task and serves them together).
	Status *status.Registry
	// OpenStore opens the task's checkpoint store (a cluster node's etcd
	// store); nil opens the bbolt file in the topology's checkpoint_dir.
	OpenStore func(store.Identity) (store.Store, error)
	// Fenced writes every sink through a Kafka transactional producer with
	// transactional.id sluice/<task>/<sink> (actors/sink/txwriter): opening
	// it fences any earlier owner of the task, so that a node that lost the
	// task can write nothing more (cluster mode). Off: kafka-go, no
	// transactions.
	Fenced bool
	// Node and Epoch, with Fenced, name the cluster node that owns the task
	// and its owner epoch: every record the task writes carries them as the
	// sluice.node and sluice.epoch headers, so that a scan of a topic tells
	// which owner wrote each record. A single sluice run sets neither.
	Node  string
	Epoch int64
	// System is the actor system the task's actors run in (a cluster
	// node's, shared by all its tasks); nil makes one for the run.
	System *actor.ActorSystem
	// Commands, when set, reaches the running task from outside its own
	// endpoint (a cluster node asks it for an online snapshot); nil makes
	// one for the task's engine.http_addr alone.
	Commands *Commands
}

// runs numbers the runs in a shared actor system (Options.System).
var runs atomic.Int64

// ownerHeaders are the headers of opts' owner, built once per run: every
// record shares their bytes.
func ownerHeaders(opts Options) []protocol.Header {
	if opts.Node == "" {
		return nil
	}
	return []protocol.Header{
		{Key: codec.HeaderNode, Value: []byte(opts.Node)},
		{Key: codec.HeaderEpoch, Value: strconv.AppendInt(nil, opts.Epoch, 10)},
	}
}

// plan is everything the task actor spawns, prepared before any actor runs
// so that configuration errors surface before the first binlog byte is read.
type plan struct {
	dag       *topology.DAG
	commit    checkpointer.CommitFunc
	sources   []*sourcePlan
	sinks     []*sinkPlan
	pipelines []*pipelinePlan
	status    *status.Registry
	system    *actor.ActorSystem
}

func (p *plan) source(name string) *sourcePlan {
	for _, s := range p.sources {
		if s.cfg.Name == name {
			return s
		}
	}
	return nil
}

type sourcePlan struct {
	cfg         *topology.Source
	status      *status.Source
	serverID    string // identity of the connected server
	version     string // its version text (DTS Avro source.version)
	selectTable func(db, table string) bool
	// resume is where the binlog phase starts (after the snapshot, if any).
	resume flow.Resume
	budget int64
	// snapshot is nil when the source starts in the binlog phase.
	snapshot *snapshotPlan
	// online lists the tables the binlog reader snapshots as it streams.
	online  *snapshot.Online
	limiter *snapshot.Limiter
	history *schema.History
	// partitions are the partition counts, by sink and topic, the source's
	// records are routed by; its checkpoints record them.
	partitions map[string]map[string]int
}

// snapshotPlan is the run of a source's snapshot this process makes.
type snapshotPlan struct {
	tables []*snapshot.TablePlan
	// seqBase is the first sequence number of the run's block.
	seqBase uint64
	record  store.Snapshot
}

type sinkPlan struct {
	cfg    *topology.Sink
	open   func() (sink.Writer, error)
	window time.Duration
	// partitions are the topics' counts the records are routed by;
	// describe reads the current ones (the running sink compares them).
	partitions map[string]int
	describe   func(context.Context, []string) (map[string]int, error)
}

type pipelinePlan struct {
	name  string
	src   *topology.Source
	sink  string
	stage *pipeline.Stage
}

// Run runs the task until ctx ends (then drains gracefully and returns nil)
// or the task fails (then returns the error that ended it).
func Run(ctx context.Context, dag *topology.DAG, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 30 * time.Second
	}
	// The endpoint first: a refused address must fail before anything is
	// created or connected.
	live := opts.Commands
	if live == nil {
		live = &Commands{}
	}
	reg := opts.Status
	if reg == nil {
		reg = status.NewRegistry()
	}
	if addr := dag.Engine.HTTPAddr; addr != "" {
		stopHTTP, err := status.Serve(addr, dag.Engine.HTTPToken.Value(), reg,
			status.Route{Pattern: "POST /snapshot", Handler: snapshotHandler(live)})
		if err != nil {
			return err
		}
		defer stopHTTP()
		log.Info("status endpoint", "addr", "http://"+addr+"/status", "metrics", "http://"+addr+"/metrics")
	}
	st, accepted, err := openStoreAccepted(dag, opts, log)
	if err != nil {
		return err
	}
	defer st.Close()
	defer live.live.Store(nil) // before the store closes

	p, err := prepare(ctx, dag, st, reg, opts, accepted, log)
	if err != nil && ctx.Err() != nil {
		// Stopped while preparing: nothing was read, and each step prepare
		// records is committed whole, so the next start carries on from it.
		log.Info("stopped while starting; nothing was read", "interrupted", err)
		return nil
	}
	if err != nil {
		return err
	}

	system, name := opts.System, "task"
	if system == nil {
		system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(slog.DiscardHandler)
		}))
	} else {
		// One name per run: a task stopped without waiting may still be
		// winding down when its next run starts in the same system.
		name = fmt.Sprintf("task/%s@%d.%d", opts.Task, opts.Epoch, runs.Add(1))
	}
	p.system = system
	t := newTask(p, log)
	taskPID, err := system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return t }), name)
	if err != nil {
		return fmt.Errorf("start task: %w", err)
	}
	live.live.Store(&liveTask{task: opts.Task, plan: p, st: st, log: log})
	log.Info("task running", "task", opts.Task, "sources", len(p.sources), "pipelines", len(p.pipelines), "sinks", len(p.sinks))

	select {
	case err := <-t.failed:
		_ = system.Root.StopFuture(taskPID).Wait()
		return err
	case <-ctx.Done():
	}
	log.Info("draining: no new reads; waiting for batches in flight")
	system.Root.Send(taskPID, &stopReading{})
	drainErr := drain(system, taskPID, t, opts.DrainTimeout)
	_ = system.Root.StopFuture(taskPID).Wait() // the checkpointer commits once more on Stopping
	select {
	case err := <-t.failed:
		return err
	default:
	}
	if drainErr != nil {
		return drainErr
	}
	log.Info("stopped; checkpoint committed")
	return nil
}

// drain waits until every source has stopped reading (a source finishes
// the transaction it is in) and then until the checkpointer has no batch in
// flight.
func drain(system *actor.ActorSystem, taskPID *actor.PID, t *task, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		res, err := system.Root.RequestFuture(taskPID, &readingDone{}, 5*time.Second).Result()
		if err != nil {
			return fmt.Errorf("drain: task did not answer: %w", err)
		}
		if res.(bool) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("drain: sources still reading after %s; the changes after the checkpoint will be re-sent on restart", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		res, err := system.Root.RequestFuture(t.checkpointer, &checkpointer.Flush{}, 5*time.Second).Result()
		if err != nil {
			return fmt.Errorf("drain: checkpointer did not answer: %w", err)
		}
		f := res.(*checkpointer.Flushed)
		if f.Err != nil {
			return f.Err
		}
		if f.Pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("drain: %d batches still unacknowledged after %s; they will be re-sent from the checkpoint on restart", f.Pending, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func prepare(ctx context.Context, dag *topology.DAG, st store.Store, reg *status.Registry, opts Options, accepted *acceptance, log *slog.Logger) (*plan, error) {
	p := &plan{dag: dag, status: reg}
	windows := map[string]time.Duration{}
	for _, pl := range dag.Pipelines {
		windows[pl.Sink.Name] = max(windows[pl.Sink.Name], pl.Source.RetryWindow)
	}
	// The sinks first: the sources' plans record the partition counts, and
	// a changed count must be refused before a snapshot plan is committed.
	// Added tables' snapshots are planned before anything else can fail:
	// the store recorded the new selection when it opened, so from the
	// next start on they no longer look added.
	// A stop does not interrupt it (a few queries): the next start would
	// not see the tables as added.
	if err := planAdded(context.WithoutCancel(ctx), dag, st, accepted, log); err != nil {
		return nil, err
	}
	partitions := map[string]map[string]int{}
	owner := ownerHeaders(opts)
	for _, s := range dag.Sinks {
		cfg := kafkawriter.Config{Sink: s, Logger: log, OnSkip: skipReporter(s.Name, reg.Sink(s.Name), log)}
		open := func() (sink.Writer, error) { return kafkawriter.New(cfg) }
		if opts.Fenced {
			tx := txwriter.Config{Sink: s, TransactionalID: txwriter.TransactionalID(opts.Task, s.Name), Logger: log, OnSkip: cfg.OnSkip, Headers: owner}
			open = func() (sink.Writer, error) { return txwriter.Open(context.Background(), tx) }
		}
		w, err := kafkawriter.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("sink %q: %w", s.Name, err)
		}
		counts, err := w.EnsureTopics(ctx, dag.Topics(s))
		_ = w.Close()
		if err != nil {
			return nil, fmt.Errorf("sink %q: %w", s.Name, err)
		}
		partitions[s.Name] = counts
		p.sinks = append(p.sinks, &sinkPlan{cfg: s, open: open, window: windows[s.Name], partitions: counts, describe: describeTopics(cfg)})
	}
	if err := checkPartitions(dag, st, partitions); err != nil {
		return nil, err
	}
	for _, s := range dag.Sources {
		sp, err := prepareSource(ctx, s, st, dag.Engine.InflightBytes, reg.Source(s.Name, dag.Engine.InflightBytes),
			routedBy(dag, s.Name, partitions), log)
		if err != nil {
			return nil, err
		}
		p.sources = append(p.sources, sp)
	}
	p.commit = commitFunc(st, p.sources, reg)
	for i, pl := range dag.Pipelines {
		opts := codecs.OptionsFor(pl.Sink, pl.Source)
		for _, sp := range p.sources {
			if sp.cfg == pl.Source {
				opts.SourceVersion = sp.version
			}
		}
		stage, err := pipeline.NewStage(pl, partitions[pl.Sink.Name], opts)
		if err != nil {
			return nil, err
		}
		p.pipelines = append(p.pipelines, &pipelinePlan{
			name: "pipeline/" + strconv.Itoa(i) + "-" + pl.Source.Name + "-" + pl.Sink.Name,
			src:  pl.Source, sink: pl.Sink.Name, stage: stage,
		})
	}
	return p, nil
}

// skipReporter counts records the oversize skip policy drops and logs them,
// at most one line a second per sink (with the count since the last line).
func skipReporter(sink string, st *status.Sink, log *slog.Logger) func(kafkawriter.Skipped) {
	var mu sync.Mutex
	var last time.Time
	var since int
	return func(s kafkawriter.Skipped) {
		st.Skipped(1)
		mu.Lock()
		defer mu.Unlock()
		since++
		if now := time.Now(); now.Sub(last) >= time.Second {
			log.Warn("record larger than max_message_bytes skipped (oversize: skip)", "sink", sink, "table", s.Table,
				"position", s.Position, "topic", s.Topic, "partition", s.Partition, "seq", s.Seq, "size", s.Size, "limit", s.Limit,
				"skipped_since_last_report", since)
			last, since = now, 0
		}
	}
}

// Checkpoints returns, for every source of task that has a resume point,
// that point: its checkpoint, else the start of a started snapshot (which
// records no server). The precheck verifies that the server can resume
// there. A task that never ran has none. The store is opened and closed
// again.
func Checkpoints(dag *topology.DAG, task string) (map[string]store.Checkpoint, error) {
	if _, err := os.Stat(filepath.Join(dag.Engine.CheckpointDir, boltstore.FileName)); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	id, _, err := storeIdentity(dag, task)
	if err != nil {
		return nil, err
	}
	// Read-only: a topology change is decided here as at the start, but
	// recorded (and logged) only when the task starts.
	st, err := boltstore.Open(dag.Engine.CheckpointDir, id, boltstore.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cps := map[string]store.Checkpoint{}
	for _, s := range dag.Sources {
		if cp, ok, err := st.Checkpoint(s.Name); err != nil {
			return nil, err
		} else if ok {
			cps[s.Name] = cp
			continue
		}
		if snap, ok, err := st.Snapshot(s.Name); err != nil {
			return nil, err
		} else if ok && snap.Started {
			cps[s.Name] = store.Checkpoint{Pos: snap.Pos, GTIDSet: snap.GTIDSet, Partitions: snap.Partitions}
		}
	}
	return cps, nil
}
