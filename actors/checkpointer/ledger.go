package checkpointer

import "github.com/sluicecdc/sluice/change"

// Ledger tracks one source's in-flight batches. Not safe for concurrent use.
type Ledger struct {
	queue   []*entry // in send order; the front is the oldest unreleased batch
	byID    map[uint64]*entry
	durable *change.Mark
	// inflight is the sum of the bytes of unreleased batches.
	inflight int64
	// chunks and finished collect what released batches completed, until
	// the next commit takes them.
	chunks   []ChunkDone
	finished bool
}

type entry struct {
	id        uint64
	mark      *change.Mark
	bytes     int64
	remaining int
	chunk     *ChunkDone
	finished  bool
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{byID: make(map[uint64]*entry)} }

// Sent records a batch: its id, resume mark (may be nil), size, the number
// of acknowledgements it needs (0 when no pipeline received it) and the
// snapshot progress it completes. It returns the bytes released by this call.
func (l *Ledger) Sent(m *BatchSent) int64 {
	e := &entry{id: m.ID, mark: m.Mark, bytes: m.Bytes, remaining: m.Acks, chunk: m.Chunk, finished: m.SnapshotFinished}
	l.queue = append(l.queue, e)
	l.byID[m.ID] = e
	l.inflight += m.Bytes
	return l.release()
}

// Grew adds bytes to an unreleased batch (its encoded records) and reports
// whether the batch was known.
func (l *Ledger) Grew(id uint64, bytes int64) bool {
	e, ok := l.byID[id]
	if !ok {
		return false
	}
	e.bytes += bytes
	l.inflight += bytes
	return true
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
		if e.chunk != nil {
			l.chunks = append(l.chunks, *e.chunk)
		}
		l.finished = l.finished || e.finished
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

// TakeSnapshotProgress returns the chunks completed and whether the snapshot
// finished since the last call.
func (l *Ledger) TakeSnapshotProgress() (chunks []ChunkDone, finished bool) {
	chunks, finished = l.chunks, l.finished
	l.chunks, l.finished = nil, false
	return chunks, finished
}

// Durable is the newest mark every sink has acknowledged through, or nil.
func (l *Ledger) Durable() *change.Mark { return l.durable }

// Inflight is the bytes of batches sent but not yet released.
func (l *Ledger) Inflight() int64 { return l.inflight }

// Pending is the number of unreleased batches.
func (l *Ledger) Pending() int { return len(l.queue) }
