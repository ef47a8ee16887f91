package sink

import "github.com/sluicecdc/sluice/actors/sink/kafkarecord"

// Write asks the sink to write the records of one source batch. The sink
// owns Messages until it reports checkpointer.BatchAcked for it.
type Write struct {
	Source   string
	Epoch    uint64
	ID       uint64
	Messages []kafkarecord.Message
	// Bytes is the size of the messages' keys and values; CommitTime the
	// newest source commit time among them (0 for snapshot rows).
	Bytes      int
	CommitTime uint32
}

// DropSource tells the sink that the source's recovery unit restarted at
// Epoch: Writes of older epochs that are still queued are dropped (they will
// be read and written again), and none of them is acknowledged. A Write
// already handed to Kafka cannot be recalled; it may land twice, which
// at-least-once allows.
type DropSource struct {
	Source string
	Epoch  uint64
}

// settled reports that one submission finished (successfully or not).
type settled struct{ sub *submission }

// opened reports that an Open returned.
type opened struct{ o *opening }

// committed reports that the running Commit returned.
type committed struct{}

// reopen ends a backoff: open a new writer and resubmit.
type reopen struct{}

// partitionsChanged reports that a topic's partition count is no longer the
// one the records are routed by (a terminal error naming it).
type partitionsChanged struct{ err error }
