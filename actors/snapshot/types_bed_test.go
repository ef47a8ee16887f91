package snapshot

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/charset"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
)

// allTypesRows are INSERT value lists for all_types: extremes, tricky
// strings, zero dates and NULLs.
var allTypesRows = []string{
	`(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
	  -9223372036854775808, 18446744073709551615,
	  '-12345678901234567890123456789012345.123456789012345678901234567890', '-12.50', 1.2345678, 1e-300,
	  b'1', b'101010101010', b'1111111111111111111111111111111111111111111111111111111111111111',
	  '2024-02-29', '-838:59:59.000000', '100:00:01', '1999-12-31 23:59:59', '2024-02-29 12:34:56.000789',
	  '2038-01-19 03:14:07.999', '1970-01-01 00:00:01', 2155,
	  'héllo "wörld"\n😀', _latin1 X'636166e92080', X'0001ff', X'6162', 'abc',
	  'long text\twith tab', X'00deadbeef', 'LONGTEXT ✓', X'', '{"a": [1, 2.5, "x"], "b": null}',
	  'it''s', 'a,c', ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('LINESTRING(0 0, 1 1, 2 3)'))`,
	`(2, 127, 0, 32767, 0, 8388607, 0, 2147483647, 0, 9223372036854775807, 9223372036854775808,
	  '0.000000000000000000000000000001', '0.00', -3.40282e38, -1.7976931348623157e308,
	  b'0', b'0', b'0',
	  '0000-00-00', '838:59:59.999999', '-00:00:01', '0000-00-00 00:00:00', '1000-01-01 00:00:00.000001',
	  '0000-00-00 00:00:00', '2001-02-03 04:05:06', 0,
	  '', '', '', X'00000000', '', '', '', '', NULL, '[]',
	  'small', '', ST_GeomFromText('POINT(-1.5 1e300)', 4326), NULL)`,
	`(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL)`,
	`(4, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, '1', '99999999.99', 0.1, 0.1, b'1', b'111111111111', b'1',
	  '9999-12-31', '00:00:00', '-838:59:59', '9999-12-31 23:59:59', '2024-01-01 00:00:00.5',
	  '2024-06-30 12:00:00.001', '2024-06-30 12:00:00', 1901,
	  'ß', _latin1 X'ff', X'ff', X'ffffffff', 'àèìòù', REPEAT('x', 5000), REPEAT(X'00', 3000), '', X'ff', '{}',
	  'large', 'a,b,c', NULL, ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))`,
}

// mariadbTypesDDL has MariaDB's own types, which the binlog logs as BINARY.
const mariadbTypesDDL = `CREATE TABLE mariadb_types (
  id INT NOT NULL PRIMARY KEY, c_inet6 INET6, c_inet4 INET4, c_uuid UUID
)`

// mariadbTypesRows: the texts are MariaDB's own forms (SELECT on the bed):
// IPv4-mapped and -compatible addresses, one zero word compressed, a
// version-1 UUID.
var mariadbTypesRows = []string{
	`(1, '::1', '10.0.0.1', '123e4567-e89b-12d3-a456-426655440000')`,
	`(2, '2001:db8::ff00:42:8329', '255.255.255.255', '6ccd780c-baba-1026-9564-5b8c656024db')`,
	`(3, '::ffff:1.2.3.4', '0.0.0.0', '00000000-0000-0000-0000-000000000000')`,
	`(4, '1:0:2:3:4:5:6:7', '127.0.0.1', 'ffffffff-ffff-ffff-ffff-ffffffffffff')`,
	`(5, '::', NULL, NULL)`,
	`(6, '::1.2.3.4', '1.2.3.4', '00112233-4455-4677-8899-aabbccddeeff')`,
}

// charsetsDDL has one column per character set Sluice decodes besides
// utf8*, ascii and latin1 (which all_types covers).
const charsetsDDL = `CREATE TABLE charsets (
  id INT NOT NULL PRIMARY KEY,
  c_gbk VARCHAR(20) CHARACTER SET gbk, c_gbk_char CHAR(4) CHARACTER SET gbk, c_gbk_text TEXT CHARACTER SET gbk,
  c_gbk_enum ENUM('甲','乙') CHARACTER SET gbk, c_gbk_set SET('甲','乙') CHARACTER SET gbk,
  c_gb2312 VARCHAR(20) CHARACTER SET gb2312, c_big5 VARCHAR(20) CHARACTER SET big5,
  c_sjis VARCHAR(20) CHARACTER SET sjis, c_cp932 VARCHAR(20) CHARACTER SET cp932, c_ujis VARCHAR(20) CHARACTER SET ujis,
  c_eucjpms VARCHAR(20) CHARACTER SET eucjpms, c_euckr VARCHAR(20) CHARACTER SET euckr,
  c_cp1251 VARCHAR(20) CHARACTER SET cp1251, c_koi8r VARCHAR(20) CHARACTER SET koi8r, c_latin2 VARCHAR(20) CHARACTER SET latin2,
  c_greek VARCHAR(20) CHARACTER SET greek, c_hebrew VARCHAR(20) CHARACTER SET hebrew, c_cp1256 VARCHAR(20) CHARACTER SET cp1256,
  c_ucs2 VARCHAR(20) CHARACTER SET ucs2, c_utf16 VARCHAR(20) CHARACTER SET utf16, c_utf16le VARCHAR(20) CHARACTER SET utf16le,
  c_utf32 VARCHAR(20) CHARACTER SET utf32
)`

