package binlogreader

import (
	"unsafe"

	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// ordersTable is a table with one column of most kinds, FULL metadata.
func ordersTable(id uint64) *ttable {
	return &ttable{
		id: id, schema: "shop", name: "orders", full: true, pk: []int{0},
		cols: []tcol{
			{name: "id", typ: change.TypeLongLong, unsigned: true, numeric: true},
			{name: "name", typ: change.TypeVarchar, meta: []byte{40, 0}, charCol: true, collation: 45, nullable: true},
			{name: "status", typ: change.TypeString, meta: []byte{change.TypeEnum, 1}, enumSet: true, collation: 45, enum: []string{"new", "paid", "it's"}},
			{name: "tags", typ: change.TypeString, meta: []byte{change.TypeSet, 1}, enumSet: true, collation: 45, set: []string{"a", "b", "c"}},
			{name: "price", typ: change.TypeNewDecimal, meta: []byte{10, 2}, numeric: true},
			{name: "doc", typ: change.TypeJSON, meta: []byte{4}, nullable: true},
			{name: "created", typ: change.TypeDateTime2, meta: []byte{3}},
			{name: "flags", typ: change.TypeBit, meta: []byte{2, 1}},
			{name: "yr", typ: change.TypeYear, numeric: true},
			{name: "body", typ: change.TypeBlob, meta: []byte{2}, charCol: true, collation: 63},
			{name: "code", typ: change.TypeString, meta: []byte{change.TypeString, 4}, charCol: true, collation: 8},
		},
	}
}

// orderRow encodes a row of ordersTable.
func orderRow(id uint64, name string, status, tags byte, json []byte) []byte {
	var doc []byte
	if json != nil {
		doc = binary.LittleEndian.AppendUint32(nil, uint32(len(json)))
		doc = append(doc, json...)
	}
	var nameV []byte
	if name != "" {
		nameV = str1(name)
	}
	return rowImage([][]byte{
		u64(id), nameV, {status}, {tags},
		{0x80, 0, 0, 0x0c, 0x32}, // 12.50
		doc,
		datetime2ms(2024, 1, 2, 3, 4, 5, 123),
		{0x02, 0x03}, // b'1000000011' = 515
		{124},        // 2024
		blob2("\x00\x01"),
		str1("ab"),
	})
}

var jsonX = []byte{0x0c, 0x01, 'x'} // JSONB string "x"

func TestBuildTable_FullMetadata(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	l.fde()
	ev := l.tableMap(ordersTable(70))
	tbl, fixes, full := buildTable(ev.Event.(*replication.TableMapEvent), "shop", "orders", mysql.MySQLFlavor)
	if !full {
		t.Fatal("full metadata not recognised")
	}
	want := []struct {
		name, colType, charset string
		typ                    byte
		unsigned, nullable     bool
	}{
		{"id", "bigint(20) unsigned", "", change.TypeLongLong, true, false},
		{"name", "varchar(10)", "utf8mb4", change.TypeVarchar, false, true},
		{"status", "enum('new','paid','it''s')", "utf8mb4", change.TypeEnum, false, false},
		{"tags", "set('a','b','c')", "utf8mb4", change.TypeSet, false, false},
		{"price", "decimal(10,2)", "", change.TypeNewDecimal, false, false},
		{"doc", "json", "", change.TypeJSON, false, true},
		{"created", "datetime(3)", "", change.TypeDateTime2, false, false},
		{"flags", "bit(10)", "", change.TypeBit, false, false},
		{"yr", "year(4)", "", change.TypeYear, false, false},
		{"body", "blob", "binary", change.TypeBlob, false, false},
		{"code", "char(4)", "latin1", change.TypeString, false, false},
	}
	if len(tbl.Columns) != len(want) {
		t.Fatalf("%d columns, want %d", len(tbl.Columns), len(want))
	}
	for i, w := range want {
		c := tbl.Columns[i]
		if c.Name != w.name || c.ColumnType != w.colType || c.Charset != w.charset || c.Type != w.typ ||
			c.Unsigned != w.unsigned || c.Nullable != w.nullable {
			t.Errorf("column %d = {%q %q %q type %d unsigned %v nullable %v}, want %+v",
				i, c.Name, c.ColumnType, c.Charset, c.Type, c.Unsigned, c.Nullable, w)
		}
	}
	if p, s := tbl.Columns[4].Precision, tbl.Columns[4].Scale; p != 10 || s != 2 {
		t.Errorf("decimal precision/scale = %d,%d", p, s)
	}
	if s := tbl.Columns[6].Scale; s != 3 {
		t.Errorf("datetime fsp = %d", s)
	}
	if !reflect.DeepEqual(tbl.PrimaryKey, []int{0}) {
		t.Errorf("PrimaryKey = %v", tbl.PrimaryKey)
	}
	if !reflect.DeepEqual(tbl.Columns[2].Elements, []string{"new", "paid", "it's"}) {
		t.Errorf("enum elements = %q", tbl.Columns[2].Elements)
	}
	if len(fixes) != 4 { // enum, set, json, datetime
		t.Errorf("%d value fixes, want 4", len(fixes))
	}
}

func TestBuildTable_MinimalMetadata_PlaceholderNames(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	l.fde()
	tt := ordersTable(71)
	tt.full = false
	ev := l.tableMap(tt)
	tbl, _, full := buildTable(ev.Event.(*replication.TableMapEvent), "shop", "orders", mysql.MariaDBFlavor)
	if full {
		t.Fatal("minimal metadata taken as full")
	}
	if tbl.Columns[0].Name != "col_0" || tbl.Columns[10].Name != "col_10" {
		t.Errorf("names = %q, %q", tbl.Columns[0].Name, tbl.Columns[10].Name)
	}
	if tbl.Columns[2].Type != change.TypeEnum || tbl.Columns[4].ColumnType != "decimal(10,2)" {
		t.Errorf("types lost without metadata: %+v", tbl.Columns[2])
	}
}

func TestStringRealType_LongChar(t *testing.T) {
	// CHAR(255) utf8mb4 = 1020 bytes: MySQL folds bits 8-9 of the length into
	// the type byte (0xfe ^ ((1020 >> 4) & 0x30)).
	length := 1020
	b0 := byte(change.TypeString) ^ byte((length>>4)&0x30)
	meta := uint16(b0)<<8 | uint16(length&0xff)
	tp, n := stringRealType(meta)
	if tp != change.TypeString || n != length {
		t.Fatalf("stringRealType = %d, %d; want %d, %d", tp, n, change.TypeString, length)
	}
	c := change.Column{Type: tp, Charset: "utf8mb4"}
	if got := columnType(&c, n, 0); got != "char(255)" {
		t.Fatalf("columnType = %q", got)
	}
}

func TestStream_MariaDB_TransactionsMarksAndValues(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 100)
	tt := ordersTable(70)
	tt.cols[5] = tcol{name: "doc", typ: change.TypeBlob, meta: []byte{4}, charCol: true, collation: 45, nullable: true} // MariaDB JSON is LONGTEXT
	// Rows with a LONGTEXT doc column.
	mk := func(id uint64, name string, status, tags byte) []byte {
		doc := binary.LittleEndian.AppendUint32(nil, 2)
		doc = append(doc, "{}"...)
		return rowImage([][]byte{
			u64(id), str1(name), {status}, {tags}, {0x80, 0, 0, 0x0c, 0x32}, doc,
			datetime2ms(2024, 1, 2, 3, 4, 5, 123), {0x02, 0x03}, {124}, blob2("\x00\x01"), str1("ab"),
		})
	}
	feed(s, l.rotate("bin.000001", 4, true), l.fde())
	feed(s,
		l.mariaGTID(0, 10, false),
		l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, mk(1, "Ann", 2, 5), mk(2, "Bob", 0, 0)),
	)
	xid1 := l.xid(1)
	feed(s, xid1)
	feed(s, l.mariaGTID(0, 11, true))
	ddl := l.query("shop", "ALTER TABLE orders ADD COLUMN note TEXT")
	feed(s, ddl)
	feed(s,
		l.mariaGTID(0, 12, false),
		l.tableMap(tt),
		l.rows(replication.UPDATE_ROWS_EVENTv1, tt, mk(1, "Ann", 2, 5), mk(1, "Anna", 3, 6)),
		l.tableMap(tt),
		l.rows(replication.DELETE_ROWS_EVENTv1, tt, mk(2, "Bob", 0, 0)),
	)
	xid3 := l.xid(3)
	feed(s, xid3)

	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 5 {
		t.Fatalf("%d changes, want 5", len(b.Changes))
	}
	ops := []change.Op{change.OpInsert, change.OpInsert, change.OpDDL, change.OpUpdate, change.OpDelete}
	rows := []uint32{0, 1, 0, 0, 1}
	gtids := []string{"0-1-10", "0-1-10", "0-1-11", "0-1-12", "0-1-12"}
	for i, c := range b.Changes {
		if c.Seq != uint64(100+i) || c.Op != ops[i] || c.Row != rows[i] || c.Pos.GTID != gtids[i] || c.Pos.File != "bin.000001" {
			t.Errorf("change %d: seq %d op %v row %d pos %+v", i, c.Seq, c.Op, c.Row, c.Pos)
		}
		if c.Size <= 0 {
			t.Errorf("change %d has no size", i)
		}
		// Debezium's source.server_id: the event header's, not 0.
		if c.ServerID != testServerID {
			t.Errorf("change %d: server id %d, want the event header's %d", i, c.ServerID, testServerID)
		}
	}
	sum := 0
	for _, c := range b.Changes {
		sum += c.Size
	}
	if b.Bytes != sum {
		t.Errorf("Bytes = %d, sum of sizes %d", b.Bytes, sum)
	}
	ins := b.Changes[0]
	if ins.Table.QualifiedName() != "shop.orders" || ins.Before != nil {
		t.Errorf("insert: table %s before %v", ins.Table.QualifiedName(), ins.Before)
	}
	wantAfter := []any{uint64(1), "Ann", "paid", "a,c", "12.50", []byte("{}"), "2024-01-02 03:04:05.123", int64(515), 2024, []byte{0, 1}, "ab"}
	if !reflect.DeepEqual(ins.After, wantAfter) {
		t.Errorf("insert values\n got %#v\nwant %#v", ins.After, wantAfter)
	}
	if b.Changes[1].After[2] != "" || b.Changes[1].After[3] != "" {
		t.Errorf("enum 0 / empty set = %#v, %#v", b.Changes[1].After[2], b.Changes[1].After[3])
	}
	d := b.Changes[2]
	if d.SQL != "ALTER TABLE orders ADD COLUMN note TEXT" || d.Schema != "shop" || d.Table == nil || d.Table.QualifiedName() != "shop.orders" {
		t.Errorf("ddl = %+v", d)
	}
	if d.Pos.Pos != ddl.Header.LogPos {
		t.Errorf("ddl pos %d, want %d", d.Pos.Pos, ddl.Header.LogPos)
	}
	up := b.Changes[3]
	if up.Before[1] != "Ann" || up.After[1] != "Anna" || up.After[2] != "it's" || up.After[3] != "b,c" {
		t.Errorf("update before %v after %v", up.Before, up.After)
	}
	if del := b.Changes[4]; del.After != nil || del.Before[0] != uint64(2) {
		t.Errorf("delete = %+v", del)
	}
	if b.Changes[0].Table != b.Changes[3].Table {
		t.Error("identical TABLE_MAPs produced two *change.Table")
	}
	m := b.Mark
	if m == nil {
		t.Fatal("no mark")
	}
	if m.Seq != 104 || m.Pos != (change.Position{File: "bin.000001", Pos: xid3.Header.LogPos}) || m.GTIDSet != "0-1-12" || m.Time != l.ts {
		t.Errorf("mark = %+v", m)
	}
}

