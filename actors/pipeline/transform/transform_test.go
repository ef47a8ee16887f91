package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func pipelineOf(objects []*topology.TableRule, transforms ...*topology.Transform) *topology.Pipeline {
	return &topology.Pipeline{
		Source:     &topology.Source{Name: "orders-db", Objects: topology.Objects{Tables: objects}},
		Transforms: transforms,
		Sink:       &topology.Sink{Name: "main", Topic: "main-topic", DDLTopic: "ddl-topic"},
	}
}

func mustFilter(t *testing.T, s string) *topology.Expr {
	t.Helper()
	e, err := topology.ParseFilter(s)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", s, err)
	}
	return e
}

// typesTable has one column per value kind the filter must handle.
var typesTable = &change.Table{Schema: "shop", Name: "kinds", Columns: []change.Column{
	{Name: "id", Type: change.TypeLongLong},
	{Name: "u", Type: change.TypeLongLong, Unsigned: true},
	{Name: "price", Type: change.TypeNewDecimal, Precision: 10, Scale: 2},
	{Name: "name", Type: change.TypeVarchar, Charset: "utf8mb4"},
	{Name: "data", Type: change.TypeBlob, Charset: "binary"},
	{Name: "f", Type: change.TypeDouble},
	{Name: "ts", Type: change.TypeDateTime2},
	{Name: "n", Type: change.TypeLong, Nullable: true},
	{Name: "t8", Type: change.TypeTiny},
	{Name: "code", Type: change.TypeVarchar, Charset: "utf8mb4"},
	{Name: "big", Type: change.TypeLongLong},
	{Name: "f32", Type: change.TypeFloat},
	{Name: "u16", Type: change.TypeShort, Unsigned: true},
}, PrimaryKey: []int{0}}

var typesRow = []any{
	int64(42), uint64(18446744073709551615), "12.50", "alice", []byte("bl\x00b"), float64(2.5),
	"2024-05-01 10:00:00", nil, int8(-5), "007", int64(9007199254740993), float32(0.5), uint16(65535),
}

func TestTransformer_Filter_Semantics(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		// integers, every operator
		{"id = 42", true}, {"id != 42", false}, {"id <> 41", true}, {"id < 43", true}, {"id <= 42", true},
		{"id > 42", false}, {"id >= 42", true}, {"id >= 42.0", true}, {"id = 42.5", false}, {"id < 42.5", true},
		{"id IN (1, 2, 42)", true}, {"id IN (1, 2)", false}, {"id IN ('x', 41)", false},
		// numeric text literal against a numeric column compares as numbers
		{"id = '42'", true}, {"id < '100'", true},
		// unsigned beyond int64, and exactness beyond float64's 2^53
		{"u = 18446744073709551615", true}, {"u > 9223372036854775807", true}, {"u > 1e19", true},
		{"u < 2e19", true}, {"u16 = 65535", true}, {"u16 > -1", true},
		{"big = 9007199254740993", true}, {"big = 9007199254740992", false}, {"big > 9007199254740992", true},
		{"t8 < 0", true}, {"t8 = -5", true}, {"t8 > -5.5", true},
		// DECIMAL text against numbers: numeric; against strings: byte-wise
		{"price = 12.5", true}, {"price > 12.49", true}, {"price < 12.51", true}, {"price = 1.25e1", true},
		{"price > -1", true}, {"price = '12.5'", false}, {"price = '12.50'", true},
		// text
		{"name = 'alice'", true}, {"name > 'al'", true}, {"name < 'b'", true}, {"name = 'Alice'", false},
		{"name IN ('bob', 'alice')", true}, {"name = 42", false},
		// varchar holding digits: numeric against a number, byte-wise against a string
		{"code = 7", true}, {"code = '7'", false}, {"code = '007'", true},
		// binary and datetime text
		{"data = 'bl'", false}, {"data > 'bl'", true}, {"data IS NOT NULL", true},
		{"ts >= '2024-05-01'", true}, {"ts < '2024-05-01 09:59:59'", false}, {"ts > '2024-04-30 23:59:59.999999'", true},
		// floats
		{"f = 2.5", true}, {"f > 2", true}, {"f < '3'", true}, {"f32 = 0.5", true}, {"f32 < 0.25", false},
		// NULL: comparisons false, IS NULL true
		{"n = 1", false}, {"n != 1", false}, {"n < 'z'", false}, {"n IN (1, 2)", false},
		{"n IS NULL", true}, {"n IS NOT NULL", false}, {"id IS NULL", false},
		{"n = 1 OR id = 42", true}, {"n = 1 AND id = 42", false}, {"n != 1 OR n IS NULL", true},
		// composition
		{"(id = 1 OR id = 42) AND name = 'alice'", true},
		{"id = 1 OR id = 2 OR name = 'bob'", false},
		{"id = 42 AND (n IS NULL AND price >= 12.5)", true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			p := pipelineOf([]*topology.TableRule{{Pattern: "shop.*", Filter: mustFilter(t, tc.filter)}})
			in := &change.Batch{Source: "orders-db", Changes: []change.Change{{Seq: 1, Op: change.OpInsert, Table: typesTable, After: typesRow}}}
			out, dropped, err := New(p).Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(out.Changes) == 1; got != tc.want || len(dropped) == 1 == tc.want {
				t.Fatalf("kept = %v (dropped %v), want %v", got, dropped, tc.want)
			}
		})
	}
}

