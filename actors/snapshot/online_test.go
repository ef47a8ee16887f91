package snapshot

import (
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
)

func onlineTable() *change.Table {
	return &change.Table{Schema: "db", Name: "t", PrimaryKey: []int{0, 1}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLongLong},
		{Name: "b", Type: change.TypeString, Charset: "binary"},
		{Name: "v", Type: change.TypeVarchar, Charset: "utf8mb4"},
	}}
}

func TestWindow_KeepDropsKeysChangedInTheWindow(t *testing.T) {
	tb := onlineTable()
	other := &change.Table{Schema: "db", Name: "u", PrimaryKey: []int{0}, Columns: tb.Columns}
	w := NewWindow(tb)
	w.Note([]change.Change{
		{Op: change.OpInsert, Table: tb, After: []any{int64(1), "a", "x"}},
		// The binlog strips BINARY(n)'s trailing zero bytes; the snapshot keeps them.
		{Op: change.OpDelete, Table: tb, Before: []any{int64(2), "b", "x"}},
		// A key change: both keys are touched.
		{Op: change.OpUpdate, Table: tb, Before: []any{int64(3), "c", "x"}, After: []any{int64(4), "c", "y"}},
		// Another table's change of the same key values touches nothing.
		{Op: change.OpInsert, Table: other, After: []any{int64(5), "e", "x"}},
	})
	rows := []change.Change{
		{Op: change.OpSnapshot, Table: tb, After: []any{int32(1), "a", "old"}}, // INT width differs: same key
		{Op: change.OpSnapshot, Table: tb, After: []any{int64(2), "b\x00\x00", "old"}},
		{Op: change.OpSnapshot, Table: tb, After: []any{int64(3), "c", "old"}},
		{Op: change.OpSnapshot, Table: tb, After: []any{uint64(4), "c", "old"}},
		{Op: change.OpSnapshot, Table: tb, After: []any{int64(5), "e", "kept"}},
		{Op: change.OpSnapshot, Table: tb, After: []any{int64(1), "a\x01", "kept"}}, // another key
		{Op: change.OpSnapshot, Table: tb, After: []any{int64(11), "", "kept"}},     // "1"+"1a" must not be "11"+"a"
	}
	kept := w.Keep(rows)
	var got []string
	for _, r := range kept {
		got = append(got, r.After[2].(string))
	}
	if len(kept) != 3 || strings.Join(got, ",") != "kept,kept,kept" {
		t.Fatalf("kept %d rows %v, want the 3 rows no change touched", len(kept), got)
	}
	if w.Len() != 4 {
		t.Errorf("Len = %d, want 4 keys noted", w.Len())
	}
	w.Clear()
	if w.Len() != 0 || len(w.Keep([]change.Change{{After: []any{int64(1), "a", ""}}})) != 1 {
		t.Error("Clear left keys behind")
	}
}

func TestWindow_TemporalFractionAndDDL(t *testing.T) {
	tb := &change.Table{Schema: "db", Name: "t", PrimaryKey: []int{0}, Columns: []change.Column{{Name: "at", Type: change.TypeTime2, Scale: 6}}}
	w := NewWindow(tb)
	w.Note([]change.Change{{Op: change.OpInsert, Table: tb, After: []any{"00:00:00"}}})
	if kept := w.Keep([]change.Change{{After: []any{"00:00:00.000000"}}, {After: []any{"00:00:00.100000"}}}); len(kept) != 1 || kept[0].After[0] != "00:00:00.100000" {
		t.Errorf("kept %v; the binlog's TIME(6) without its zero fraction is the same key", kept)
	}
	if w.DDL {
		t.Fatal("DDL set without a statement")
	}
	w.Note([]change.Change{{Op: change.OpDDL, Table: tb, SQL: "TRUNCATE TABLE t"}})
	if !w.DDL {
		t.Error("a DDL of the table during the window must be noticed")
	}
	w.Clear()
	w.Note([]change.Change{{Op: change.OpDDL, Schema: "db", SQL: "DROP DATABASE db"}})
	if !w.DDL {
		t.Error("a database-level DDL of the table's database must be noticed")
	}
}

func TestWindow_NoKeyUsesEveryColumn(t *testing.T) {
	tb := &change.Table{Schema: "db", Name: "t", Columns: []change.Column{{Name: "a", Type: change.TypeLong}, {Name: "b", Type: change.TypeLong}}}
	w := NewWindow(tb)
	w.Note([]change.Change{{Op: change.OpInsert, Table: tb, After: []any{int32(1), nil}}})
	kept := w.Keep([]change.Change{{After: []any{int32(1), nil}}, {After: []any{int32(1), int32(0)}}})
	if len(kept) != 1 || kept[0].After[1] != int32(0) {
		t.Errorf("kept %v, want the row whose NULL column differs", kept)
	}
}

func TestOnline_AddRefusesATableQueuedTwice(t *testing.T) {
	var o Online
	a := &TablePlan{Table: onlineTable(), Chunks: []Chunk{{ID: 0}}}
	g := o.Generation()
	if err := o.Add(a); err != nil {
		t.Fatal(err)
	}
	if o.Generation() == g || !o.Has("db.t") || o.Next() != a {
		t.Fatal("Add did not queue the table")
	}
	if err := o.Add(&TablePlan{Table: onlineTable()}); err == nil || !strings.Contains(err.Error(), "already runs") {
		t.Fatalf("second Add: %v", err)
	}
	o.Done(a)
	if o.Has("db.t") || o.Next() != nil {
		t.Error("Done left the table queued")
	}
}