// TestStream_EventRowCountsWithinTheRowsEvent pins Debezium's source.row:
// it was the row's index in the transaction (0,1,2,3,4 over rows events of
// 2, 2 and 1 rows); Debezium writes the index within the event, 0,1,0,1,0.
// Change.Row keeps the transaction index the sluice.row header carries.
func TestStream_EventRowCountsWithinTheRowsEvent(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 1)
	tt := ordersTable(70)
	feed(s, l.rotate("bin.000001", 4, true), l.fde())
	feed(s,
		l.mariaGTID(0, 10, false),
		l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, orderRow(1, "a", 1, 0, nil), orderRow(2, "b", 1, 0, nil)),
		l.tableMap(tt),
		l.rows(replication.UPDATE_ROWS_EVENTv1, tt,
			orderRow(1, "a", 1, 0, nil), orderRow(1, "A", 1, 0, nil),
			orderRow(2, "b", 1, 0, nil), orderRow(2, "B", 1, 0, nil)),
		l.tableMap(tt),
		l.rows(replication.DELETE_ROWS_EVENTv1, tt, orderRow(1, "A", 1, 0, nil)),
		l.xid(1),
	)
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	var eventRows, txnRows []uint32
	for _, c := range b.Changes {
		eventRows, txnRows = append(eventRows, c.EventRow), append(txnRows, c.Row)
	}
	if !reflect.DeepEqual(eventRows, []uint32{0, 1, 0, 1, 0}) || !reflect.DeepEqual(txnRows, []uint32{0, 1, 2, 3, 4}) {
		t.Errorf("event rows %v, transaction rows %v; want [0 1 0 1 0] and [0 1 2 3 4]", eventRows, txnRows)
	}
}