func TestTransformer_Filter_HandBuiltExpr(t *testing.T) {
	// (u >= 1 AND name IN ('alice')) OR n IS NULL, built without the parser.
	e := &topology.Expr{Op: topology.OpOr,
		Left: &topology.Expr{Op: topology.OpAnd,
			Left:  &topology.Expr{Op: topology.OpGe, Column: "u", Values: []topology.Literal{{IsNumber: true, Text: "1"}}},
			Right: &topology.Expr{Op: topology.OpIn, Column: "name", Values: []topology.Literal{{Text: "carol"}}}},
		Right: &topology.Expr{Op: topology.OpIsNull, Column: "n"}}
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.kinds", Filter: e}})
	row := append([]any(nil), typesRow...)
	in := &change.Batch{Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: typesTable, After: typesRow}, // n IS NULL
		{Seq: 2, Op: change.OpInsert, Table: typesTable, After: row},
	}}
	row[7] = int32(3) // n no longer NULL, name is not carol
	out, dropped, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Changes) != 1 || out.Changes[0].Seq != 1 || len(dropped) != 1 || dropped[0] != 2 {
		t.Fatalf("kept %v, dropped %v", seqs(out), dropped)
	}
}

func seqs(b *change.Batch) []uint64 {
	var s []uint64
	for _, c := range b.Changes {
		s = append(s, c.Seq)
	}
	return s
}

var orders = &change.Table{Schema: "shop", Name: "orders", Columns: []change.Column{
	{Name: "id", Type: change.TypeLong},
	{Name: "status", Type: change.TypeVarchar, Charset: "utf8mb4"},
	{Name: "email", Type: change.TypeVarchar, Charset: "utf8mb4", Nullable: true},
	{Name: "card", Type: change.TypeVarchar, Charset: "utf8mb4", Nullable: true},
	{Name: "note", Type: change.TypeBlob, Charset: "binary", Nullable: true},
	{Name: "sku", Type: change.TypeLong},
}, PrimaryKey: []int{0}, UniqueKeys: []change.Key{{Name: "uk_sku", Columns: []int{5}}, {Name: "uk_mail", Columns: []int{2, 5}}}}

func orderRow(id int32, status string) []any {
	return []any{id, status, "a@b.c", "4111", []byte("n"), int32(7)}
}

