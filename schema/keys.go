package schema

import (
	"fmt"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/gtid"
	"github.com/sluicecdc/sluice/store"
)

// Versions are keyed by GTID wherever the stream knows its executed GTID
// set: the ordinal of the set (gtid.Ordinal) is alike on every server that
// has the same transactions, so a history recorded on one server is read
// right on another after a failover. Without a GTID set (MySQL with GTIDs
// off, or from a file position until the next binlog file) they are keyed
// by binlog file and offset. GTID keys sort after every position key
// (store.GTIDKey), so a history begun by position and continued by GTID
// stays in stream order.

// boundaryKey is the key of versions that hold from the transaction
// boundary at pos, where the executed GTID set is set, on: a capture
// writes there. read gives the key that reads the versions holding there,
// which for a zero pos and no set is the newest.
func (h *History) boundaryKey(pos change.Position, set string, read bool) (string, error) {
	if set != "" {
		n, err := h.ordinal(set)
		return store.GTIDKey(n), err
	}
	switch {
	case pos.File != "":
		return store.PosKey(pos), nil
	case read:
		return "\xff", nil // after every key
	default:
		return "\x01", nil // a start by GTID alone: before every key
	}
}

// statementKey is the key of versions a statement (or an event) at pos
// records, in the transaction after the boundary where the executed GTID
// set is set: they hold after that boundary, not at it.
func (h *History) statementKey(pos change.Position, set string) (string, error) {
	if set != "" {
		n, err := h.ordinal(set)
		return store.GTIDKey(n + 1), err
	}
	return h.boundaryKey(pos, "", false)
}

func (h *History) ordinal(set string) (uint64, error) {
	n, err := gtid.Ordinal(h.cfg.Source.Flavor, set)
	if err != nil {
		return 0, fmt.Errorf("schema history of source %q: %w", h.cfg.Source.Name, err)
	}
	return n, nil
}

// schemaAt returns the newest version of table (or the catalog) at key k.
// A GTID key that finds only versions keyed by position (recorded before
// the stream had a GTID set, or by an earlier Sluice) reads those by pos,
// which is on their server, when pos is known.
func (h *History) schemaAt(table, k string, pos change.Position) (store.SchemaEntry, bool, error) {
	src := h.cfg.Source.Name
	e, ok, err := h.cfg.Store.SchemaAt(src, table, k)
	if err != nil || !ok || !store.IsGTIDKey(k) || store.IsGTIDKey(e.PosKey) || pos.File == "" {
		return e, ok, err
	}
	return h.cfg.Store.SchemaAt(src, table, store.PosKey(pos))
}
