package status

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Phase of a source.
const (
	PhaseSnapshot = "snapshot"
	PhaseBinlog   = "incremental"
)

// Registry is the live state of one task.
type Registry struct {
	started time.Time
	mu      sync.Mutex
	sources map[string]*Source
	sinks   map[string]*Sink
	lastErr string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{started: time.Now(), sources: map[string]*Source{}, sinks: map[string]*Sink{}}
}

// Source returns (creating) the state of a source.
func (r *Registry) Source(name string, budget int64) *Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sources[name]
	if s == nil {
		s = &Source{name: name, budget: budget, tables: map[string]*Table{}}
		r.sources[name] = s
	}
	return s
}

// Sink returns (creating) the state of a sink.
func (r *Registry) Sink(name string) *Sink {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sinks[name]
	if s == nil {
		s = &Sink{name: name}
		r.sinks[name] = s
	}
	return s
}

// SetError records the latest error (shown until the next one).
func (r *Registry) SetError(err error) {
	r.mu.Lock()
	r.lastErr = err.Error()
	r.mu.Unlock()
}

// Source is one source's live state.
type Source struct {
	name     string
	budget   int64
	mu       sync.Mutex
	phase    string
	position string
	gtidSet  string
	tables   map[string]*Table
	skips    []SkipView

	commitTime atomic.Int64 // Unix seconds of the last transaction read
	caughtUp   atomic.Int64 // Unix nanos when the reader last saw the head of the log
	rows       atomic.Uint64
	inflight   atomic.Int64
	restarts   atomic.Uint64
	truncates  atomic.Uint64
	checkpoint atomic.Pointer[string]
}

// SetPhase sets the source's phase.
func (s *Source) SetPhase(p string) {
	s.mu.Lock()
	s.phase = p
	s.mu.Unlock()
}

// Read records a batch read from the source: its rows, its bytes now in
// flight, and the position and commit time of its last transaction.
func (s *Source) Read(rows int, bytes int64, pos, gtidSet string, commitTime uint32) {
	s.rows.Add(uint64(rows))
	s.inflight.Add(bytes)
	if pos != "" {
		s.mu.Lock()
		s.position, s.gtidSet = pos, gtidSet
		s.mu.Unlock()
	}
	if commitTime > 0 {
		s.commitTime.Store(int64(commitTime))
	}
}

// Released records bytes acknowledged by every sink.
func (s *Source) Released(bytes int64) { s.inflight.Add(-bytes) }

// Charged records encoded bytes held until Kafka acknowledges them.
func (s *Source) Charged(bytes int64) { s.inflight.Add(bytes) }

// Dropped records that the source's in-flight batches were dropped (its
// recovery unit restarted).
func (s *Source) Dropped() { s.inflight.Store(0) }

// CaughtUp records that the reader has read everything the server wrote.
func (s *Source) CaughtUp(at time.Time) { s.caughtUp.Store(at.UnixNano()) }

// Restarted counts a restart of the source's reader.
func (s *Source) Restarted() { s.restarts.Add(1) }

// TruncatesIgnored counts TRUNCATE TABLE statements of selected tables that
// the source dropped (ignore_ddl): the topics keep rows the tables no
// longer have.
func (s *Source) TruncatesIgnored(n uint64) { s.truncates.Add(n) }

// SetSkips records the skip decisions in the source's checkpoint store
// (sluice skip), in binlog order.
func (s *Source) SetSkips(v []SkipView) {
	s.mu.Lock()
	s.skips = slices.Clone(v)
	s.mu.Unlock()
}

// Checkpointed records the source's committed resume position.
func (s *Source) Checkpointed(pos string) { s.checkpoint.Store(&pos) }

// Table returns (creating) a table's snapshot progress.
func (s *Source) Table(name string, chunks int, estimatedRows uint64) *Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tables[name]
	if t == nil {
		t = &Table{name: name, chunks: chunks, estimated: estimatedRows, started: time.Now()}
		s.tables[name] = t
	}
	return t
}

// NewTable is Table for a table read again: its line starts over.
func (s *Source) NewTable(name string, chunks int, estimatedRows uint64) *Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &Table{name: name, chunks: chunks, estimated: estimatedRows, started: time.Now()}
	s.tables[name] = t
	return t
}

// Table is one table's snapshot progress.
type Table struct {
	name       string
	chunks     int
	estimated  uint64
	started    time.Time
	rows       atomic.Uint64
	chunksDone atomic.Int64
}

// Rows counts snapshot rows read.
func (t *Table) Rows(n int) { t.rows.Add(uint64(n)) }

// ChunkDone counts a finished chunk.
func (t *Table) ChunkDone() { t.chunksDone.Add(1) }

// Sink is one sink's live state.
type Sink struct {
	name    string
	records atomic.Uint64
	bytes   atomic.Uint64
	skipped atomic.Uint64
	retries atomic.Uint64
	// freshness of records: commit time to Kafka acknowledgement.
	fresh histogram
}

// Written records a batch acknowledged by Kafka: its records and bytes, and
// the age of its newest row (commit time to now) for freshness.
func (s *Sink) Written(records int, bytes int, commitTime uint32, now time.Time) {
	s.records.Add(uint64(records))
	s.bytes.Add(uint64(bytes))
	if commitTime > 0 {
		s.fresh.observe(now.Sub(time.Unix(int64(commitTime), 0)).Seconds())
	}
}

// Skipped counts records dropped by the oversize skip policy.
func (s *Sink) Skipped(n int) { s.skipped.Add(uint64(n)) }

// Retried counts a retried Kafka write.
func (s *Sink) Retried() { s.retries.Add(1) }

// histogram is a fixed-bucket Prometheus histogram (seconds).
type histogram struct {
	mu     sync.Mutex
	counts [len(freshBuckets) + 1]uint64
	sum    float64
	n      uint64
}

var freshBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(freshBuckets[:], v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}
