package source

// SnapshotDone tells the unit that its snapshot is complete and durable: the
// binlog phase starts.
type SnapshotDone struct{ Source string }

// ReadingStopped tells the unit that its reader stopped after StopReading;
// the unit reports the same to its parent once it has no reader left.
type ReadingStopped struct{ Source string }

// Recovered tells the unit that a batch its reader of Epoch read was
// acknowledged by every pipeline: reading, processing and writing work
// again. A run of failures is over; the next failure starts a new retry
// window and the first backoff delay.
type Recovered struct {
	Source string
	Epoch  uint64
}

// Restart asks the unit to restart its children from the last durable mark
// at once: a sink it feeds lost its queue.
type Restart struct{ Reason error }

// respawn ends a backoff: spawn the children of the next epoch.
type respawn struct{ epoch uint64 }

// childFailed carries a child's failure from HandleFailure into Receive.
type childFailed struct {
	child  string // PID id
	reason any
}
