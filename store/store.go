package store

import (
	"time"

	"github.com/sluicecdc/sluice/change"
)

// Store is the durable state of one task. Implementations are safe for
// concurrent use; reads see the last committed Update.
type Store interface {
	// Identity is the identity recorded in the store (the task that owns it).
	Identity() Identity

	// Checkpoint returns the source's last committed checkpoint; ok is false
	// when the source has none yet (first run).
	Checkpoint(source string) (cp Checkpoint, ok bool, err error)

	// Snapshot returns the source's snapshot-level state; ok is false when no
	// snapshot was ever started for it.
	Snapshot(source string) (s Snapshot, ok bool, err error)

	// Chunks returns the chunk states of one table of a source, in chunk ID
	// order; empty when none was recorded.
	Chunks(source, table string) ([]Chunk, error)

	// Tables lists the tables of a source that have chunk states, sorted.
	Tables(source string) ([]string, error)

	// SchemaAt returns the newest schema entry of a table whose position key
	// is <= posKey (byte-wise); ok is false when there is none.
	SchemaAt(source, table, posKey string) (e SchemaEntry, ok bool, err error)

	// Schemas returns a table's whole schema history, oldest first.
	Schemas(source, table string) ([]SchemaEntry, error)

	// Skips returns the skip decisions recorded for a source, in binlog
	// position order (PosKey); empty when none was recorded.
	Skips(source string) ([]Skip, error)

	// Sources lists the sources that have any state, sorted.
	Sources() ([]string, error)

	// Commit writes every part of u in one transaction (one fsync for a file
	// store): all of it is durable when Commit returns nil, none of it when
	// it returns an error. u is not retained; the caller may Reset and reuse
	// it right away. An empty Update is a no-op.
	Commit(u *Update) error

	// Close releases the store (and its file lock). Committed data is
	// durable; Close does not commit anything. Calls after Close fail with
	// ErrClosed.
	Close() error
}

// Identity names the task that owns a store and the topology its state was
// written under.
type Identity struct {
	// Task is the task's name (the topology's name key, or a cluster task's).
	Task string
	// TopologyHash is a digest of what makes the stored positions meaningful
	// (the sources and their selected objects), as every Sluice version
	// records it. The engine computes it; the store only compares it.
	TopologyHash string
	// Topology is the engine's record of the topology it compares at the
	// next start to tell a change that keeps the stored state valid from one
	// that does not (opaque JSON here). Empty in a record written before
	// Sluice recorded it.
	Topology string
	// Accept, when set, decides whether a store recorded under another
	// topology than this identity's opens: it gets the stored identity and
	// the store's location, and returns nil to open it (the store then
	// records this identity's TopologyHash and Topology) or the refusal,
	// which should wrap ErrTopologyChanged. Nil refuses every change. It is
	// not recorded, and a store may call it more than once while opening.
	Accept func(stored Identity, loc Location) error
}

// Recorded is the identity without Accept: what a store records.
func (id Identity) Recorded() Identity {
	id.Accept = nil
	return id
}

// SameTopology reports whether two identities record the same topology.
func (id Identity) SameTopology(o Identity) bool {
	return id.TopologyHash == o.TopologyHash && id.Topology == o.Topology
}

// Checkpoint is where a source resumes.
type Checkpoint struct {
	// Pos is where the next transaction starts (a transaction boundary).
	Pos change.Position
	// GTIDSet is the executed GTID set at Pos; empty without GTIDs.
	GTIDSet string
	// Seq is the next sequence number the source assigns.
	Seq uint64
	// ServerUUID identifies the server the position belongs to: MySQL's
	// @@server_uuid, or on MariaDB "server_id/gtid_domain_id" (for example
	// "1/0"). See TakenOn and CheckSwitch.
	ServerUUID string
	// CommittedAt is when the checkpoint was committed (set by the caller).
	CommittedAt time.Time
	// Partitions are the partition counts, by sink and topic, the records
	// up to the checkpoint were routed by: a start finding another count
	// refuses to write (actors/sink/partitions). Nil in checkpoints of
	// versions that did not record them.
	Partitions map[string]map[string]int
}

// Snapshot is a source's snapshot-level state.
type Snapshot struct {
	Started   bool
	StartedAt time.Time
	// Pos and GTIDSet are the binlog position at snapshot start: where the
	// incremental phase starts once the snapshot finishes.
	Pos     change.Position
	GTIDSet string
	// Tables are the tables the snapshot covers, as "db.table".
	Tables     []string
	Finished   bool
	FinishedAt time.Time
	// Extra is opaque state of the snapshot algorithm.
	Extra []byte
	// Partitions are the partition counts, by sink and topic, the
	// snapshot's records are routed by (as in Checkpoint).
	Partitions map[string]map[string]int
}

// Chunk is the state of one snapshot chunk of a table.
type Chunk struct {
	// ID numbers the table's chunks; Chunks returns them in ID order.
	ID uint32
	// Low and High are the chunk's key bounds, encoded by the snapshot code
	// (opaque here). Nil means unbounded.
	Low, High []byte
	Done      bool
	// Rows read from the chunk (when Done: the rows it held).
	Rows uint64
	// Pos is the binlog position the chunk's rows are consistent with (the
	// high watermark of the read), when the algorithm needs it.
	Pos change.Position
	// Extra is opaque state of the snapshot algorithm.
	Extra []byte
}

// SchemaEntry is one version of a table's definition.
type SchemaEntry struct {
	// PosKey is the position from which Def holds (see PosKey and GTIDKey).
	PosKey string
	// Def is the encoded definition (opaque here).
	Def []byte
}
