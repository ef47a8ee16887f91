package change

import "testing"

func TestInt64_AllWidths(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
		ok   bool
	}{
		{int8(-128), -128, true},
		{int16(-32768), -32768, true},
		{int32(-1), -1, true},
		{int64(-9223372036854775808), -9223372036854775808, true},
		{int(2024), 2024, true},
		{uint8(1), 0, false},
		{"1", 0, false},
		{nil, 0, false},
	} {
		got, ok := Int64(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Int64(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestUint64_AllWidths(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want uint64
		ok   bool
	}{
		{uint8(255), 255, true},
		{uint16(65535), 65535, true},
		{uint32(4294967295), 4294967295, true},
		{uint64(18446744073709551615), 18446744073709551615, true},
		{int64(1), 0, false},
	} {
		got, ok := Uint64(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Uint64(%#v) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTable_KeyColumns_FallsBackToUniqueKey(t *testing.T) {
	tbl := &Table{UniqueKeys: []Key{{Name: "uk", Columns: []int{2}}}}
	if got := tbl.KeyColumns(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("KeyColumns = %v, want [2]", got)
	}
	tbl.PrimaryKey = []int{0}
	if got := tbl.KeyColumns(); got[0] != 0 {
		t.Fatalf("KeyColumns = %v, want primary key [0]", got)
	}
	if got := (&Table{}).KeyColumns(); got != nil {
		t.Fatalf("KeyColumns of keyless table = %v, want nil", got)
	}
}

func TestPosition_String(t *testing.T) {
	p := Position{File: "mysql-bin.000003", Pos: 1234}
	if got := p.String(); got != "mysql-bin.000003:1234" {
		t.Fatalf("String = %q", got)
	}
	if (Position{}).IsZero() != true || p.IsZero() {
		t.Fatal("IsZero wrong")
	}
}

func TestBatch_Add(t *testing.T) {
	var b Batch
	b.Add(Change{Seq: 7, Size: 10})
	b.Add(Change{Seq: 8, Size: 5})
	if b.Bytes != 15 || b.LastSeq() != 8 {
		t.Fatalf("Bytes=%d LastSeq=%d", b.Bytes, b.LastSeq())
	}
}

func TestEnumSetMetaAndType(t *testing.T) {
	for _, tc := range []struct {
		typ  byte
		n    int
		want uint16
	}{
		{TypeEnum, 3, uint16(TypeEnum)<<8 | 1},
		{TypeEnum, 256, uint16(TypeEnum)<<8 | 2},
		{TypeSet, 8, uint16(TypeSet)<<8 | 1},
		{TypeSet, 17, uint16(TypeSet)<<8 | 4},
		{TypeSet, 33, uint16(TypeSet)<<8 | 8},
	} {
		if got := EnumSetMeta(tc.typ, tc.n); got != tc.want {
			t.Errorf("EnumSetMeta(%d, %d) = %#x, want %#x", tc.typ, tc.n, got, tc.want)
		}
	}
	if got := EnumSetType(TypeSet, []string{"a", "it's"}); got != "set('a','it''s')" {
		t.Errorf("EnumSetType = %s", got)
	}
}

// TestChange_KeyChanged pins the Debezium key-change bug: an update of a
// primary (or, without one, unique) key column must be told apart from an
// update of other columns.
func TestChange_KeyChanged(t *testing.T) {
	pk := &Table{Schema: "s", Name: "pk", PrimaryKey: []int{0, 1}, Columns: []Column{{Name: "a"}, {Name: "b"}, {Name: "v"}}}
	uk := &Table{Schema: "s", Name: "uk", UniqueKeys: []Key{{Name: "u", Columns: []int{1}}}, Columns: []Column{{Name: "a"}, {Name: "b"}}}
	none := &Table{Schema: "s", Name: "none", Columns: []Column{{Name: "a"}}}
	for _, tc := range []struct {
		name          string
		op            Op
		table         *Table
		before, after []any
		want          bool
	}{
		{"other column", OpUpdate, pk, []any{int32(10), "x", "v1"}, []any{int32(10), "x", "v2"}, false},
		{"second pk column", OpUpdate, pk, []any{int32(10), "x", "v"}, []any{int32(10), "y", "v"}, true},
		{"first pk column", OpUpdate, pk, []any{int32(10), "x", "v"}, []any{int32(11), "x", "v"}, true},
		{"unique key of a table without pk", OpUpdate, uk, []any{int32(1), []byte("k1")}, []any{int32(1), []byte("k2")}, true},
		{"unique key bytes unchanged", OpUpdate, uk, []any{int32(1), []byte("k1")}, []any{int32(2), []byte("k1")}, false},
		{"key to null", OpUpdate, uk, []any{int32(1), []byte("k1")}, []any{int32(1), nil}, true},
		{"keyless table", OpUpdate, none, []any{int32(1)}, []any{int32(2)}, false},
		{"not an update", OpInsert, pk, nil, []any{int32(1), "x", "v"}, false},
		{"short row", OpUpdate, pk, []any{int32(1)}, []any{int32(1)}, false},
	} {
		c := Change{Op: tc.op, Table: tc.table, Before: tc.before, After: tc.after}
		if got := c.KeyChanged(); got != tc.want {
			t.Errorf("%s: KeyChanged = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestChange_SplitKeyChange(t *testing.T) {
	tb := &Table{Schema: "s", Name: "t", PrimaryKey: []int{0}, Columns: []Column{{Name: "a"}}}
	c := Change{Seq: 7, Op: OpUpdate, Table: tb, Before: []any{int32(1)}, After: []any{int32(2)},
		Pos: Position{File: "f", Pos: 9, GTID: "0-1-2"}, Row: 3, CommitTime: 5}
	del, ins := c.SplitKeyChange()
	if del.Op != OpDelete || del.Half != KeyChangeDelete || del.KeyRow()[0] != int32(1) || del.OtherRow()[0] != int32(2) {
		t.Errorf("delete half = %+v", del)
	}
	if ins.Op != OpInsert || ins.Half != KeyChangeInsert || ins.KeyRow()[0] != int32(2) || ins.OtherRow()[0] != int32(1) {
		t.Errorf("insert half = %+v", ins)
	}
	if c.OtherRow() != nil || c.KeyRow()[0] != int32(2) {
		t.Errorf("the update's KeyRow/OtherRow = %v/%v", c.KeyRow(), c.OtherRow())
	}
	for _, h := range []Change{del, ins} {
		if h.Seq != 7 || h.Pos != c.Pos || h.Row != 3 || h.CommitTime != 5 || h.Table != tb {
			t.Errorf("half lost the change's identity: %+v", h)
		}
	}
	if c.Op != OpUpdate || c.Before == nil || c.After == nil {
		t.Errorf("the update itself changed: %+v", c)
	}
}

func TestEqual_Values(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{int32(1), int32(1), true},
		{int32(1), int64(1), false},
		{"x", "x", true},
		{[]byte("x"), []byte("x"), true},
		{[]byte("x"), "x", false},
		{"x", []byte("x"), false},
		{[]byte{}, []byte(nil), false},
		{nil, nil, true},
		{nil, []byte(nil), false},
	} {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
