package sink

import "github.com/sluicecdc/sluice/actors/kafkawriter"

// Write asks the sink to write the records of one source batch. The sink
// owns Messages until it reports checkpointer.BatchAcked for it.
type Write struct {
	Source   string
	ID       uint64
	Messages []kafkawriter.Message
}

// settled reports that one submission finished (successfully or not).
type settled struct{ sub *submission }

// reopen ends a backoff: open a new writer and resubmit.
type reopen struct{}
