package source

import "github.com/sluicecdc/sluice/change"

// Process hands a batch to a pipeline. ID identifies it to the checkpointer.
type Process struct {
	Source string
	ID     uint64
	Batch  *change.Batch
}

// StopReading tells the source to stop pulling from the binlog (graceful
// shutdown: in-flight batches drain, nothing new is read).
type StopReading struct{}

// Recovered tells the parent that a source that had failed read again
// successfully, so its retry window can start afresh.
type Recovered struct{ Source string }

// readNext is the actor's own loop message.
type readNext struct{}
