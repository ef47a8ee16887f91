package codectest

import (
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
)

// Now is the pinned clock for reproducible output.
func Now() time.Time { return time.UnixMilli(1_700_000_000_123) }

// col builds a column.
func col(name string, typ byte, columnType string, opts ...func(*change.Column)) change.Column {
	c := change.Column{Name: name, Type: typ, ColumnType: columnType, Nullable: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func unsigned(c *change.Column) { c.Unsigned = true }
func notNull(c *change.Column)  { c.Nullable = false }
func charset(cs string) func(*change.Column) {
	return func(c *change.Column) { c.Charset = cs }
}
func meta(m uint16) func(*change.Column) { return func(c *change.Column) { c.Meta = m } }
func decimal(p, s int) func(*change.Column) {
	return func(c *change.Column) { c.Precision, c.Scale = p, s }
}
func elements(e ...string) func(*change.Column) { return func(c *change.Column) { c.Elements = e } }

// TypesTable is shop.all_types: one column of every type family.
func TypesTable() *change.Table {
	return &change.Table{
		Schema: "shop",
		Name:   "all_types",
		Columns: []change.Column{
			col("id", change.TypeLongLong, "bigint(20) unsigned", unsigned, notNull),
			col("c_tiny", change.TypeTiny, "tinyint(4)"),
			col("c_tiny_u", change.TypeTiny, "tinyint(3) unsigned", unsigned),
			col("c_small", change.TypeShort, "smallint(6)"),
			col("c_medium", change.TypeInt24, "mediumint(9)"),
			col("c_medium_u", change.TypeInt24, "mediumint(8) unsigned", unsigned),
			col("c_int", change.TypeLong, "int(11)"),
			col("c_int_u", change.TypeLong, "int(10) unsigned", unsigned),
			col("c_big", change.TypeLongLong, "bigint(20)"),
			col("c_dec", change.TypeNewDecimal, "decimal(65,30)", decimal(65, 30)),
			col("c_float", change.TypeFloat, "float"),
			col("c_double", change.TypeDouble, "double"),
			col("c_bit1", change.TypeBit, "bit(1)", meta(1)),
			col("c_bit64", change.TypeBit, "bit(64)", meta(8<<8)),
			col("c_date", change.TypeDate, "date"),
			col("c_time", change.TypeTime2, "time(6)", decimal(0, 6)),
			col("c_time_long", change.TypeTime2, "time"),
			col("c_datetime", change.TypeDateTime2, "datetime"),
			col("c_datetime6", change.TypeDateTime2, "datetime(6)", decimal(0, 6)),
			col("c_ts3", change.TypeTimestamp2, "timestamp(3)", decimal(0, 3)),
			col("c_year", change.TypeYear, "year(4)"),
			col("c_varchar", change.TypeVarchar, "varchar(64)", charset("utf8mb4")),
			col("c_latin1", change.TypeVarchar, "varchar(16)", charset("latin1")),
			col("c_varbinary", change.TypeVarchar, "varbinary(16)", charset("binary")),
			col("c_binary", change.TypeString, "binary(4)", charset("binary")),
			col("c_char", change.TypeString, "char(8)", charset("utf8mb4")),
			col("c_text", change.TypeBlob, "text", charset("utf8mb4"), meta(2)),
			col("c_blob", change.TypeBlob, "blob", charset("binary"), meta(2)),
			col("c_longtext", change.TypeBlob, "longtext", charset("utf8mb4"), meta(4)),
			col("c_json", change.TypeJSON, "json"),
			col("c_enum", change.TypeEnum, "enum('small','large')", charset("utf8mb4"), elements("small", "large")),
			col("c_set", change.TypeSet, "set('a','b','c')", charset("utf8mb4"), elements("a", "b", "c")),
			col("c_point", change.TypeGeometry, "point"),
			col("c_null", change.TypeLong, "int(11)"),
			col("c_zero_dt", change.TypeDateTime2, "datetime"),
			col("c_empty", change.TypeVarchar, "varchar(8)", charset("utf8mb4")),
		},
		PrimaryKey: []int{0},
		UniqueKeys: []change.Key{{Name: "uk_varchar", Columns: []int{21, 22}}},
	}
}

// pointWKB is POINT(1 2) with SRID 0 as MySQL stores it: 4-byte SRID, then WKB.
var pointWKB = []byte{0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}

// TypesRow returns a row of TypesTable with extreme and tricky values.
func TypesRow() []any {
	return []any{
		uint64(18446744073709551615),
		int8(-128),
		uint8(255),
		int16(-32768),
		int32(-8388608),
		uint32(16777215),
		int32(-2147483648),
		uint32(4294967295),
		int64(-9223372036854775808),
		"-12345678901234567890123456789012345.123456789012345678901234567890",
		float32(0.1),
		float64(1e10),
		int64(1),
		int64(-1), // BIT(64) all ones
		"2024-02-29",
		"-838:59:59.000000",
		"100:00:01",
		"1999-12-31 23:59:59",
		"2024-02-29 12:34:56.000789",
		"2038-01-19 03:14:07.999",
		int(2155),
		"héllo \"wörld\"\n😀",
		"caf\xe9 \x80",
		"\x00\x01\xff",
		"ab\x00\x00",
		"",
		[]byte("long text\twith tab"),
		[]byte{0x00, 0xde, 0xad, 0xbe, 0xef},
		[]byte("LONGTEXT ✓"),
		`{"a": [1, 2.5, "x"], "b": null}`,
		"large",
		"a,c",
		append([]byte(nil), pointWKB...),
		nil,
		"0000-00-00 00:00:00",
		"",
	}
}

// TypesRowUpdated is TypesRow with a few columns changed.
func TypesRowUpdated() []any {
	r := TypesRow()
	r[6] = int32(42)
	r[21] = "changed"
	r[33] = int32(7)    // NULL → 7
	r[26] = []byte(nil) // text → NULL
	r[26] = nil
	return r
}

// BenchTable is shop.orders: ten columns of common types.
func BenchTable() *change.Table {
	return &change.Table{
		Schema: "shop",
		Name:   "orders",
		Columns: []change.Column{
			col("id", change.TypeLongLong, "bigint(20)", notNull),
			col("customer", change.TypeVarchar, "varchar(64)", charset("utf8mb4")),
			col("email", change.TypeVarchar, "varchar(128)", charset("utf8mb4")),
			col("qty", change.TypeLong, "int(11)"),
			col("amount", change.TypeNewDecimal, "decimal(12,2)", decimal(12, 2)),
			col("score", change.TypeDouble, "double"),
			col("created_at", change.TypeDateTime2, "datetime"),
			col("updated_at", change.TypeTimestamp2, "timestamp(3)", decimal(0, 3)),
			col("status", change.TypeTiny, "tinyint(4)"),
			col("note", change.TypeBlob, "text", charset("utf8mb4"), meta(2)),
		},
		PrimaryKey: []int{0},
	}
}

// BenchRow is a typical row of BenchTable.
func BenchRow() []any {
	return []any{
		int64(123456789), "Ada Lovelace", "ada@example.com", int32(3), "1234.50", float64(98.25),
		"2024-05-01 10:20:30", "2024-05-01 10:20:30.123", int8(1), nil,
	}
}

// Pos is the position fixture changes carry.
var Pos = change.Position{File: "mysql-bin.000003", Pos: 4567, GTID: "0-1-42"}

// GTIDSet is the executed GTID set fixture binlog changes carry: Pos's
// GTID in domain 0 and another domain's.
const GTIDSet = "0-1-42,1-2-7"

// ZeroDates is the insert of a row of zero dates, as the binlog reader
// gives them, in NOT NULL columns (the key k among them) and nullable ones
// (named *_null); dt6 has a zero month only.
func ZeroDates() *change.Change {
	tbl := &change.Table{Schema: "shop", Name: "zero", PrimaryKey: []int{0}, Columns: []change.Column{
		col("k", change.TypeDateTime2, "datetime", notNull),
		col("d", change.TypeDate, "date", notNull),
		col("dt6", change.TypeDateTime2, "datetime(6)", notNull, decimal(0, 6)),
		col("ts", change.TypeTimestamp2, "timestamp", notNull),
		col("d_null", change.TypeDate, "date"),
		col("dt_null", change.TypeDateTime2, "datetime"),
		col("ts_null", change.TypeTimestamp2, "timestamp"),
	}}
	row := []any{"0000-00-00 00:00:00", "0000-00-00", "2024-00-15 00:00:00.000000", "0000-00-00 00:00:00",
		"0000-00-00", "0000-00-00 00:00:00", "0000-00-00 00:00:00"}
	return &change.Change{Op: change.OpInsert, Table: tbl, After: row, Pos: Pos}
}

// ServerID is the origin server id of the fixture binlog changes.
const ServerID = 1

// Changes returns one change of every op on TypesTable, keyed by op name
// ("insert", "update", "delete", "snapshot", "ddl"), plus "ddl_db" (a
// database-level statement with no table).
func Changes() map[string]*change.Change {
	t := TypesTable()
	base := func(op change.Op) *change.Change {
		return &change.Change{Seq: 1001, Op: op, EventRow: 1, Table: t, Pos: Pos, Row: 2, GTIDSet: GTIDSet, CommitTime: 1_700_000_000,
			Topic: "cdc", Schema: "shop", ServerID: ServerID}
	}
	ins := base(change.OpInsert)
	ins.After = TypesRow()
	upd := base(change.OpUpdate)
	upd.Before, upd.After = TypesRow(), TypesRowUpdated()
	del := base(change.OpDelete)
	del.Before = TypesRow()
	snap := base(change.OpSnapshot)
	snap.After = TypesRow()
	snap.Pos = change.Position{File: "mysql-bin.000003", Pos: 4}
	snap.ServerID, snap.EventRow, snap.GTIDSet = 0, 0, ""
	ddl := base(change.OpDDL)
	ddl.EventRow = 0
	ddl.SQL = "ALTER TABLE `all_types` ADD COLUMN `c_new` int NULL"
	ddlDB := base(change.OpDDL)
	ddlDB.EventRow = 0
	ddlDB.Table = nil
	ddlDB.SQL = "CREATE DATABASE `shop2`"
	return map[string]*change.Change{
		"insert": ins, "update": upd, "delete": del, "snapshot": snap, "ddl": ddl, "ddl_db": ddlDB,
	}
}

// Ops is the order golden files are checked in.
var Ops = []string{"insert", "update", "delete", "snapshot", "ddl", "ddl_db"}

// BenchChanges are the benchmark's changes on BenchTable: "insert" (one
// image) and "update" (two images).
func BenchChanges() map[string]*change.Change {
	upd := &change.Change{Seq: 1, Op: change.OpUpdate, Table: BenchTable(), Before: BenchRow(), After: BenchRow(),
		Pos: Pos, GTIDSet: GTIDSet, CommitTime: 1_700_000_000}
	upd.After[3] = int32(4)
	ins := &change.Change{Seq: 1, Op: change.OpInsert, Table: upd.Table, After: BenchRow(), Pos: Pos, GTIDSet: GTIDSet,
		CommitTime: 1_700_000_000}
	return map[string]*change.Change{"insert": ins, "update": upd}
}

// Bench runs b over enc for each of BenchChanges, reporting ns and
// allocations per row, with a recycled Record as the writer uses it.
func Bench(b *testing.B, enc func() codec.Encoder) {
	for _, op := range []string{"insert", "update"} {
		b.Run(op, func(b *testing.B) {
			e, c := enc(), BenchChanges()[op]
			var rec codec.Record
			b.ReportAllocs()
			for b.Loop() {
				rec.Reset()
				if err := e.Encode(c, &rec); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(rec.Value)))
		})
	}
}
