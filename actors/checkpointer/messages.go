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
}

// BatchAcked reports that one pipeline has every record of a batch
// acknowledged by Kafka (or had none to write).
type BatchAcked struct {
	Source string
	ID     uint64
}

// BytesReleased returns credit to a source: its batches of that many bytes
// are acknowledged by every pipeline.
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
