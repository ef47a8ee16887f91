package pipeline

import "github.com/sluicecdc/sluice/change"

// Process hands a batch to a pipeline. ID identifies it to the checkpointer
// within the source's Epoch. The pipeline answers with a *sink.Write to its
// sink or, when nothing is left to write, a *checkpointer.BatchAcked.
type Process struct {
	Source string
	Epoch  uint64
	ID     uint64
	Batch  *change.Batch
	// Snapshot marks batches of the snapshot phase: their DDL (schema sync)
	// is written even where the incremental phase ignores DDL.
	Snapshot bool
}
