package change

import "strconv"

// Op is the kind of a change.
type Op uint8

const (
	// OpInsert is a row inserted in the binlog.
	OpInsert Op = iota + 1
	// OpUpdate is a row updated in the binlog: Before and After are complete rows.
	OpUpdate
	// OpDelete is a row deleted in the binlog: Before holds it.
	OpDelete
	// OpSnapshot is a row read by the initial snapshot: After holds it.
	OpSnapshot
	// OpDDL is a schema change: SQL holds the statement.
	OpDDL
)

var opNames = [...]string{"", "insert", "update", "delete", "snapshot", "ddl"}

func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Position locates a change in a source's binlog.
type Position struct {
	// File is the binlog file name, e.g. "mysql-bin.000003".
	File string
	// Pos is the end offset of the event that carried the change. For the
	// last change of a transaction it is the end of the commit (XID) event,
	// which is where a resumed stream starts.
	Pos uint32
	// GTID of the transaction: "0-1-42" on MariaDB, "uuid:42" on MySQL.
	// Empty when the server does not use GTIDs.
	GTID string
}

// String renders "file:pos", the form used in record headers and errors.
func (p Position) String() string {
	return p.File + ":" + strconv.FormatUint(uint64(p.Pos), 10)
}

// IsZero reports whether no position is set.
func (p Position) IsZero() bool { return p.File == "" && p.Pos == 0 && p.GTID == "" }

// Change is one row change or one DDL statement of one source.
type Change struct {
	// Seq is the per-source sequence number, strictly increasing in source
	// order. Checkpoints are expressed in it.
	Seq uint64
	Op  Op
	// SchemaSync marks a DDL change that is the snapshot's schema sync (a
	// table's CREATE statement as the snapshot read it), not a statement
	// from the binlog.
	SchemaSync bool
	// Half marks the two halves of a key-changing update (SplitKeyChange);
	// NotSplit for every other change.
	Half Half
	// EventRow is the row's index within its binlog rows event (0-based; an
	// UPDATE's before and after images are one row), Debezium's source.row.
	// 0 for DDL and snapshot rows.
	EventRow uint32
	// Table is the definition the change was written under. For DDL it is the
	// table the statement touches, or nil for a database-level statement.
	Table *Table
	// Before and After are aligned with Table.Columns. Before is set for
	// updates and deletes, After for inserts, updates and snapshot rows.
	// The halves of a split key change keep both (see SplitKeyChange): read
	// a row change's own row with KeyRow.
	Before, After []any
	// SQL is the DDL statement; Schema is the default database it ran in.
	SQL    string
	Schema string
	Pos    Position
	// Row is the index of this change within its transaction (0-based), so
	// that (Pos.GTID or Pos, Row) identifies a change for de-duplication.
	Row uint32
	// GTIDSet is the GTID set executed once the change's transaction
	// commits, the transaction included ("0-1-42,1-2-7" on MariaDB,
	// "uuid:1-42" on MySQL), as Canal's FlatMessage gtid carries it. One
	// string shared by every change of the transaction; empty when the
	// server does not use GTIDs, the set is not known yet, or for snapshot
	// rows and schema-sync DDL.
	GTIDSet string
	// CommitTime is the source's commit time in Unix seconds (the binlog
	// event header timestamp); for snapshot rows, when their chunk's read
	// began, and for schema-sync DDL, when the snapshot was planned (its
	// CREATE statements read).
	CommitTime uint32
	// Topic is the output topic, set by the transform stage from the
	// topology's table → topic mapping.
	Topic string
	// Partition is the output partition, set by the router.
	Partition int32
	// ServerID is the server_id of the server the change was first written
	// on (the binlog event header's, which a replica keeps from its
	// primary); 0 for snapshot rows and schema-sync DDL.
	ServerID uint32
	// Size is an estimate of the change's decoded size in bytes; flow control
	// counts it against the in-flight budget.
	Size int
}

