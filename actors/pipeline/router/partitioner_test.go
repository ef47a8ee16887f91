package router

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// refHash is an independent reference: Java's String.hashCode written the
// plain way, over the UTF-16 encoding of s's runes, in 64-bit arithmetic
// truncated to 32 bits at the end of each step.
func refHash(s string) int32 {
	var h int64
	for _, u := range utf16.Encode([]rune(s)) {
		h = int64(int32(h*31 + int64(u)))
	}
	return int32(h)
}

// refPartition is Java's Math.abs(h % n), written with 64-bit arithmetic.
func refPartition(h int32, n int) int32 {
	r := int64(h) % int64(n)
	if r < 0 {
		r = -r
	}
	return int32(r)
}

func TestJavaHashCode_KnownJavaValues(t *testing.T) {
	// Values printed by OpenJDK 17's String.hashCode.
	for _, tc := range []struct {
		in   string
		want int32
	}{
		{"Hello", 69609650},
		{"", 0},
		{"polygenelubricants", math.MinInt32},
		{"shop.orders", 570428637},
		{"42", 1662},
		{"7,Zoë", 52194625},
		{"a\U0001F600b", 57849694}, // surrogate pair
		{"-9223372036854775808", 1304595158},
		{"18446744073709551615", 1823116549},
		{"日本.表", 802516513},
		{"a\uFFFDb", 2124838},
	} {
		if got := JavaHashCode(tc.in); got != tc.want {
			t.Errorf("JavaHashCode(%q) = %d, want %d", tc.in, got, tc.want)
		}
		if got := refHash(tc.in); got != tc.want {
			t.Errorf("reference hash of %q = %d, want %d (test helper broken)", tc.in, got, tc.want)
		}
	}
}

func TestJavaHashCode_MatchesReference(t *testing.T) {
	for _, s := range []string{"a", "db.table", "ÄÖÜ", "\U0010FFFF", "x\u00e9\U0001D11Ey", strings.Repeat("wrap-around ", 50)} {
		if got, want := JavaHashCode(s), refHash(s); got != want {
			t.Errorf("JavaHashCode(%q) = %d, reference %d", s, got, want)
		}
	}
}

func TestPartitionOf_JavaSemantics(t *testing.T) {
	for _, tc := range []struct {
		h    int32
		n    int
		want int32
	}{
		{69609650, 8, 2},
		{math.MinInt32, 3, 2}, // Math.abs(MIN_VALUE % 3) = 2, not negative
		{math.MinInt32, 8, 0},
		{-1, 5, 1},
		{570428637, 8, 5},
		{12345, 1, 0},
		{12345, 0, 0},
	} {
		if got := partitionOf(tc.h, tc.n); got != tc.want {
			t.Errorf("partitionOf(%d, %d) = %d, want %d", tc.h, tc.n, got, tc.want)
		}
		if tc.n > 1 && refPartition(tc.h, tc.n) != tc.want {
			t.Errorf("reference partition of %d/%d disagrees", tc.h, tc.n)
		}
	}
}

func ordersTable() *change.Table {
	return &change.Table{
		Schema: "shop", Name: "orders",
		Columns: []change.Column{
			{Name: "id", Type: change.TypeLongLong},
			{Name: "tenant", Type: change.TypeLong},
			{Name: "name", Type: change.TypeVarchar, Charset: "utf8mb4"},
			{Name: "raw", Type: change.TypeBlob, Charset: "binary"},
			{Name: "price", Type: change.TypeDouble},
			{Name: "code", Type: change.TypeString, Charset: "latin1"},
		},
		PrimaryKey: []int{0},
		UniqueKeys: []change.Key{{Name: "uk_tenant_name", Columns: []int{1, 2}}},
	}
}

