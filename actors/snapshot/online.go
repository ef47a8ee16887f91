package snapshot

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/sluicecdc/sluice/change"
)

// Online is a source's list of tables to snapshot while its binlog streams
// (docs/snapshot.md, "Online snapshots"): tables added to a task that
// already has a checkpoint, and tables a user asked to read again (sluice
// snapshot). The engine adds tables; the binlog reader takes them one at a
// time, reads their chunks between two of its transactions and removes a
// table once its last chunk is injected. Safe for concurrent use.
type Online struct {
	// Limiter caps the reads (the source's snapshot rate caps); nil: none.
	Limiter *Limiter

	mu     sync.Mutex
	tables []*TablePlan
	gen    atomic.Uint64
}

// Add queues t. It refuses a table already queued or being read.
func (o *Online) Add(t *TablePlan) error {
	name := t.Table.QualifiedName()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, q := range o.tables {
		if q.Table.QualifiedName() == name {
			return fmt.Errorf("a snapshot of %s already runs (%d chunks to read when it started); wait for it to finish (sluice status shows its progress)",
				name, len(q.Chunks))
		}
	}
	o.tables = append(o.tables, t)
	o.gen.Add(1)
	return nil
}

// Has reports whether a snapshot of table ("db.table") is queued or running.
func (o *Online) Has(table string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, q := range o.tables {
		if q.Table.QualifiedName() == table {
			return true
		}
	}
	return false
}

// Next returns the first queued table, nil when none.
func (o *Online) Next() *TablePlan {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tables) == 0 {
		return nil
	}
	return o.tables[0]
}

// Done removes t: all its chunks are injected.
func (o *Online) Done(t *TablePlan) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, q := range o.tables {
		if q == t {
			o.tables = append(o.tables[:i], o.tables[i+1:]...)
			o.gen.Add(1)
			return
		}
	}
}

// Generation changes whenever a table is added or removed: the reader
// compares it on every loop to notice an added table without a message.
func (o *Online) Generation() uint64 { return o.gen.Load() }

// Window collects the keys of one table's row changes that the binlog
// carried while one of its chunks was read. The chunk's rows whose key is
// among them are dropped before the rest is injected into the stream: the
// binlog already holds a change of those keys at least as new as the
// chunk's read (every change carries the full row), and a snapshot row
// written after it would go back in time. Not safe for concurrent use.
type Window struct {
	schema, name string
	key          []int
	norm         []normKind
	seen         map[string]struct{}
	// DDL is set when a statement changed the table during the window: the
	// chunk is read again (the rows may predate a TRUNCATE or an ALTER).
	DDL bool
	buf []byte
}

// normKind says how a key column's values are made comparable between the
// snapshot and the binlog decoder, which render two types differently.
type normKind uint8

const (
	normNone        normKind = iota
	normFixedBinary          // BINARY(n): the binlog strips trailing zero bytes
	normFraction             // TIME/DATETIME/TIMESTAMP: the binlog drops a zero fraction of TIME(n)
)

// NewWindow returns an empty window for table t, keyed by its chunk key
// (ChunkKey), else its primary or unique key, else every column.
func NewWindow(t *change.Table) *Window {
	key := ChunkKey(t)
	if len(key) == 0 {
		key = t.KeyColumns()
	}
	if len(key) == 0 {
		key = make([]int, len(t.Columns))
		for i := range key {
			key[i] = i
		}
	}
	w := &Window{schema: t.Schema, name: t.Name, key: key, norm: make([]normKind, len(key)), seen: map[string]struct{}{}}
	for i, c := range key {
		col := &t.Columns[c]
		switch {
		case col.Type == change.TypeString && col.IsBinary():
			w.norm[i] = normFixedBinary
		case col.Type == change.TypeTime || col.Type == change.TypeTime2 || col.Type == change.TypeDateTime ||
			col.Type == change.TypeDateTime2 || col.Type == change.TypeTimestamp || col.Type == change.TypeTimestamp2:
			w.norm[i] = normFraction
		}
	}
	return w
}

// Clear empties the window for the next chunk.
func (w *Window) Clear() {
	clear(w.seen)
	w.DDL = false
}