func TestTransformer_FilterImages_PerOp(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Filter: mustFilter(t, "status = 'open'")}})
	open, closed := orderRow(1, "open"), orderRow(1, "closed")
	in := &change.Batch{Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: orders, After: open},
		{Seq: 2, Op: change.OpInsert, Table: orders, After: closed},
		{Seq: 3, Op: change.OpSnapshot, Table: orders, After: open},
		{Seq: 4, Op: change.OpUpdate, Table: orders, Before: open, After: closed},   // leaves the set: kept
		{Seq: 5, Op: change.OpUpdate, Table: orders, Before: closed, After: open},   // enters the set: kept
		{Seq: 6, Op: change.OpUpdate, Table: orders, Before: closed, After: closed}, // outside: dropped
		{Seq: 7, Op: change.OpDelete, Table: orders, Before: open},
		{Seq: 8, Op: change.OpDelete, Table: orders, Before: closed},
		{Seq: 9, Op: change.OpDDL, Table: orders, SQL: "ALTER TABLE orders ADD x INT"}, // DDL is never filtered
	}}
	out, dropped, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(out); !equalU64(got, []uint64{1, 3, 4, 5, 7, 9}) {
		t.Fatalf("kept %v", got)
	}
	if !equalU64(dropped, []uint64{2, 6, 8}) {
		t.Fatalf("dropped %v", dropped)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestTransformer_Projection_IncludeExcludeRenameMask(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cols     topology.ColumnRules
		wantCols []string
		wantRow  []any
		wantPK   []int
		wantUKs  []string
	}{
		{
			name:     "include keeps table order",
			cols:     topology.ColumnRules{Include: []string{"status", "id", "sku", "nosuch"}},
			wantCols: []string{"id", "status", "sku"},
			wantRow:  []any{int32(1), "open", int32(7)},
			wantPK:   []int{0}, wantUKs: []string{"uk_sku"},
		},
		{
			name:     "exclude",
			cols:     topology.ColumnRules{Exclude: []string{"note", "card"}},
			wantCols: []string{"id", "status", "email", "sku"},
			wantRow:  []any{int32(1), "open", "a@b.c", int32(7)},
			wantPK:   []int{0}, wantUKs: []string{"uk_sku", "uk_mail"},
		},
		{
			name:     "rename",
			cols:     topology.ColumnRules{Rename: map[string]string{"status": "state", "id": "order_id"}},
			wantCols: []string{"order_id", "state", "email", "card", "note", "sku"},
			wantRow:  []any{int32(1), "open", "a@b.c", "4111", []byte("n"), int32(7)},
			wantPK:   []int{0}, wantUKs: []string{"uk_sku", "uk_mail"},
		},
		{
			name: "masks",
			cols: topology.ColumnRules{Exclude: []string{"email"},
				Mask: map[string]topology.MaskKind{"card": topology.MaskRedact, "note": topology.MaskNull, "sku": topology.MaskHash}},
			wantCols: []string{"id", "status", "card", "note", "sku"},
			wantRow:  []any{int32(1), "open", "***", nil, sha("7")},
			wantPK:   []int{0}, wantUKs: []string{"uk_sku"},
		},
		{
			name:     "mask then rename in one rule names input columns",
			cols:     topology.ColumnRules{Rename: map[string]string{"card": "pan"}, Mask: map[string]topology.MaskKind{"card": topology.MaskHash}},
			wantCols: []string{"id", "status", "email", "pan", "note", "sku"},
			wantRow:  []any{int32(1), "open", "a@b.c", sha("4111"), []byte("n"), int32(7)},
			wantPK:   []int{0}, wantUKs: []string{"uk_sku", "uk_mail"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Columns: tc.cols}})
			before := orderRow(1, "open")
			in := &change.Batch{Changes: []change.Change{{Seq: 1, Op: change.OpUpdate, Table: orders, Before: before, After: orderRow(1, "open")}}}
			out, _, err := New(p).Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			c := out.Changes[0]
			if c.Table == orders {
				t.Fatal("projected change kept the source table")
			}
			var names []string
			for _, col := range c.Table.Columns {
				names = append(names, col.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.wantCols, ",") {
				t.Fatalf("columns %v, want %v", names, tc.wantCols)
			}
			for _, row := range [][]any{c.Before, c.After} {
				if len(row) != len(tc.wantRow) {
					t.Fatalf("row %v, want %v", row, tc.wantRow)
				}
				for i := range row {
					if !sameValue(row[i], tc.wantRow[i]) {
						t.Fatalf("row[%d] = %#v, want %#v", i, row[i], tc.wantRow[i])
					}
				}
			}
			if !equalInts(c.Table.PrimaryKey, tc.wantPK) {
				t.Fatalf("primary key %v, want %v", c.Table.PrimaryKey, tc.wantPK)
			}
			var uks []string
			for _, k := range c.Table.UniqueKeys {
				uks = append(uks, k.Name)
				for _, i := range k.Columns {
					if i >= len(c.Table.Columns) {
						t.Fatalf("unique key %s points past the columns", k.Name)
					}
				}
			}
			if strings.Join(uks, ",") != strings.Join(tc.wantUKs, ",") {
				t.Fatalf("unique keys %v, want %v", uks, tc.wantUKs)
			}
			if before[1] != "open" || len(orders.Columns) != 6 || orders.Columns[1].Name != "status" {
				t.Fatal("the input row or table was modified")
			}
		})
	}
}

