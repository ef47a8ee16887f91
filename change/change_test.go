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
