package precheck

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// DefaultTimeout bounds the checks of one source or one sink.
const DefaultTimeout = 30 * time.Second

// Options tune Run. The zero value checks a task that has never run.
type Options struct {
	// Checkpoints maps a source name to where it resumes: its last
	// checkpoint, or the start of its unfinished snapshot (which records no
	// server). Run checks that the server can resume there: on the server it
	// was taken on, that its binlog file is still there; on another (a
	// failover), that the server has its GTID set and the binlogs after it.
	// Sources without an entry are checked against their configured start
	// file, if any.
	Checkpoints map[string]store.Checkpoint
	// Partitions maps a sink name to the partition count of each topic
	// the task's records were routed by; Run fails a topic whose count
	// changed since. Nil takes them from the Checkpoints (which record them).
	Partitions map[string]map[string]int
	// SnapshotRowsPerSecond is the snapshot speed assumed by the binlog
	// retention check (default 100 000 rows/s; a source's
	// max_rows_per_second caps it).
	SnapshotRowsPerSecond int
	// MinFreeBytes is the free space under the checkpoint directory below
	// which Run warns (default 1 GiB).
	MinFreeBytes uint64
	// Timeout bounds the checks of each source and each sink (default 30 s).
	Timeout time.Duration
	// Logger receives one debug line per finished node; nil discards.
	Logger *slog.Logger
	// Cluster, when set, checks the task as a cluster node runs it: each
	// sink writes through Kafka transactions, so the sink's principal must
	// be allowed its transactional ids (sink.NAME.transactional_id); the
	// state is in etcd, so the checkpoint directory is not checked.
	Cluster *Cluster
}

// Run checks every source, sink and the engine settings of dag,
// concurrently, and returns every item in a stable order: sources, sinks,
// then the engine, each in topology order. It never returns an error: a
// check that cannot run is itself a failed (or warning) item. Cancelling
// ctx makes the remaining checks fail fast.
func Run(ctx context.Context, dag *topology.DAG, opts Options) *Report {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MinFreeBytes == 0 {
		opts.MinFreeBytes = DefaultMinFreeBytes
	}
	if opts.SnapshotRowsPerSecond <= 0 {
		opts.SnapshotRowsPerSecond = DefaultSnapshotRowsPerSecond
	}
	if opts.Partitions == nil {
		opts.Partitions = recordedPartitions(opts.Checkpoints)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	parts := make([][]Item, len(dag.Sources)+len(dag.Sinks))
	var wg sync.WaitGroup
	for i, src := range dag.Sources {
		wg.Go(func() {
			start := time.Now()
			parts[i] = checkSource(ctx, src, &opts)
			log.Debug("precheck: source checked", "source", src.Name, "items", len(parts[i]), "took", time.Since(start))
		})
	}
	for i, s := range dag.Sinks {
		wg.Go(func() {
			start := time.Now()
			parts[len(dag.Sources)+i] = checkSink(ctx, dag, s, opts.Partitions[s.Name], &opts)
			if opts.Cluster != nil {
				parts[len(dag.Sources)+i] = append(parts[len(dag.Sources)+i], checkTransactional(ctx, s, opts.Cluster, opts.Timeout))
			}
			log.Debug("precheck: sink checked", "sink", s.Name, "items", len(parts[len(dag.Sources)+i]), "took", time.Since(start))
		})
	}
	var eng []Item
	if opts.Cluster == nil {
		eng = checkCheckpointDir(dag.Engine.CheckpointDir, opts.MinFreeBytes)
	}
	wg.Wait()
	r := &Report{}
	for _, p := range parts {
		r.Items = append(r.Items, p...)
	}
	r.Items = append(r.Items, eng...)
	crossCheckCompaction(dag, r.Items)
	return r
}