func sameValue(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb)
	}
	return a == b
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTransformer_Projection_MaskedColumnTypes(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Columns: topology.ColumnRules{
		Mask: map[string]topology.MaskKind{"sku": topology.MaskHash, "card": topology.MaskRedact, "note": topology.MaskNull}}}})
	in := &change.Batch{Changes: []change.Change{{Seq: 1, Op: change.OpInsert, Table: orders,
		After: []any{int32(1), "open", nil, nil, []byte("x"), int32(7)}}}}
	out, _, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	tbl := out.Changes[0].Table
	if c := tbl.Columns[5]; c.Type != change.TypeVarchar || c.ColumnType != "varchar(64)" || c.Name != "sku" {
		t.Fatalf("hashed column = %+v", c)
	}
	if c := tbl.Columns[3]; c.ColumnType != "varchar(3)" {
		t.Fatalf("redacted column = %+v", c)
	}
	if c := tbl.Columns[4]; !c.Nullable || c.Type != change.TypeBlob {
		t.Fatalf("nulled column = %+v", c)
	}
	// NULL stays NULL under redact.
	if v := out.Changes[0].After[3]; v != nil {
		t.Fatalf("redacted NULL = %#v", v)
	}
}

func TestTransformer_Cascade_TransformsSeePreviousNames(t *testing.T) {
	p := pipelineOf(
		[]*topology.TableRule{{Pattern: "shop.*", Topic: "shop-all", Columns: topology.ColumnRules{
			Exclude: []string{"note"}, Rename: map[string]string{"status": "state"}}}},
		&topology.Transform{Name: "pii", Tables: []*topology.TableRule{
			{Pattern: "shop.items"}, // no match for orders: first match wins per transform
			{Pattern: "shop.ord*", Filter: mustFilter(t, "status != 'draft'"), Columns: topology.ColumnRules{
				Mask: map[string]topology.MaskKind{"email": topology.MaskHash}, Rename: map[string]string{"state": "st"}}},
		}},
		&topology.Transform{Name: "topics", Tables: []*topology.TableRule{{Pattern: "shop.orders", Topic: "orders-v2",
			Columns: topology.ColumnRules{Exclude: []string{"card"}}}}},
	)
	in := &change.Batch{Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: orders, After: orderRow(1, "open")},
		{Seq: 2, Op: change.OpInsert, Table: orders, After: orderRow(2, "draft")},
	}}
	out, dropped, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Changes) != 1 || !equalU64(dropped, []uint64{2}) {
		t.Fatalf("kept %v dropped %v", seqs(out), dropped)
	}
	c := out.Changes[0]
	var names []string
	for _, col := range c.Table.Columns {
		names = append(names, col.Name)
	}
	if got := strings.Join(names, ","); got != "id,st,email,sku" {
		t.Fatalf("columns %s", got)
	}
	if c.After[2] != sha("a@b.c") || c.After[1] != "open" || c.Topic != "orders-v2" {
		t.Fatalf("row %v topic %s", c.After, c.Topic)
	}
}