func TestStream_MarkOnlyForUnselectedTransaction(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, func(db, table string) bool { return table != "orders" }, "0-1-9", 7)
	tt := ordersTable(70)
	feed(s, l.fde(), l.mariaGTID(0, 10, false), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, orderRow(1, "Ann", 1, 1, jsonX)))
	x := l.xid(1)
	feed(s, x)
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 0 {
		t.Fatalf("unselected table leaked %d changes", len(b.Changes))
	}
	if b.Mark == nil || b.Mark.Seq != 6 || b.Mark.Pos.Pos != x.Header.LogPos || b.Mark.GTIDSet != "0-1-10" {
		t.Fatalf("mark = %+v; want seq 6 (nothing assigned yet), pos %d", b.Mark, x.Header.LogPos)
	}
	// Nothing more: an empty batch without Mark after maxWait.
	b, err = s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil || len(b.Changes) != 0 || b.Mark != nil {
		t.Fatalf("idle ReadBatch = %+v, %v", b, err)
	}
}

func TestStream_SplitsLargeTransactionByBytes(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-4", 1)
	tt := ordersTable(70)
	feed(s, l.fde(), l.mysqlGTID(5), l.query("shop", "BEGIN"))
	const events, perEvent = 10, 10
	for e := 0; e < events; e++ {
		var imgs [][]byte
		for r := 0; r < perEvent; r++ {
			imgs = append(imgs, orderRow(uint64(e*perEvent+r), "name", 1, 1, jsonX))
		}
		feed(s, l.tableMap(tt), l.rows(replication.WRITE_ROWS_EVENTv2, tt, imgs...))
	}
	x := l.xid(9)
	feed(s, x)

	one := 0
	batches := readAll(t, s, 1) // one change per batch: every batch is "full"
	var seqs []uint64
	var marks []*change.Mark
	for _, b := range batches {
		for _, c := range b.Changes {
			seqs = append(seqs, c.Seq)
			if one == 0 {
				one = c.Size
			}
		}
		if len(b.Changes) > 1 {
			t.Fatalf("batch of %d changes with maxBytes 1", len(b.Changes))
		}
		if b.Mark != nil {
			marks = append(marks, b.Mark)
		}
	}
	if len(seqs) != events*perEvent {
		t.Fatalf("%d changes, want %d", len(seqs), events*perEvent)
	}
	for i, q := range seqs {
		if q != uint64(i+1) {
			t.Fatalf("seq[%d] = %d", i, q)
		}
	}
	if len(marks) != 1 || marks[0].Seq != events*perEvent || marks[0].Pos.Pos != x.Header.LogPos ||
		marks[0].GTIDSet != "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-5" {
		t.Fatalf("marks = %+v; want one, at the commit", marks)
	}

	// With a budget of ~3.5 changes, batches hold 4 (filling stops once reached).
	s2 := testStream(t, mysql.MySQLFlavor, nil, "", 1)
	l2 := newBinlog(t, mysql.MySQLFlavor)
	feed(s2, l2.fde(), l2.mysqlGTID(5), l2.query("shop", "BEGIN"), l2.tableMap(tt))
	var imgs [][]byte
	for r := 0; r < 10; r++ {
		imgs = append(imgs, orderRow(uint64(r), "name", 1, 1, jsonX))
	}
	feed(s2, l2.rows(replication.WRITE_ROWS_EVENTv2, tt, imgs...), l2.xid(1))
	b, err := s2.ReadBatch(t.Context(), one*3+one/2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 4 || b.Mark != nil || b.Bytes < one*3+one/2 {
		t.Fatalf("first batch: %d changes, %d bytes, mark %v", len(b.Changes), b.Bytes, b.Mark)
	}
}

func TestStream_MySQL_GTIDSetAndRotate(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-4", 1)
	tt := ordersTable(70)
	feed(s, l.fde())
	for gno := int64(5); gno <= 7; gno++ {
		feed(s, l.mysqlGTID(gno), l.query("shop", "BEGIN"), l.tableMap(tt),
			l.rows(replication.WRITE_ROWS_EVENTv2, tt, orderRow(uint64(gno), "n", 1, 1, jsonX)), l.xid(uint64(gno)))
	}
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 3 || b.Changes[2].Pos.GTID != "3e11fa47-71ca-11e1-9e33-c80aa9429563:7" {
		t.Fatalf("changes = %d, last gtid %q", len(b.Changes), b.Changes[len(b.Changes)-1].Pos.GTID)
	}
	if b.Mark.GTIDSet != "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-7" || b.Mark.Seq != 3 {
		t.Fatalf("mark = %+v", b.Mark)
	}
	// A real rotate moves the resume point to the next file.
	feed(s, l.rotate("bin.000002", 4, false))
	b, err = s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Mark == nil || b.Mark.Pos != (change.Position{File: "bin.000002", Pos: 4}) || b.Mark.Seq != 3 {
		t.Fatalf("mark after rotate = %+v", b.Mark)
	}
}

func TestStream_CompressedTransactionPayload(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-4", 1)
	tt := ordersTable(70)
	inner := [][]byte{
		frame(replication.QUERY_EVENT, l.ts, 0, queryBody("shop", "BEGIN"), false),
		frame(replication.TABLE_MAP_EVENT, l.ts, 0, tableMapBody(tt), false),
		frame(replication.WRITE_ROWS_EVENTv2, l.ts, 0, rowsBody(tt, true, false, true,
			orderRow(1, "Ann", 2, 3, jsonX), orderRow(2, "Bob", 1, 0, []byte{})), false),
		frame(replication.XID_EVENT, l.ts, 0, u64(42), false),
	}
	feed(s, l.fde(), l.mysqlGTID(5))
	p := l.payload(inner...)
	feed(s, p)
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 2 {
		t.Fatalf("%d changes from the payload, want 2", len(b.Changes))
	}
	if got := b.Changes[0].After; got[1] != "Ann" || got[2] != "paid" || got[3] != "a,b" || got[5] != `"x"` {
		t.Errorf("payload row 0 = %#v", got)
	}
	if got := b.Changes[1].After[5]; got != "null" {
		t.Errorf("empty JSON document = %#v, want \"null\"", got)
	}
	if b.Changes[1].Row != 1 || b.Changes[1].Pos.GTID != "3e11fa47-71ca-11e1-9e33-c80aa9429563:5" {
		t.Errorf("row/gtid = %d %q", b.Changes[1].Row, b.Changes[1].Pos.GTID)
	}
	if b.Mark == nil || b.Mark.Pos.Pos != p.Header.LogPos || b.Mark.Seq != 2 ||
		b.Mark.GTIDSet != "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-5" {
		t.Fatalf("mark = %+v, want end of payload %d", b.Mark, p.Header.LogPos)
	}
}

func TestStream_PartialJSONIsTerminal(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "", 1)
	tt := ordersTable(70)
	// binlog_row_value_options in the after image: 0 (this row has no diff).
	after := append([]byte{0}, orderRow(1, "Ann", 2, 3, jsonX)...)
	feed(s, l.fde(), l.mysqlGTID(5), l.query("shop", "BEGIN"), l.tableMap(tt),
		l.rows(replication.PARTIAL_UPDATE_ROWS_EVENT, tt, orderRow(1, "Ann", 1, 1, jsonX), after))
	_, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "binlog_row_value_options") {
		t.Fatalf("err = %v; want terminal, naming binlog_row_value_options", err)
	}
	if _, again := s.ReadBatch(t.Context(), 1<<20, 0); again == nil {
		t.Fatal("stream continued after a terminal error")
	}
}

