package checkpointer

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
)

// BatchSent announces a batch before any pipeline sees it. From is the
// source actor, which receives BytesReleased when the batch is released.
type BatchSent struct {
	Source string
	ID     uint64
	Mark   *change.Mark
	Bytes  int64
	// Acks is the number of BatchAcked messages the batch needs: one per
	// pipeline it was sent to, 0 for a mark-only batch.
	Acks int
	From *actor.PID
	// Chunk, when set, is a snapshot chunk completed by this batch and every
	// batch before it: it becomes durable with the batch.
	Chunk *ChunkDone
	// SnapshotFinished marks the end of the source's snapshot: once released,
	// it is committed at once and From receives SnapshotCommitted.
	SnapshotFinished bool
}

// ChunkDone is a snapshot chunk whose rows were all sent.
type ChunkDone struct {
	Source, Table string
	ID            uint32
	Low, High     []byte
	Rows          uint64
	Pos           change.Position
}

// SnapshotCommitted tells a source that its finished snapshot is durable.
type SnapshotCommitted struct{ Source string }

// BatchAcked reports that one pipeline has every record of a batch
// acknowledged by Kafka (or had none to write).
type BatchAcked struct {
	Source string
	ID     uint64
}

// BatchEncoded reports the bytes a pipeline's encoded records of a batch
// take: they are in flight too until Kafka acknowledges them, so they count
// against the source's budget. It precedes the batch's BatchAcked.
type BatchEncoded struct {
	Source string
	ID     uint64
	Bytes  int64
}

// BytesReleased returns credit to a source: its batches of that many bytes
// are acknowledged by every pipeline. A negative value takes credit: a
// pipeline's encoded records of a batch (BatchEncoded).
type BytesReleased struct{ Bytes int64 }

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
