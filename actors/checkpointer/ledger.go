package checkpointer

import (
	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

// Ledger tracks one source's in-flight batches. Not safe for concurrent use.
type Ledger struct {
	// Epoch is the source's recovery epoch the in-flight batches belong to.
	Epoch   uint64
	queue   []*entry // in send order; the front is the oldest unreleased batch
	byID    map[uint64]*entry
	durable *change.Mark
	// inflight is the sum of the bytes of unreleased batches.
	inflight int64
	// chunks and finished collect what released batches completed, until
	// the next commit takes them.
	chunks   []ChunkDone
	finished bool
	schemas  []store.TableSchema
	// done lists every chunk released since the ledger was made (a
	// restarted snapshot skips them); finishedEver stays set once the
	// snapshot's end is released.
	done         []ChunkDone
	finishedEver bool
	// finishedBy is the sender of the released end of the snapshot.
	finishedBy *actor.PID
	// released lists the credit to return, until TakeReleased.
	released []Release
}

// Release is credit to return: bytes of batches From sent.
type Release struct {
	From  *actor.PID
	Bytes int64
}

type entry struct {
	id        uint64
	from      *actor.PID
	mark      *change.Mark
	bytes     int64
	remaining int
	chunk     *ChunkDone
	finished  bool
	schema    []store.TableSchema
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{byID: make(map[uint64]*entry)} }

// Sent records a batch: its id, resume mark (may be nil), size, the number
// of acknowledgements it needs (0 when no pipeline received it) and the
// snapshot progress it completes. It returns the bytes released by this call.
func (l *Ledger) Sent(m *BatchSent) int64 {
	e := &entry{id: m.ID, from: m.From, schema: m.Schema, mark: m.Mark, bytes: m.Bytes, remaining: m.Acks, chunk: m.Chunk, finished: m.SnapshotFinished}
	l.queue = append(l.queue, e)
	l.byID[m.ID] = e
	l.inflight += m.Bytes
	return l.release()
}

// Grew adds bytes to an unreleased batch (its encoded records) and returns
// the batch's sender, nil when the batch is unknown.
func (l *Ledger) Grew(id uint64, bytes int64) *actor.PID {
	e, ok := l.byID[id]
	if !ok {
		return nil
	}
	e.bytes += bytes
	l.inflight += bytes
	return e.from
}

// Reset drops every in-flight batch and starts epoch: the source's recovery
// unit restarted and reads again from the durable mark, so acknowledgements
// of the dropped batches will never come (or no longer matter).
func (l *Ledger) Reset(epoch uint64) {
	clear(l.queue)
	l.queue = l.queue[:0]
	clear(l.byID)
	l.inflight = 0
	l.released = l.released[:0]
	l.Epoch = epoch
}

// Acked records one acknowledgement of batch id, in any order, and returns
// the bytes released. An unknown id (a batch from before a restart) is ignored.
func (l *Ledger) Acked(id uint64) int64 {
	e, ok := l.byID[id]
	if !ok {
		return 0
	}
	e.remaining--
	return l.release()
}

// release pops the acknowledged prefix, advancing the durable mark.
func (l *Ledger) release() int64 {
	var freed int64
	n := 0
	for _, e := range l.queue {
		if e.remaining > 0 {
			break
		}
		freed += e.bytes
		if e.mark != nil {
			l.durable = e.mark
		}
		l.schemas = append(l.schemas, e.schema...)
		if e.chunk != nil {
			l.chunks = append(l.chunks, *e.chunk)
			l.done = append(l.done, *e.chunk)
		}
		l.finished = l.finished || e.finished
		if e.finished {
			l.finishedEver, l.finishedBy = true, e.from
		}
		if e.from != nil && e.bytes > 0 {
			l.released = append(l.released, Release{From: e.from, Bytes: e.bytes})
		}
		delete(l.byID, e.id)
		n++
	}
	if n > 0 {
		clear(l.queue[:n])
		l.queue = l.queue[n:]
		l.inflight -= freed
	}
	return freed
}

// TakeReleased returns the credit released since the last call, per batch.
// The slice is reused: it is valid until the next call.
func (l *Ledger) TakeReleased() []Release {
	r := l.released
	l.released = l.released[:0]
	return r
}

// TakeSchemas returns the schema history entries of the batches released
// since the last call.
func (l *Ledger) TakeSchemas() []store.TableSchema {
	s := l.schemas
	l.schemas = nil
	return s
}

// TakeSnapshotProgress returns the chunks completed and whether the snapshot
// finished since the last call.
func (l *Ledger) TakeSnapshotProgress() (chunks []ChunkDone, finished bool) {
	chunks, finished = l.chunks, l.finished
	l.chunks, l.finished = nil, false
	return chunks, finished
}

// ChunksDone lists every snapshot chunk released since the ledger was made,
// and whether the snapshot's end was released.
func (l *Ledger) ChunksDone() ([]ChunkDone, bool) { return l.done, l.finishedEver }

// Durable is the newest mark every sink has acknowledged through, or nil.
func (l *Ledger) Durable() *change.Mark { return l.durable }

// Inflight is the bytes of batches sent but not yet released.
func (l *Ledger) Inflight() int64 { return l.inflight }

// Pending is the number of unreleased batches.
func (l *Ledger) Pending() int { return len(l.queue) }