func TestStream_StatementDMLForSelectedTableIsTerminal(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, func(db, table string) bool { return table == "orders" }, "", 1)
	feed(s, l.fde(), l.mariaGTID(0, 1, false), l.query("shop", "INSERT INTO other VALUES (1)"), l.xid(1))
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil || b.Mark == nil {
		t.Fatalf("unselected statement DML: %v, %+v", err, b)
	}
	feed(s, l.mariaGTID(0, 2, false), l.query("shop", "UPDATE `shop`.`orders` SET x=1"), l.xid(2))
	if _, err := s.ReadBatch(t.Context(), 1<<20, 0); !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "binlog_format=ROW") {
		t.Fatalf("err = %v", err)
	}
}

func TestStream_ReusesTableWhileDefinitionHolds(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	calls := 0
	s := testStream(t, mysql.MariaDBFlavor, func(db, table string) bool { calls++; return true }, "", 1)
	tt := ordersTable(70)
	feed(s, l.fde())
	for i, id := range []uint64{70, 70, 71} { // table ids change per statement after a flush
		tt.id = id
		feed(s, l.mariaGTID(0, uint64(i+1), false), l.tableMap(tt),
			l.rows(replication.WRITE_ROWS_EVENTv1, tt, orderRow(uint64(i), "a", 1, 1, jsonX)), l.xid(1))
	}
	tt.id = 72
	tt.cols[1].meta = []byte{80, 0} // VARCHAR(20): a new definition
	feed(s, l.mariaGTID(0, 9, false), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, orderRow(9, "a", 1, 1, jsonX)), l.xid(1))
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Changes) != 4 {
		t.Fatalf("%d changes", len(b.Changes))
	}
	if b.Changes[0].Table != b.Changes[1].Table || b.Changes[1].Table != b.Changes[2].Table {
		t.Error("same definition, different *change.Table")
	}
	if b.Changes[3].Table == b.Changes[0].Table || b.Changes[3].Table.Columns[1].ColumnType != "varchar(20)" {
		t.Errorf("changed definition kept the old table: %s", b.Changes[3].Table.Columns[1].ColumnType)
	}
	if calls != 2 {
		t.Errorf("Select called %d times, want once per definition (2)", calls)
	}
}