// FromSnapshot reports whether the snapshot produced c: a snapshot row or
// the schema sync's DDL.
func (c *Change) FromSnapshot() bool { return c.Op == OpSnapshot || c.SchemaSync }

// KeyChanged reports whether c is an update that changes its row's key (the
// columns Table.KeyColumns names, compared value by value). Formats that key
// records by the row's key, as Debezium's does, write such an update as the
// two halves SplitKeyChange returns.
func (c *Change) KeyChanged() bool {
	if c.Op != OpUpdate || c.Table == nil {
		return false
	}
	for _, i := range c.Table.KeyColumns() {
		if i >= len(c.Before) || i >= len(c.After) {
			return false // a malformed row: the encoder reports it
		}
		if !Equal(c.Before[i], c.After[i]) {
			return true
		}
	}
	return false
}

// Half is which half of a split key change a change is.
type Half uint8

const (
	// NotSplit is every change that is not a half of a split key change.
	NotSplit Half = iota
	// KeyChangeDelete is the delete of the old row. Its After still holds
	// the new row, so that the record can name the new key (Debezium's
	// __debezium.newkey header).
	KeyChangeDelete
	// KeyChangeInsert is the insert of the new row. Its Before still holds
	// the old row (for __debezium.oldkey).
	KeyChangeInsert
)

// SplitKeyChange returns the delete of c's old row and the insert of its new
// row that a key-changing update is written as, in that order, marked by
// Half. Both keep c's sequence number, position, row index and commit time:
// they are one change of the source. Each keeps the other image too (the
// delete's After, the insert's Before), for the other key: a delete's own row
// is its Before and an insert's its After, as KeyRow returns.
func (c *Change) SplitKeyChange() (del, ins Change) {
	del, ins = *c, *c
	del.Op, del.Half = OpDelete, KeyChangeDelete
	ins.Op, ins.Half = OpInsert, KeyChangeInsert
	return del, ins
}

// KeyRow is the row a row change is keyed and partitioned by: a delete's
// Before, else After (Before when After is nil).
func (c *Change) KeyRow() []any {
	if c.Op == OpDelete || c.After == nil {
		return c.Before
	}
	return c.After
}

// OtherRow is the other image of a split key change's half (the new row of
// the delete, the old row of the insert); nil for any other change.
func (c *Change) OtherRow() []any {
	switch c.Half {
	case KeyChangeDelete:
		return c.After
	case KeyChangeInsert:
		return c.Before
	}
	return nil
}

// Batch carries changes of one source across an actor boundary, in source
// order. A batch is never modified after it is sent.
type Batch struct {
	// Source is the name of the topology source that produced the changes.
	Source  string
	Changes []Change
	// Bytes is the sum of the changes' Size.
	Bytes int
	// Mark, when set, is a resume point: once every change of this source
	// with Seq <= Mark.Seq is acknowledged by every sink, the source may
	// resume from Mark.Pos. Marks are only placed at transaction boundaries,
	// and a batch may carry one with no changes (progress over transactions
	// that touched no selected table).
	Mark *Mark
}

// Mark is a resume point at a transaction boundary.
type Mark struct {
	Seq uint64
	// Pos is where the next transaction starts (the end of a commit event).
	Pos Position
	// GTIDSet is the executed GTID set at Pos ("0-1-42,1-2-7" on MariaDB,
	// "uuid:1-42" on MySQL); empty when the server does not use GTIDs.
	GTIDSet string
	// Time is the commit time (Unix seconds) of the last transaction before Pos.
	Time uint32
}

// Add appends c and accounts for its size.
func (b *Batch) Add(c Change) {
	b.Changes = append(b.Changes, c)
	b.Bytes += c.Size
}

// LastSeq is the sequence number of the batch's last change, or 0 when empty.
func (b *Batch) LastSeq() uint64 {
	if len(b.Changes) == 0 {
		return 0
	}
	return b.Changes[len(b.Changes)-1].Seq
}