func mustKeys(t *testing.T, p *Partitioner, tbl *change.Table, pk []string) []int {
	t.Helper()
	cols, err := p.KeyColumns(tbl, pk)
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestPartitioner_Partition0_EverythingToZero(t *testing.T) {
	for _, r := range []*topology.Router{nil, {}, {Policy: topology.PolicyPartition0}} {
		p := New(r)
		tbl := ordersTable()
		for _, c := range []change.Change{
			{Op: change.OpInsert, Table: tbl, After: []any{int64(1), int32(1), "a", nil, 0.0, nil}},
			{Op: change.OpDDL, Table: tbl, SQL: "ALTER TABLE orders ADD x INT"},
			{Op: change.OpDDL, SQL: "CREATE DATABASE x"},
		} {
			if got := p.Partition(&c, mustKeys(t, p, tbl, nil), 12); got != 0 {
				t.Errorf("policy %q: %v went to %d, want 0", p.Policy(), c.Op, got)
			}
		}
	}
}

func TestPartitioner_TableHash_DataAndDDLShareAPartition(t *testing.T) {
	p := New(&topology.Router{Name: "r", Policy: topology.PolicyTableHash})
	tbl := ordersTable()
	const n = 8
	want := refPartition(refHash("shop.orders"), n) // 5
	if want != 5 {
		t.Fatalf("reference partition of shop.orders = %d, want 5", want)
	}
	for _, c := range []change.Change{
		{Op: change.OpInsert, Table: tbl, After: []any{int64(1), int32(1), "a", nil, 0.0, nil}},
		{Op: change.OpDelete, Table: tbl, Before: []any{int64(2), int32(1), "b", nil, 0.0, nil}},
		{Op: change.OpDDL, Table: tbl, SQL: "ALTER TABLE orders ADD x INT"},
	} {
		if got := p.Partition(&c, nil, n); got != want {
			t.Errorf("%v went to %d, want %d", c.Op, got, want)
		}
	}
	ddl := change.Change{Op: change.OpDDL, SQL: "CREATE DATABASE x", Schema: "x"}
	if got := p.Partition(&ddl, nil, n); got != 0 {
		t.Errorf("database-level DDL went to %d, want 0", got)
	}
	// Non-ASCII names hash their UTF-16 units.
	jp := &change.Table{Schema: "日本", Name: "表"}
	c := change.Change{Op: change.OpInsert, Table: jp, After: []any{}}
	if got := p.Partition(&c, nil, 5); got != 3 { // Java: Math.abs("日本.表".hashCode() % 5)
		t.Errorf("日本.表 went to %d, want 3", got)
	}
}

func TestPartitioner_PKHash_KeysDDLAndKeyless(t *testing.T) {
	p := New(&topology.Router{Name: "r", Policy: topology.PolicyPKHash})
	tbl := ordersTable()
	keys := mustKeys(t, p, tbl, nil)
	if len(keys) != 1 || keys[0] != 0 {
		t.Fatalf("keys = %v, want primary key [0]", keys)
	}
	const n = 8
	for _, id := range []any{int64(42), int64(-9223372036854775808), int64(0), int64(7), int64(123456789)} {
		want := refPartition(refHash(strconv.FormatInt(id.(int64), 10)), n)
		for _, c := range []change.Change{
			{Op: change.OpInsert, Table: tbl, After: []any{id, int32(1), "a", nil, 0.0, nil}},
			{Op: change.OpSnapshot, Table: tbl, After: []any{id, int32(9), "z", nil, 0.0, nil}},
			{Op: change.OpUpdate, Table: tbl, Before: []any{int64(999), nil, nil, nil, nil, nil}, After: []any{id, int32(1), "b", nil, 0.0, nil}},
			{Op: change.OpDelete, Table: tbl, Before: []any{id, int32(1), "a", nil, 0.0, nil}},
		} {
			if got := p.Partition(&c, keys, n); got != want {
				t.Errorf("id %v %v went to %d, want %d", id, c.Op, got, want)
			}
		}
	}
	// id 42: Java "42".hashCode() = 1662, 1662 % 8 = 6.
	c := change.Change{Op: change.OpInsert, Table: tbl, After: []any{int64(42), nil, nil, nil, nil, nil}}
	if got := p.Partition(&c, keys, n); got != 6 {
		t.Errorf("id 42 went to %d, want 6", got)
	}
	ddl := change.Change{Op: change.OpDDL, Table: tbl, SQL: "ALTER TABLE orders ADD x INT"}
	if got := p.Partition(&ddl, keys, n); got != 0 {
		t.Errorf("DDL went to %d, want 0", got)
	}
	keyless := &change.Table{Schema: "shop", Name: "log", Columns: []change.Column{{Name: "msg"}}}
	kk := mustKeys(t, p, keyless, nil)
	if kk != nil {
		t.Fatalf("keyless table keys = %v, want nil", kk)
	}
	row := change.Change{Op: change.OpInsert, Table: keyless, After: []any{"hello"}}
	if got := p.Partition(&row, kk, n); got != 0 {
		t.Errorf("keyless row went to %d, want 0", got)
	}
}

func TestPartitioner_PKHash_FallsBackToUniqueKey(t *testing.T) {
	p := New(&topology.Router{Policy: topology.PolicyPKHash})
	tbl := ordersTable()
	tbl.PrimaryKey = nil
	keys := mustKeys(t, p, tbl, nil)
	if len(keys) != 2 || keys[0] != 1 || keys[1] != 2 {
		t.Fatalf("keys = %v, want unique key [1 2]", keys)
	}
	c := change.Change{Op: change.OpInsert, Table: tbl, After: []any{int64(1), int32(7), "Zoë", nil, 0.0, nil}}
	// Java: Math.abs("7,Zoë".hashCode() % 8) = Math.abs(52194625 % 8) = 1.
	if got := p.Partition(&c, keys, 8); got != 1 {
		t.Errorf("(7, Zoë) went to %d, want 1", got)
	}
}

func TestPartitioner_ColumnsHash_CanonicalValueTexts(t *testing.T) {
	tbl := ordersTable()
	for _, tc := range []struct {
		name   string
		cols   []string
		row    []any
		wantS  string // the Java string whose hash decides
		router []string
	}{
		{"int and utf8", []string{"tenant", "name"}, []any{nil, int32(-5), "Zoë", nil, nil, nil}, "-5,Zoë", nil},
		{"null is empty", []string{"tenant", "name"}, []any{nil, nil, "x", nil, nil, nil}, ",x", nil},
		{"binary is latin1", []string{"raw"}, []any{nil, nil, nil, []byte{0xff, 0x00, 0x80}, nil, nil}, "\u00ff\u0000\u0080", nil},
		{"latin1 string", []string{"code"}, []any{nil, nil, nil, nil, nil, "\xe9t\xe9"}, "été", nil},
		{"invalid utf8 is U+FFFD", []string{"name"}, []any{nil, nil, "a\xffb", nil, nil, nil}, "a\uFFFDb", nil},
		{"utf8 bytes", []string{"name"}, []any{nil, nil, []byte("Zoë"), nil, nil, nil}, "Zoë", nil},
		{"unsigned max", []string{"id"}, []any{uint64(18446744073709551615), nil, nil, nil, nil, nil}, "18446744073709551615", nil},
		{"unsigned small widths", []string{"id", "tenant"}, []any{uint8(255), uint16(65535), nil, nil, nil, nil}, "255,65535", nil},
		{"signed small widths", []string{"id", "tenant"}, []any{int8(-128), int16(-32768), nil, nil, nil, nil}, "-128,-32768", nil},
		{"year as int", []string{"id"}, []any{int(2024), nil, nil, nil, nil, nil}, "2024", nil},
		{"double plain", []string{"price"}, []any{nil, nil, nil, nil, 0.5, nil}, "0.5", nil},
		{"double large no exponent", []string{"price"}, []any{nil, nil, nil, nil, 1e20, nil}, "100000000000000000000", nil},
		{"float32 shortest", []string{"price"}, []any{nil, nil, nil, nil, float32(0.1), nil}, "0.1", nil},
		{"decimal text", []string{"name"}, []any{nil, nil, "-12.50", nil, nil, nil}, "-12.50", nil},
		{"router columns", nil, []any{int64(3), int32(4), nil, nil, nil, nil}, "3,4", []string{"id", "tenant"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(&topology.Router{Name: "r", Policy: topology.PolicyColumnsHash, Columns: tc.router})
			keys := mustKeys(t, p, tbl, tc.cols)
			c := change.Change{Op: change.OpInsert, Table: tbl, After: tc.row}
			for _, n := range []int{2, 3, 7, 16, 1000} {
				want := refPartition(refHash(tc.wantS), n)
				if got := p.Partition(&c, keys, n); got != want {
					t.Errorf("n=%d: partition %d, want %d (hash of %q)", n, got, want, tc.wantS)
				}
			}
			if got, want := keyHash(tbl, tc.row, keys), refHash(tc.wantS); got != want {
				t.Errorf("hash %d, want %d (Java hash of %q)", got, want, tc.wantS)
			}
		})
	}
}

func TestPartitioner_KeyColumns_Errors(t *testing.T) {
	tbl := ordersTable()
	p := New(&topology.Router{Name: "to-main", Policy: topology.PolicyColumnsHash})
	if _, err := p.KeyColumns(tbl, nil); err == nil || !strings.Contains(err.Error(), "needs columns") {
		t.Errorf("columns_hash without columns: err = %v", err)
	}
	_, err := p.KeyColumns(tbl, []string{"tenant", "nope"})
	if err == nil || !strings.Contains(err.Error(), `no column "nope"`) || !strings.Contains(err.Error(), "shop.orders") {
		t.Errorf("missing column: err = %v", err)
	}
	pk := New(&topology.Router{Policy: topology.PolicyPKHash})
	if _, err := pk.KeyColumns(tbl, []string{"nope"}); err == nil {
		t.Error("pk_hash with a missing partition_key column: no error")
	}
	if cols, err := pk.KeyColumns(tbl, []string{"name"}); err != nil || len(cols) != 1 || cols[0] != 2 {
		t.Errorf("pk_hash with partition_key [name] = %v, %v; want [2]", cols, err)
	}
}

func TestKeys_For_MemoisesPerTableVersion(t *testing.T) {
	p := New(&topology.Router{Policy: topology.PolicyColumnsHash, Columns: []string{"tenant"}})
	k := NewKeys(p)
	v1 := ordersTable()
	v2 := ordersTable()
	v2.Columns = append([]change.Column{{Name: "added"}}, v2.Columns...)
	a, _ := k.For(v1, nil)
	b, _ := k.For(v2, nil)
	a2, _ := k.For(v1, nil)
	if a[0] != 1 || b[0] != 2 || &a2[0] != &a[0] {
		t.Fatalf("For: v1 %v, v2 %v, v1 again %v (want [1], [2], same slice)", a, b, a2)
	}
	bad := &change.Table{Schema: "s", Name: "t"}
	if _, err := k.For(bad, nil); err == nil {
		t.Fatal("For on a table without the column: no error")
	}
}

func TestPartitioner_Partition_DoesNotAllocate(t *testing.T) {
	tbl := ordersTable()
	for _, tc := range []struct {
		policy topology.PartitionPolicy
		cols   []string
	}{
		{topology.PolicyTableHash, nil},
		{topology.PolicyPKHash, nil},
		{topology.PolicyColumnsHash, []string{"id", "tenant", "name", "raw", "price"}},
	} {
		p := New(&topology.Router{Policy: tc.policy, Columns: tc.cols})
		keys := mustKeys(t, p, tbl, nil)
		c := change.Change{Op: change.OpInsert, Table: tbl, After: []any{int64(123456789), int32(-7), "Zoë", []byte{1, 2}, 3.25, "x"}}
		if n := testing.AllocsPerRun(100, func() { p.Partition(&c, keys, 12) }); n != 0 {
			t.Errorf("%s: %v allocations per Partition, want 0", tc.policy, n)
		}
	}
}

func BenchmarkPartitioner_PKHash(b *testing.B) {
	tbl := ordersTable()
	p := New(&topology.Router{Policy: topology.PolicyPKHash})
	keys, _ := p.KeyColumns(tbl, nil)
	c := change.Change{Op: change.OpInsert, Table: tbl, After: []any{int64(123456789), int32(-7), "Zoë", nil, 3.25, nil}}
	b.ReportAllocs()
	for b.Loop() {
		p.Partition(&c, keys, 12)
	}
}

func BenchmarkPartitioner_ColumnsHash_String(b *testing.B) {
	tbl := ordersTable()
	p := New(&topology.Router{Policy: topology.PolicyColumnsHash, Columns: []string{"tenant", "name"}})
	keys, _ := p.KeyColumns(tbl, nil)
	c := change.Change{Op: change.OpInsert, Table: tbl, After: []any{int64(1), int32(-7), "customer-000123@example.com", nil, 3.25, nil}}
	b.ReportAllocs()
	for b.Loop() {
		p.Partition(&c, keys, 12)
	}
}
