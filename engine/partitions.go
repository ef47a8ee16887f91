package engine

import (
	"context"

	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/sink/partitions"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// checkPartitions refuses to start when a topic's partition count is not
// the one a source's checkpoint (or, before its first, its snapshot)
// recorded: the records written next would hash onto other partitions than
// the ones before them. counts maps a sink to its topics' counts now.
func checkPartitions(dag *topology.DAG, st store.Store, counts map[string]map[string]int) error {
	for _, s := range dag.Sources {
		recorded, err := recordedPartitions(st, s.Name)
		if err != nil {
			return err
		}
		for sink, known := range recorded {
			if err := partitions.Check(sink, known, counts[sink]); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordedPartitions is what source's checkpoint, else its snapshot,
// recorded of the partition counts its records were routed by.
func recordedPartitions(st store.Store, source string) (map[string]map[string]int, error) {
	if cp, ok, err := st.Checkpoint(source); err != nil || ok {
		return cp.Partitions, err
	}
	snap, _, err := st.Snapshot(source)
	return snap.Partitions, err
}

// routedBy is the part of counts a source's records are routed by: the
// sinks its pipelines feed. Its checkpoints record it.
func routedBy(dag *topology.DAG, source string, counts map[string]map[string]int) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, pl := range dag.Pipelines {
		if pl.Source.Name == source {
			out[pl.Sink.Name] = counts[pl.Sink.Name]
		}
	}
	return out
}

// describeTopics reads the current partition counts of a sink's topics,
// for the running sink's watch (sink.Config.Describe).
func describeTopics(cfg kafkawriter.Config) func(context.Context, []string) (map[string]int, error) {
	return func(ctx context.Context, topics []string) (map[string]int, error) {
		w, err := kafkawriter.New(cfg)
		if err != nil {
			return nil, err
		}
		defer w.Close()
		return w.PartitionCounts(ctx, topics)
	}
}
