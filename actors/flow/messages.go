package flow

import "github.com/sluicecdc/sluice/change"

// Start answers a reader's request for its resume point: read from Resume,
// with Grant bytes of credit.
type Start struct {
	Source string
	Epoch  uint64
	Resume Resume
	// Grant is the reader's whole credit: nothing of this source is in
	// flight when a reader starts.
	Grant int64
	// ChunksDone are the snapshot chunks made durable by this process since
	// it planned the snapshot (the plan lists those done before).
	ChunksDone []ChunkID
	// SnapshotFinished is set when the source's snapshot is durable.
	SnapshotFinished bool
}

// Resume is where a source's binlog reading resumes: the last durable mark.
type Resume struct {
	Pos     change.Position
	GTIDSet string
	// NextSeq is the sequence number of the first change read from Pos.
	NextSeq uint64
}

// ChunkID names one snapshot chunk of a source.
type ChunkID struct {
	Table string
	ID    uint32
}

// Released returns credit: batches of that many bytes were acknowledged by
// every pipeline.
type Released struct {
	Epoch uint64
	Bytes int64
}

// Charged takes credit: a pipeline's encoded records of a batch are held in
// memory until Kafka acknowledges them.
type Charged struct {
	Epoch uint64
	Bytes int64
}

// StopReading tells a reader to stop for a graceful shutdown: the binlog
// reader finishes the transaction in progress, a snapshot stops at once
// (a chunk cut short is read again on the next start).
type StopReading struct{}

// SnapshotCommitted tells the snapshot coordinator that the source's finished
// snapshot is durable: the binlog phase may start.
type SnapshotCommitted struct{ Source string }
