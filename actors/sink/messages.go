package sink

import "github.com/sluicecdc/sluice/actors/sink/kafkawriter"

// Write asks the sink to write the records of one source batch. The sink
// owns Messages until it reports checkpointer.BatchAcked for it.
type Write struct {
	Source   string
	ID       uint64
	Messages []kafkawriter.Message
	// Bytes is the size of the messages' keys and values; CommitTime the
	// newest source commit time among them (0 for snapshot rows).
	Bytes      int
	CommitTime uint32
}

// settled reports that one submission finished (successfully or not).
type settled struct{ sub *submission }

// reopen ends a backoff: open a new writer and resubmit.
type reopen struct{}