func TestStream_HeartbeatMarksCaughtUp(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "", 1)
	feed(s, l.fde(), l.event(replication.HEARTBEAT_EVENT, []byte("bin.000001")))
	b, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil || len(b.Changes) != 0 || b.Mark != nil {
		t.Fatalf("heartbeat batch = %+v, %v", b, err)
	}
	if s.Progress().CaughtUpAt.IsZero() {
		t.Fatal("heartbeat at a boundary did not record CaughtUpAt")
	}
}

func TestStream_CloseEndsBlockedRead(t *testing.T) {
	s := testStream(t, mysql.MariaDBFlavor, nil, "", 1)
	done := make(chan error, 1)
	go func() {
		_, err := s.ReadBatch(t.Context(), 1<<20, time.Hour)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	s.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("ReadBatch returned no error after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a blocked ReadBatch")
	}
}

func TestStream_ReadToBoundary_StopsAtTheFirstCommit(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "", 1)
	tt := ordersTable(70)
	feed(s, l.fde())
	for txn := 0; txn < 2; txn++ {
		feed(s, l.mysqlGTID(int64(5+txn)), l.query("shop", "BEGIN"), l.tableMap(tt),
			l.rows(replication.WRITE_ROWS_EVENTv2, tt, orderRow(uint64(2*txn), "a", 1, 1, jsonX), orderRow(uint64(2*txn+1), "b", 1, 1, jsonX)),
			l.xid(uint64(10+txn)))
	}
	// Mid-transaction: one change read so far.
	first, err := s.ReadBatch(t.Context(), 1, 0)
	if err != nil || len(first.Changes) != 1 || first.Mark != nil {
		t.Fatalf("first read: %+v, %v; want one change, no mark", first, err)
	}
	rest, err := s.ReadToBoundary(t.Context(), 1<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Changes) != 1 || rest.Mark == nil || rest.Mark.Seq != rest.LastSeq() {
		t.Fatalf("ReadToBoundary: %d changes, mark %+v; want the one change left and a mark at its commit", len(rest.Changes), rest.Mark)
	}
	next, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if err != nil || len(next.Changes) != 2 {
		t.Fatalf("the second transaction: %d changes, %v; want 2", len(next.Changes), err)
	}
}

