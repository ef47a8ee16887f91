package schema

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
	"github.com/sluicecdc/sluice/topology"
)

func bedSource(t testing.TB) *topology.Source {
	t.Helper()
	return testbed.Source(t)
}

// TestHistory_Bed_DDLMatchesServer runs DDL on the bed's MariaDB and checks
// that the history, advanced by the same statements, equals what
// information_schema then says (Describe): DDL-derived definitions are the
// ones a capture would have produced.
func TestHistory_Bed_DDLMatchesServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	ms, err := memstore.Open(memstore.NewDisk(t.Name()), store.Identity{Task: "t"}, memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	h := New(Config{Source: bedSource(t), Store: ms, Select: func(d, _ string) bool { return d == db }})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.base (id INT PRIMARY KEY, v VARCHAR(20))")
	tb, err := h.CaptureAt(ctx, change.Position{File: "bin.000001", Pos: 4}, "")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ sql, table string }{
		{"CREATE TABLE t1 (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ti TINYINT(1), si SMALLINT UNSIGNED, mi MEDIUMINT, i INT NOT NULL, " +
			"f FLOAT, d DOUBLE, dc DECIMAL(12,3) UNSIGNED, dt DATETIME(3), ts TIMESTAMP(6) NULL, dte DATE, tm TIME(2), yr YEAR, " +
			"vc VARCHAR(20) CHARACTER SET latin1, ch CHAR(4), vb VARBINARY(8), bn BINARY(3), tx TEXT, mt MEDIUMTEXT, lb LONGBLOB, tb TINYBLOB, " +
			"js JSON, en ENUM('x','y''q') NOT NULL, st SET('a','b','c'), bt BIT(10), zf INT(5) ZEROFILL, UNIQUE KEY u_i (i), UNIQUE KEY u_vc (vc, ch)) DEFAULT CHARSET=utf8mb4", "t1"},
		{"ALTER TABLE t1 ADD COLUMN mid INT NOT NULL DEFAULT 0 AFTER si, DROP COLUMN mi, MODIFY f DOUBLE NOT NULL, CHANGE tx txt TEXT CHARACTER SET latin1 FIRST", "t1"},
		{"ALTER TABLE t1 RENAME COLUMN mid TO middle, DROP INDEX u_i, ADD UNIQUE INDEX (middle)", "t1"},
		{"ALTER TABLE t1 DROP PRIMARY KEY, ADD PRIMARY KEY (id, i)", "t1"},
		{"CREATE TABLE t2 LIKE t1", "t2"},
		{"ALTER TABLE t2 CONVERT TO CHARACTER SET utf8mb3", "t2"},
		{"CREATE TABLE t3 (a INT, b INT NOT NULL, c CHAR(2) COLLATE latin1_swedish_ci, UNIQUE KEY ua (a), UNIQUE KEY ub (b)) CHARSET latin1", "t3"},
		{"ALTER TABLE t3 ADD COLUMN d VARCHAR(3) FIRST, ADD COLUMN e TEXT(300)", "t3"},
		{"CREATE UNIQUE INDEX uc ON t3 (c)", "t3"},
		{"RENAME TABLE t3 TO t4, t2 TO t3", "t4"},
		{"ALTER TABLE base ADD COLUMN n INT UNSIGNED AFTER id, MODIFY v VARCHAR(40) NOT NULL", "base"},
	}
	pos := uint32(100)
	for _, s := range steps {
		testbed.AdminExec(t, "USE `"+db+"`", s.sql)
		pos += 100
		if _, err := apply(tb, s.sql, db, change.Position{File: "bin.000001", Pos: pos}); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
		want, err := h.Describe(ctx, db, s.table)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := tb.Table(db, s.table)
		if !ok || got.Table == nil {
			t.Fatalf("after %q: %s not in the history", s.sql, s.table)
		}
		if !reflect.DeepEqual(got.Table, want.Table) || got.Charset != want.Charset {
			for i := range max(len(got.Table.Columns), len(want.Table.Columns)) {
				var g, w change.Column
				if i < len(got.Table.Columns) {
					g = got.Table.Columns[i]
				}
				if i < len(want.Table.Columns) {
					w = want.Table.Columns[i]
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("column %d:\n history %+v\n server  %+v", i, g, w)
				}
			}
			t.Errorf("after %q, %s:\n history keys %v %v charset %q\n server  keys %v %v charset %q", s.sql, s.table,
				got.Table.PrimaryKey, got.Table.UniqueKeys, got.Charset, want.Table.PrimaryKey, want.Table.UniqueKeys, want.Charset)
		}
	}
	if _, ok := tb.Table(db, "t2"); ok {
		t.Errorf("t2 still in the history after RENAME t2 TO t3")
	}
}
