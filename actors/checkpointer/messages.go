package checkpointer

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

// ResumeFrom asks where a source's reader starts, and opens the source's
// epoch: batches of older epochs are dropped from the ledger and their
// acknowledgements ignored. The answer, a *flow.Start, goes to From.
type ResumeFrom struct {
	Source string
	Epoch  uint64
	From   *actor.PID
}

// BatchSent announces a batch before any pipeline sees it. From is the
// reader that sent it: it receives the batch's flow.Charged and
// flow.Released. ID is unique within the source's epoch.
type BatchSent struct {
	Source string
	Epoch  uint64
	ID     uint64
	Mark   *change.Mark
	Bytes  int64
	// Acks is the number of BatchAcked messages the batch needs: one per
	// pipeline it was sent to, 0 for a mark-only batch.
	Acks int
	From *actor.PID
	// Chunk, when set, is a snapshot chunk completed by this batch and every
	// batch before it from the same sender: it becomes durable with the
	// batch.
	Chunk *ChunkDone
	// SnapshotFinished marks the end of the source's snapshot: once released,
	// it is committed at once and From receives flow.SnapshotCommitted.
	SnapshotFinished bool
	// Schema are the schema history entries recorded while reading the
	// batch: committed with its mark once it is released, so that a
	// checkpoint never points past a definition the store lacks.
	Schema []store.TableSchema
}

// ChunkDone is a snapshot chunk whose rows were all sent.
type ChunkDone struct {
	Source, Table string
	ID            uint32
	Low, High     []byte
	Rows          uint64
	Pos           change.Position
}

// BatchAcked reports that one pipeline has every record of a batch
// acknowledged by Kafka (or had none to write).
type BatchAcked struct {
	Source string
	Epoch  uint64
	ID     uint64
}

// BatchEncoded reports the bytes a pipeline's encoded records of a batch
// take: they are in flight too until Kafka acknowledges them, so they count
// against the source's budget. It precedes the batch's BatchAcked.
type BatchEncoded struct {
	Source string
	Epoch  uint64
	ID     uint64
	Bytes  int64
}

// Flush asks for an immediate commit of the durable marks. The reply is a
// *Flushed.
type Flush struct{}

// Flushed answers Flush.
type Flushed struct {
	// Pending is the number of batches still waiting for acknowledgements.
	Pending int
	Err     error
}

// tick triggers a periodic commit.
type tick struct{}

// Reset drops a source's in-flight batches and opens Epoch: its recovery
// unit stopped the readers and pipelines that held them. Acknowledgements of
// older epochs are ignored from now on.
type Reset struct {
	Source string
	Epoch  uint64
}