func TestTransformer_Topics(t *testing.T) {
	items := &change.Table{Schema: "shop", Name: "items", Columns: []change.Column{{Name: "id"}}, PrimaryKey: []int{0}}
	users := &change.Table{Schema: "crm", Name: "users", Columns: []change.Column{{Name: "id"}}, PrimaryKey: []int{0}}
	secret := &change.Table{Schema: "crm", Name: "secrets", Columns: []change.Column{{Name: "id"}}, PrimaryKey: []int{0}}
	p := pipelineOf([]*topology.TableRule{
		{Pattern: "shop.orders", Topic: "orders"},
		{Pattern: "shop.*"},
		{Pattern: "crm.*"},
	}, &topology.Transform{Name: "t", Tables: []*topology.TableRule{{Pattern: "crm.users", Topic: "people"}}})
	p.Source.Objects.Exclude = []string{"crm.secrets"}
	row := []any{int32(1)}
	in := &change.Batch{Source: "orders-db", Mark: &change.Mark{Seq: 8}, Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: orders, After: orderRow(1, "open"), Size: 10},
		{Seq: 2, Op: change.OpInsert, Table: items, After: row, Size: 20},
		{Seq: 3, Op: change.OpInsert, Table: users, After: row, Size: 30},
		{Seq: 4, Op: change.OpInsert, Table: secret, After: row, Size: 40},
		{Seq: 5, Op: change.OpDDL, Table: items, SQL: "ALTER TABLE items ADD y INT", Size: 50},
		{Seq: 6, Op: change.OpDDL, Table: nil, SQL: "CREATE DATABASE x", Size: 60},
		{Seq: 7, Op: change.OpDDL, Table: secret, SQL: "ALTER TABLE secrets ADD z INT", Size: 70},
		{Seq: 8, Op: change.OpDelete, Table: orders, Before: orderRow(1, "open"), Size: 80},
	}}
	out, dropped, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]string{1: "orders", 2: "main-topic", 3: "people", 5: "ddl-topic", 6: "ddl-topic", 8: "orders"}
	if len(out.Changes) != len(want) {
		t.Fatalf("kept %v", seqs(out))
	}
	for _, c := range out.Changes {
		if c.Topic != want[c.Seq] {
			t.Errorf("seq %d topic %q, want %q", c.Seq, c.Topic, want[c.Seq])
		}
	}
	if !equalU64(dropped, []uint64{4, 7}) {
		t.Fatalf("dropped %v", dropped)
	}
	if out.Source != "orders-db" || out.Mark != in.Mark || out.Bytes != 10+20+30+50+60+80 {
		t.Fatalf("batch source %q mark %v bytes %d", out.Source, out.Mark, out.Bytes)
	}
	for _, c := range in.Changes {
		if c.Topic != "" {
			t.Fatal("input changes were modified")
		}
	}
	// Without a DDL topic, DDL goes to the sink's topic.
	p.Sink.DDLTopic = ""
	out, _, _ = New(p).Apply(&change.Batch{Changes: in.Changes[5:6]})
	if out.Changes[0].Topic != "main-topic" {
		t.Fatalf("DDL topic without DDLTopic = %q", out.Changes[0].Topic)
	}
}

func TestTransformer_EmptyOutputKeepsMark(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Filter: mustFilter(t, "id < 0")}})
	m := &change.Mark{Seq: 3, Pos: change.Position{File: "mysql-bin.000001", Pos: 900}}
	in := &change.Batch{Source: "s", Mark: m, Changes: []change.Change{
		{Seq: 2, Op: change.OpInsert, Table: orders, After: orderRow(1, "open")},
		{Seq: 3, Op: change.OpInsert, Table: orders, After: orderRow(2, "open")},
	}}
	out, dropped, err := New(p).Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Changes) != 0 || out.Mark != m || !equalU64(dropped, []uint64{2, 3}) {
		t.Fatalf("out %+v dropped %v", out, dropped)
	}
}

