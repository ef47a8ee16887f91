package binlogreader

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
)

// matrixDDL has every column type MariaDB logs, in several widths.
const matrixDDL = `CREATE TABLE %s.matrix (
  id BIGINT UNSIGNED PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, dc DECIMAL(65,30), dc2 DECIMAL(10,2), dc5 DECIMAL(5,5), dc18 DECIMAL(18,0),
  b1 BIT(1), b10 BIT(10), b64 BIT(64),
  dte DATE, tm TIME, tm1 TIME(1), tm3 TIME(3), tm6 TIME(6),
  dt DATETIME, dt2 DATETIME(2), dt4 DATETIME(4), dt6 DATETIME(6),
  ts TIMESTAMP NULL, ts3 TIMESTAMP(3) NULL, ts6 TIMESTAMP(6) NULL, yr YEAR,
  ch CHAR(4), vc VARCHAR(32), vcl VARCHAR(300), l1 VARCHAR(16) CHARACTER SET latin1, tx TEXT, mtx MEDIUMTEXT,
  bn BINARY(6), vb VARBINARY(16), bl BLOB, lbl LONGBLOB,
  js JSON, en ENUM('small','large'), st SET('a','b','c'),
  geo POINT, ip4 INET4, ip6 INET6, uu UUID
)`

// matrixRows: extremes, zero and invalid dates (the session allows them),
// dates before 1970, negative times, NULLs.
var matrixRows = []string{
	`(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
	  -3.4e38, 1.7976931348623157e308, '-12345678901234567890123456789012345.123456789012345678901234567890', -0.05, 0.12345, 999999999999999999,
	  b'1', b'1010101010', b'1111111111111111111111111111111111111111111111111111111111111111',
	  '0000-00-00', '-838:59:59', '-00:00:00.5', '-12:34:56.789', '838:59:59.000000',
	  '0000-00-00 00:00:00', '1969-12-31 23:59:59.99', '2024-02-30 12:00:00.1234', '1000-01-01 00:00:00.000001',
	  '0000-00-00 00:00:00', '1970-01-01 00:00:01.001', '2038-01-19 03:14:07.999999', 1901,
	  'ab', 'héllo wörld ✓', REPEAT('x', 300), 'café', 'some text', REPEAT('m', 1000),
	  x'0102', x'00ff10', x'000102', REPEAT(x'ab', 70000),
	  '{"k": [1, "x", null], "n": 1.50}', 'large', 'a,c',
	  ST_GeomFromText('POINT(1 2)'), '10.0.0.1', '::ffff:1.2.3.4', '123e4567-e89b-12d3-a456-426655440000')`,
	`(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'0', b'0', b'0',
	  '2024-02-29', '00:00:00', '00:00:00.0', '00:00:00.000', '00:00:00.000000',
	  '2024-00-15 10:00:00', '9999-12-31 23:59:59.99', '2000-01-31 00:00:00', '1969-07-20 20:17:40.123456',
	  '2000-01-01 00:00:00', '2024-05-06 07:08:09.654', '1999-12-31 23:59:59.000001', 2155,
	  '', '', '', '', '', '', x'', x'', x'', x'', 'null', '', '',
	  ST_GeomFromText('POINT(0 0)'), '0.0.0.0', '::', '00000000-0000-0000-0000-000000000000')`,
	`(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
}

// TestRowDecoder_Bed_TypeMatrix reads the same binlog of the real MariaDB
// twice, with the row decoder and with go-mysql's, and compares every value
// and every format's record: inserts, updates of every column and deletes.
func TestRowDecoder_Bed_TypeMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, fmt.Sprintf(matrixDDL, "`"+db+"`"))
	pos := testbed.BinlogPosition(t)
	q := "`" + db + "`.matrix"
	testbed.AdminExec(t,
		"SET SESSION sql_mode = 'ALLOW_INVALID_DATES'", "SET time_zone = '+00:00'",
		"INSERT INTO "+q+" VALUES "+strings.Join(matrixRows, ","),
		"UPDATE "+q+" SET ti = ti + 1, dc = -dc, dt6 = '2001-02-03 04:05:06.7', tm6 = '-01:02:03.000004', en = 'small', st = 'b', ip4 = '192.168.0.1' WHERE id = 2",
		"UPDATE "+q+" SET id = id + 10 WHERE id < 3",
		"DELETE FROM "+q+" WHERE id = 11",
	)
	const n = 3 + 1 + 2 + 1
	from := Resume{Pos: change.Position{File: pos.Name, Pos: pos.Pos}, NextSeq: 1}
	own := openBed(t, src, db, from)
	gm := openBed(t, src, db, from)
	gm.goMySQLRows = true
	got, _ := collect(t, own, n)
	want, _ := collect(t, gm, n)
	if len(got) != n || len(want) != n {
		t.Fatalf("%d and %d changes, want %d each", len(got), len(want), n)
	}
	p := &streamPair{t: t}
	p.compareChanges(got, want, true)
	native := false
	for _, e := range own.tables.byID {
		if e.selected && e.plan != nil && e.plan.native {
			native = true
		}
	}
	if !native {
		t.Fatal("the matrix table was not decoded by the row decoder")
	}
}