// Regression: an UPDATE rows event with an odd number of images lost its
// last before-image without a word.
func TestStream_UpdateWithOddImagesIsCorrupt(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 1)
	tt := ordersTable(70)
	l.parser.SetRowsEventDecodeFunc(nil) // go-mysql decodes the rows: the test edits them
	feed(s, l.rotate("bin.000001", 4, true), l.fde(), l.mariaGTID(0, 10, false), l.tableMap(tt))
	up := l.rows(replication.UPDATE_ROWS_EVENTv1, tt, orderRow(1, "Ann", 1, 1, jsonX), orderRow(1, "Anna", 1, 1, jsonX))
	re := up.Event.(*replication.RowsEvent)
	re.Rows = append(re.Rows, re.Rows[0]) // a before-image without its after-image
	feed(s, up)
	_, err := s.ReadBatch(t.Context(), 1<<20, 0)
	want := fmt.Sprintf("bin.000001:%d", up.Header.LogPos)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "shop.orders") {
		t.Fatalf("err = %v; want terminal, naming %s and shop.orders", err, want)
	}
}

// Regression: a session with binlog_row_image MINIMAL or NOBLOB logs only
// some columns, and the absent ones were published as NULL.
func TestStream_PartialRowImageIsTerminal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typ    replication.EventType
		images int
		cut    func(re *replication.RowsEvent)
	}{
		{"MINIMAL update after image", replication.UPDATE_ROWS_EVENTv1, 2, func(re *replication.RowsEvent) { re.ColumnBitmap2 = []byte{0x02, 0x00} }},
		{"MINIMAL delete", replication.DELETE_ROWS_EVENTv1, 1, func(re *replication.RowsEvent) { re.ColumnBitmap1 = []byte{0x01, 0x00} }},
		{"NOBLOB insert", replication.WRITE_ROWS_EVENTv1, 1, func(re *replication.RowsEvent) { re.ColumnBitmap1 = []byte{0xff, 0x05} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newBinlog(t, mysql.MariaDBFlavor)
			s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 1)
			tt := ordersTable(70)
			feed(s, l.rotate("bin.000001", 4, true), l.fde(), l.mariaGTID(0, 10, false), l.tableMap(tt))
			images := [][]byte{orderRow(1, "Ann", 1, 1, jsonX), orderRow(1, "Anna", 1, 1, jsonX)}[:tc.images]
			ev := l.rows(tc.typ, tt, images...)
			tc.cut(ev.Event.(*replication.RowsEvent))
			feed(s, ev)
			_, err := s.ReadBatch(t.Context(), 1<<20, 0)
			want := fmt.Sprintf("bin.000001:%d", ev.Header.LogPos)
			if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "shop.orders") ||
				!strings.Contains(err.Error(), "SET GLOBAL binlog_row_image=FULL") {
				t.Fatalf("err = %v; want terminal, naming %s, shop.orders and the fix", err, want)
			}
		})
	}
}