func TestTransformer_Errors_AreTerminalAndSayWhere(t *testing.T) {
	pos := change.Position{File: "mysql-bin.000004", Pos: 777}
	for _, tc := range []struct {
		name string
		rule *topology.TableRule
		want []string
	}{
		{"filter on a missing column", &topology.TableRule{Pattern: "shop.*", Filter: mustFilter(t, "stauts = 'open'")},
			[]string{`"stauts"`, "shop.orders", "mysql-bin.000004:777", `rule "shop.*"`, "status"}},
		{"primary key excluded", &topology.TableRule{Pattern: "shop.orders", Columns: topology.ColumnRules{Include: []string{"status"}}},
			[]string{`primary key column "id"`, "mask it"}},
		{"rename collision", &topology.TableRule{Pattern: "shop.orders", Columns: topology.ColumnRules{Rename: map[string]string{"email": "status"}}},
			[]string{`two output columns are named "status"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pipelineOf([]*topology.TableRule{tc.rule})
			_, _, err := New(p).Apply(&change.Batch{Source: "orders-db", Changes: []change.Change{
				{Seq: 1, Op: change.OpInsert, Table: orders, After: orderRow(1, "open"), Pos: pos}}})
			if err == nil || !errkind.IsTerminal(err) {
				t.Fatalf("err = %v, want a terminal error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
	// The key of a table without primary key is its first unique key.
	nopk := &change.Table{Schema: "shop", Name: "nopk", Columns: orders.Columns, UniqueKeys: orders.UniqueKeys}
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.nopk", Columns: topology.ColumnRules{Exclude: []string{"sku"}}}})
	_, _, err := New(p).Apply(&change.Batch{Changes: []change.Change{{Seq: 1, Op: change.OpInsert, Table: nopk, After: orderRow(1, "x")}}})
	if err == nil || !strings.Contains(err.Error(), "uk_sku") {
		t.Fatalf("err = %v", err)
	}
	// A row change without a table is a bug upstream, not a row to drop.
	_, _, err = New(p).Apply(&change.Batch{Changes: []change.Change{{Seq: 1, Op: change.OpInsert}}})
	if !errkind.IsTerminal(err) {
		t.Fatalf("err = %v", err)
	}
}

func TestTransformer_PassThrough_SharesRowsAndDoesNotAllocate(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Topic: "orders", Filter: mustFilter(t, "status = 'open' AND id >= 0")}})
	tr := New(p)
	in := &change.Batch{Source: "s"}
	for i := range 1000 {
		in.Changes = append(in.Changes, change.Change{Seq: uint64(i + 1), Op: change.OpInsert, Table: orders,
			After: orderRow(int32(i), []string{"open", "closed"}[i%10/9]), Size: 100})
	}
	out := &change.Batch{Changes: make([]change.Change, 0, len(in.Changes))}
	dropped := make([]uint64, 0, len(in.Changes))
	run := func() {
		out.Changes, out.Bytes = out.Changes[:0], 0
		var err error
		if dropped, err = tr.AppendTo(out, dropped[:0], in); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if len(out.Changes) != 900 || len(dropped) != 100 {
		t.Fatalf("kept %d dropped %d", len(out.Changes), len(dropped))
	}
	if &out.Changes[0].After[0] != &in.Changes[0].After[0] {
		t.Fatal("pass-through change does not share the input row")
	}
	if a := testing.AllocsPerRun(50, run); a != 0 {
		t.Fatalf("%v allocations per 1000-change pass-through batch", a)
	}
}

func TestTransformer_Projection_AllocatesPerBatchNotPerRow(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Columns: topology.ColumnRules{
		Exclude: []string{"note"}, Mask: map[string]topology.MaskKind{"card": topology.MaskRedact}}}})
	tr := New(p)
	in := &change.Batch{}
	for i := range 1000 {
		in.Changes = append(in.Changes, change.Change{Seq: uint64(i + 1), Op: change.OpUpdate, Table: orders,
			Before: orderRow(int32(i), "open"), After: orderRow(int32(i), "closed")})
	}
	out := &change.Batch{Changes: make([]change.Change, 0, len(in.Changes))}
	run := func() {
		out.Changes = out.Changes[:0]
		if _, err := tr.AppendTo(out, nil, in); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if a := testing.AllocsPerRun(20, run); a > 2 {
		t.Fatalf("%v allocations per 1000-change projected batch", a)
	}
}

func TestTransformer_NewTableVersionResolvesAgain(t *testing.T) {
	p := pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Filter: mustFilter(t, "status = 'open'")}})
	tr := New(p)
	v1 := &change.Table{Schema: "shop", Name: "orders", Columns: []change.Column{{Name: "id"}, {Name: "status"}}, PrimaryKey: []int{0}}
	v2 := &change.Table{Schema: "shop", Name: "orders", Columns: []change.Column{{Name: "id"}, {Name: "extra"}, {Name: "status"}}, PrimaryKey: []int{0}}
	out, _, err := tr.Apply(&change.Batch{Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: v1, After: []any{int32(1), "open"}},
		{Seq: 2, Op: change.OpInsert, Table: v2, After: []any{int32(2), "open", "x"}}, // status is column 2 now: "x"
		{Seq: 3, Op: change.OpInsert, Table: v2, After: []any{int32(3), "x", "open"}},
		{Seq: 4, Op: change.OpInsert, Table: v1, After: []any{int32(4), "open"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(out); !equalU64(got, []uint64{1, 3, 4}) {
		t.Fatalf("kept %v", got)
	}
}

func BenchmarkTransformer_PassThroughFiltered(b *testing.B) {
	e, _ := topology.ParseFilter("status = 'open' AND id > 0")
	tr := New(pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Filter: e}}))
	in := &change.Batch{}
	for i := range 1000 {
		in.Changes = append(in.Changes, change.Change{Seq: uint64(i + 1), Op: change.OpInsert, Table: orders, After: orderRow(int32(i), "open")})
	}
	out := &change.Batch{Changes: make([]change.Change, 0, 1000)}
	b.ReportAllocs()
	for b.Loop() {
		out.Changes = out.Changes[:0]
		_, _ = tr.AppendTo(out, nil, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/row")
}

func BenchmarkTransformer_Projected(b *testing.B) {
	tr := New(pipelineOf([]*topology.TableRule{{Pattern: "shop.orders", Columns: topology.ColumnRules{
		Exclude: []string{"note"}, Rename: map[string]string{"status": "state"}, Mask: map[string]topology.MaskKind{"card": topology.MaskRedact}}}}))
	in := &change.Batch{}
	for i := range 1000 {
		in.Changes = append(in.Changes, change.Change{Seq: uint64(i + 1), Op: change.OpInsert, Table: orders, After: orderRow(int32(i), "open")})
	}
	out := &change.Batch{Changes: make([]change.Change, 0, 1000)}
	b.ReportAllocs()
	for b.Loop() {
		out.Changes = out.Changes[:0]
		_, _ = tr.AppendTo(out, nil, in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1000), "ns/row")
}

func TestTransformer_PartitionKey_FollowsRenames(t *testing.T) {
	p := pipelineOf(
		[]*topology.TableRule{{Pattern: "shop.orders", PartitionKey: []string{"sku"}}, {Pattern: "shop.*"}},
		&topology.Transform{Name: "r", Tables: []*topology.TableRule{{Pattern: "shop.orders",
			Columns: topology.ColumnRules{Rename: map[string]string{"sku": "article", "status": "state"}}}}},
		&topology.Transform{Name: "k", Tables: []*topology.TableRule{{Pattern: "shop.*",
			PartitionKey: []string{"state", "article"}, Columns: topology.ColumnRules{Rename: map[string]string{"state": "st"}}}}},
	)
	items := &change.Table{Schema: "shop", Name: "items", Columns: []change.Column{{Name: "id"}}, PrimaryKey: []int{0}}
	tr := New(p)
	out, _, err := tr.Apply(&change.Batch{Changes: []change.Change{
		{Seq: 1, Op: change.OpInsert, Table: orders, After: orderRow(1, "open")},
		{Seq: 2, Op: change.OpInsert, Table: items, After: []any{int32(1)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.PartitionKey(out.Changes[0].Table); strings.Join(got, ",") != "st,article" {
		t.Fatalf("PartitionKey(orders) = %q", got)
	}
	// items: only the last transform's rule sets a key, naming columns it lacks.
	if got := tr.PartitionKey(out.Changes[1].Table); strings.Join(got, ",") != "state,article" {
		t.Fatalf("PartitionKey(items) = %q", got)
	}
	if got := tr.PartitionKey(orders); got != nil {
		t.Fatalf("PartitionKey of an input table = %q", got)
	}
	tr2 := New(pipelineOf([]*topology.TableRule{{Pattern: "shop.*"}}))
	out, _, _ = tr2.Apply(&change.Batch{Changes: []change.Change{{Seq: 1, Op: change.OpInsert, Table: orders, After: orderRow(1, "x")}}})
	if got := tr2.PartitionKey(out.Changes[0].Table); got != nil {
		t.Fatalf("PartitionKey without rules = %q", got)
	}
}
