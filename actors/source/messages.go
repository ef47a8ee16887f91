package source

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
)

// Process hands a batch to a pipeline. ID identifies it to the checkpointer.
type Process struct {
	Source string
	ID     uint64
	Batch  *change.Batch
	// Snapshot marks batches of the snapshot phase: their DDL (schema sync)
	// is written even where the incremental phase ignores DDL.
	Snapshot bool
}

// StopReading tells the source to stop pulling from the binlog (graceful
// shutdown: in-flight batches drain, nothing new is read).
type StopReading struct{}

// ReadingStopped tells the parent that a source stopped reading after
// StopReading: everything it will ever send for this run has been sent.
type ReadingStopped struct{ Source string }

// Recovered tells the parent that a source that had failed read again
// successfully, so its retry window can start afresh.
type Recovered struct{ Source string }

// readNext is the actor's own loop message.
type readNext struct{}

// SnapshotDone tells the parent that the source's snapshot is complete and
// durable: the binlog phase may start.
type SnapshotDone struct{ Source string }

// shardReady tells the coordinator a shard can take a chunk.
type shardReady struct{ shard *actor.PID }

// readChunk assigns a chunk to a shard.
type readChunk struct{ work *chunkWork }

// chunkRows carries rows a shard read (Seq not yet assigned).
type chunkRows struct {
	work  *chunkWork
	batch *change.Batch
}

// chunkRead reports that a shard read its whole chunk.
type chunkRead struct {
	shard *actor.PID
	rows  uint64
	pos   change.Position
}