// Len is the number of distinct keys noted.
func (w *Window) Len() int { return len(w.seen) }

func (w *Window) ofTable(t *change.Table) bool {
	return t != nil && t.Name == w.name && t.Schema == w.schema
}

// Note records the keys of the window's table that changes touch: the
// after image of an insert, the before image of a delete, both of an
// update (a key may change).
func (w *Window) Note(changes []change.Change) {
	for i := range changes {
		c := &changes[i]
		if !w.ofTable(c.Table) {
			if c.Op == change.OpDDL && c.Table == nil && c.Schema == w.schema {
				w.DDL = true // a database-level statement (DROP DATABASE)
			}
			continue
		}
		switch c.Op {
		case change.OpInsert:
			w.add(c.After)
		case change.OpDelete:
			w.add(c.Before)
		case change.OpUpdate:
			w.add(c.Before)
			w.add(c.After)
		case change.OpDDL:
			w.DDL = true
		}
	}
}

func (w *Window) add(row []any) {
	if row == nil {
		return
	}
	w.buf = w.appendKey(w.buf[:0], row)
	if _, ok := w.seen[string(w.buf)]; !ok {
		w.seen[string(w.buf)] = struct{}{}
	}
}

// Keep drops, in place, the rows whose key the window noted and returns the
// rest.
func (w *Window) Keep(rows []change.Change) []change.Change {
	kept := rows[:0]
	for i := range rows {
		w.buf = w.appendKey(w.buf[:0], rows[i].After)
		if _, changed := w.seen[string(w.buf)]; !changed {
			kept = append(kept, rows[i])
		}
	}
	return kept
}

// appendKey encodes the key columns of row: for each, a length and the
// value's canonical bytes. Integers of any width and sign are their decimal
// text, so that the two decoders' Go types need not match exactly; distinct
// values of one column always encode differently.
func (w *Window) appendKey(b []byte, row []any) []byte {
	var tmp [40]byte
	for i, c := range w.key {
		var v []byte
		if c < len(row) {
			switch x := row[c].(type) {
			case nil:
				v = nil
			case string:
				v = w.normalize(i, []byte(x))
			case []byte:
				v = w.normalize(i, x)
			case int64:
				v = strconv.AppendInt(tmp[:0], x, 10)
			case int32:
				v = strconv.AppendInt(tmp[:0], int64(x), 10)
			case int16:
				v = strconv.AppendInt(tmp[:0], int64(x), 10)
			case int8:
				v = strconv.AppendInt(tmp[:0], int64(x), 10)
			case int:
				v = strconv.AppendInt(tmp[:0], int64(x), 10)
			case uint64:
				v = strconv.AppendUint(tmp[:0], x, 10)
			case uint32:
				v = strconv.AppendUint(tmp[:0], uint64(x), 10)
			case uint16:
				v = strconv.AppendUint(tmp[:0], uint64(x), 10)
			case uint8:
				v = strconv.AppendUint(tmp[:0], uint64(x), 10)
			case float64:
				v = strconv.AppendFloat(tmp[:0], x, 'g', -1, 64)
			case float32:
				v = strconv.AppendFloat(tmp[:0], float64(x), 'g', -1, 32)
			default:
				v = fmt.Appendf(tmp[:0], "%v", x) // outside change/value.go's set
			}
		}
		if row == nil || c >= len(row) || row[c] == nil {
			b = append(b, 0) // NULL: no length byte can be 0 with the +1 below
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(v))+1)
		b = append(b, v...)
	}
	return b
}

func (w *Window) normalize(i int, v []byte) []byte {
	switch w.norm[i] {
	case normFixedBinary:
		for len(v) > 0 && v[len(v)-1] == 0 {
			v = v[:len(v)-1]
		}
	case normFraction:
		for j := len(v) - 1; j >= 0; j-- {
			if v[j] == '.' {
				k := len(v)
				for k > j+1 && v[k-1] == '0' {
					k--
				}
				if k == j+1 {
					k = j
				}
				return v[:k]
			}
			if v[j] < '0' || v[j] > '9' {
				break
			}
		}
	}
	return v
}
