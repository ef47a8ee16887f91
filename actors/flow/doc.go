// Package flow is the protocol between a source's readers (the binlog reader,
// the snapshot shards) and the checkpointer: where to resume, how many bytes
// may be in flight, and when to stop reading.
//
// One credit protocol serves both phases. A reader starts by asking the
// checkpointer for its resume point (checkpointer.ResumeFrom); the answer,
// a Start, carries the resume point and the reader's grant in bytes. Every
// batch the reader announces takes its size from the credit; the checkpointer
// sends Charged when a pipeline's encoded records of a batch add to what is
// held in memory, and Released when batches are acknowledged by every
// pipeline. A reader with no credit stops reading.
//
// Every message carries the epoch of the source's recovery unit: a reader
// ignores credit of an older epoch, which belongs to batches dropped when the
// unit restarted.
//
// Messages here are plain values (no pointers into event buffers), so that
// they may later cross nodes.
package flow