// Every change of a transaction carries the GTID set executed with it, the
// transaction included (Canal's FlatMessage gtid), as one shared string.
func TestStream_TransactionGTIDSet(t *testing.T) {
	tt := ordersTable(70)
	row := func(id uint64) []byte { return orderRow(id, "n", 1, 1, jsonX) }

	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9,1-2-5", 1)
	feed(s, l.rotate("bin.000001", 4, true), l.fde(),
		l.mariaGTID(0, 10, false), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, row(1), row(2)), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv1, tt, row(3)), l.xid(1),
		l.mariaGTID(0, 11, true), l.query("shop", "ALTER TABLE orders ADD COLUMN note TEXT"),
		l.mariaGTID(2, 1, false), l.tableMap(tt), l.rows(replication.WRITE_ROWS_EVENTv1, tt, row(4)), l.xid(2))
	var got []*change.Change
	for _, b := range readAll(t, s, 1<<20) {
		for i := range b.Changes {
			got = append(got, &b.Changes[i])
		}
	}
	want := []string{"0-1-10,1-2-5", "0-1-10,1-2-5", "0-1-10,1-2-5", "0-1-11,1-2-5", "0-1-11,1-2-5,2-1-1"}
	if len(got) != len(want) {
		t.Fatalf("%d changes, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.GTIDSet != want[i] {
			t.Errorf("MariaDB change %d (%s %s): GTIDSet %q, want %q", i, c.Op, c.Pos.GTID, c.GTIDSet, want[i])
		}
	}
	if unsafe.StringData(got[0].GTIDSet) != unsafe.StringData(got[2].GTIDSet) {
		t.Error("the changes of one transaction do not share one GTID set string")
	}

	l = newBinlog(t, mysql.MySQLFlavor)
	s = testStream(t, mysql.MySQLFlavor, nil, "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-4", 1)
	feed(s, l.fde(), l.mysqlGTID(5), l.query("shop", "BEGIN"), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv2, tt, row(5)), l.xid(5),
		l.mysqlGTID(7), l.query("shop", "BEGIN"), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv2, tt, row(7)), l.xid(7))
	got = got[:0]
	for _, b := range readAll(t, s, 1<<20) {
		for i := range b.Changes {
			got = append(got, &b.Changes[i])
		}
	}
	want = []string{"3e11fa47-71ca-11e1-9e33-c80aa9429563:1-5", "3e11fa47-71ca-11e1-9e33-c80aa9429563:1-5:7"}
	if len(got) != len(want) {
		t.Fatalf("%d MySQL changes, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.GTIDSet != want[i] {
			t.Errorf("MySQL change %d: GTIDSet %q, want %q", i, c.GTIDSet, want[i])
		}
	}

	// GTIDs off (no GTID events, no set): "".
	l = newBinlog(t, mysql.MySQLFlavor)
	s = testStream(t, mysql.MySQLFlavor, nil, "", 1)
	feed(s, l.fde(), l.query("shop", "BEGIN"), l.tableMap(tt), l.rows(replication.WRITE_ROWS_EVENTv2, tt, row(8)), l.xid(8))
	for _, b := range readAll(t, s, 1<<20) {
		for _, c := range b.Changes {
			if c.GTIDSet != "" {
				t.Errorf("without GTIDs: GTIDSet %q", c.GTIDSet)
			}
		}
	}
}