// charsetsText is the text of each row's columns after id, as inserted (the
// session is utf8mb4; the server converts it to each column's charset).
var charsetsText = [][]string{
	{"你好世界", "中文", "长文本：汉字", "乙", "甲,乙", "中文", "中文", "日本語", "①日本", "日本語", "日本語", "한국어",
		"Привет", "Привет", "Zażółć", "αβγ", "שלום", "مرحبا", "a中文", "😀x", "中a", "😀"},
	{"", "", "", "甲", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""},
}

func charsetsRows() []string {
	var rows []string
	for i, r := range charsetsText {
		vals := []string{fmt.Sprint(i + 1)}
		for _, v := range r {
			vals = append(vals, "'"+v+"'")
		}
		rows = append(rows, "("+strings.Join(vals, ", ")+")")
	}
	return rows
}

// TestReadChunk_MatchesBinlogDecoder inserts rows of every type, reads them
// back through the binlog reader (with a schema history, as the engine
// does) and through a snapshot chunk, and requires the same Go type and
// value for every column: codecs render snapshot and binlog rows alike only
// if this holds.
func TestReadChunk_MatchesBinlogDecoder(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, tc := range []struct {
		table, ddl string
		rows       []string
	}{
		{"all_types", testbed.AllTypesDDL, allTypesRows},
		// Regression: the binlog gave INET6 and UUID as 16 raw bytes, the
		// snapshot as their text.
		{"mariadb_types", mariadbTypesDDL, mariadbTypesRows},
		{"charsets", charsetsDDL, charsetsRows()},
	} {
		t.Run(tc.table, func(t *testing.T) {
			tbl, snap, _ := matchBinlogDecoder(t, tc.table, tc.ddl, tc.rows)
			if tc.table == "charsets" {
				checkCharsetText(t, tbl, snap)
			}
		})
	}
}

// checkCharsetText requires every text value to decode from its column's
// charset to the text inserted: the bytes are the same on both paths
// (matchBinlogDecoder), so the codecs, which decode with internal/charset,
// write the same text for both.
func checkCharsetText(t *testing.T, tbl *change.Table, rows [][]any) {
	for r, row := range rows {
		for i, c := range tbl.Columns[1:] {
			var got string
			switch v := row[i+1].(type) {
			case string:
				got = v
			case []byte:
				got = string(v)
			}
			if c.Type != change.TypeEnum && c.Type != change.TypeSet {
				d := charset.Lookup(c.Charset)
				if d == nil {
					t.Fatalf("column %s: no decoder for %s", c.Name, c.Charset)
				}
				got = string(charset.AppendUTF8(d, nil, got))
			}
			if want := charsetsText[r][i]; got != want {
				t.Errorf("row %d column %s (%s): %q, want %q", r+1, c.Name, c.Charset, got, want)
			}
		}
	}
}

// matchBinlogDecoder inserts rows into table (created by ddl), reads them
// from the binlog and from a snapshot, and requires equal values. It
// returns the described table and the snapshot's and the binlog's rows.
func matchBinlogDecoder(t *testing.T, table, ddl string, rows []string) (*change.Table, [][]any, [][]any) {
	db := newDB(t, ddl)
	src := bedSource(t)
	conn := dial(t, src)
	start, err := sourcedb.SnapshotPoint(context.Background(), conn, src)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"USE " + sourcedb.QuoteIdent(db), "SET NAMES utf8mb4", "SET time_zone = '+00:00'", "SET sql_mode = ''"}
	for _, r := range rows {
		stmts = append(stmts, "INSERT INTO "+table+" VALUES "+r)
	}
	testbed.AdminExec(t, stmts...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sel := func(d, _ string) bool { return d == db }
	st, err := memstore.Open(memstore.NewDisk(t.Name()), store.Identity{Task: "t"}, memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hist := schema.New(schema.Config{Source: src, Store: st, Select: sel})
	stream, err := binlogreader.Open(ctx, binlogreader.Config{Source: src, Select: sel, History: hist}, binlogreader.Resume{Pos: start.Pos})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var logged []change.Change
	for len(logged) < len(rows) && ctx.Err() == nil {
		b, err := stream.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Changes {
			if c.Op != change.OpDDL {
				logged = append(logged, c)
			}
		}
	}
	if len(logged) != len(rows) {
		t.Fatalf("binlog gave %d changes, want %d", len(logged), len(rows))
	}

	tbl := describe(t, conn, db, table)
	snap, _ := readAll(t, conn, tbl, []Chunk{{}})
	if len(snap) != len(rows) {
		t.Fatalf("snapshot read %d rows, want %d", len(snap), len(rows))
	}
	for r := range snap {
		bin := logged[r]
		if bin.Op != change.OpInsert || len(bin.After) != len(tbl.Columns) {
			t.Fatalf("binlog change %d: %v with %d values", r, bin.Op, len(bin.After))
		}
		for i, c := range tbl.Columns {
			got, want := snap[r][i], bin.After[i]
			if reflect.TypeOf(got) == reflect.TypeOf(want) && reflect.DeepEqual(got, want) {
				continue
			}
			t.Errorf("row %d column %s (%s): snapshot %s, binlog %s", r+1, c.Name, c.ColumnType, show(got), show(want))
		}
		bc := bin.Table.Columns
		for i, c := range tbl.Columns {
			if i < len(bc) && (bc[i].Name != c.Name || bc[i].Type != c.Type || bc[i].Unsigned != c.Unsigned || bc[i].Charset != c.Charset ||
				!reflect.DeepEqual(bc[i].Elements, c.Elements)) && r == 0 {
				t.Errorf("column %d: sourcedb.Describe %+v, binlog table map %+v", i, c, bc[i])
			}
		}
	}
	var binRows [][]any
	for _, c := range logged {
		binRows = append(binRows, c.After)
	}
	return tbl, snap, binRows
}

func show(v any) string { return fmt.Sprintf("%T(%#v)", v, v) }
