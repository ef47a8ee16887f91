package binlogreader

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestSetNames_Masks(t *testing.T) {
	elems := []string{"a", "b", "c"}
	for _, tc := range []struct {
		mask uint64
		want string
	}{{0, ""}, {1, "a"}, {4, "c"}, {5, "a,c"}, {7, "a,b,c"}, {8, ""}, {9, "a"}} {
		if got := setNames(tc.mask, elems); got != tc.want {
			t.Errorf("setNames(%b) = %q, want %q", tc.mask, got, tc.want)
		}
	}
}

func TestCharsetOf_Collations(t *testing.T) {
	for id, want := range map[uint64]string{
		45: "utf8mb4", 46: "utf8mb4", 224: "utf8mb4", 255: "utf8mb4", 33: "utf8mb3", 192: "utf8mb3",
		8: "latin1", 47: "latin1", 63: "binary", 11: "ascii", 65: "ascii",
		1069: "utf8mb4", 2304: "utf8mb4", 9999: "unknown-9999",
	} {
		if got := charsetOf(id); got != want {
			t.Errorf("charsetOf(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestClassifyServerError_TerminalCases(t *testing.T) {
	wrap := func(code uint16, msg string) error {
		return fmt.Errorf("dump: %w", &mysql.MyError{Code: code, Message: msg})
	}
	for _, tc := range []struct {
		name     string
		err      error
		terminal bool
		mentions []string
	}{
		{"purged file", wrap(1236, "Could not find first log file name in binary log index file"), true,
			[]string{"bin.000003:4", "snapshot", "checkpoint"}},
		{"purged gtid", wrap(1236, "Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged."), true,
			[]string{"snapshot"}},
		{"mysql gtid purged", wrap(1236, "Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup. Consider increasing the source's binary log expiration period. The GTID set sent by the replica is '', and the missing transactions are 'x'. The master has purged binary logs containing GTIDs that the slave requires."), true,
			[]string{"snapshot"}},
		{"replication privilege", wrap(1227, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation"), true,
			[]string{"REPLICATION SLAVE", "GRANT"}},
		{"password", wrap(1045, "Access denied for user 'sluice'@'localhost' (using password: YES)"), true,
			[]string{"password"}},
		{"connection lost", errors.New("io.ReadFull(header) failed: connection reset"), false, nil},
		{"other server error", wrap(1205, "Lock wait timeout exceeded"), false, nil},
	} {
		err := classifyServerError(tc.err, &topology.Source{Name: "src"}, "bin.000003:4")
		if errkind.IsTerminal(err) != tc.terminal {
			t.Errorf("%s: terminal = %v, want %v (%v)", tc.name, errkind.IsTerminal(err), tc.terminal, err)
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %q does not mention %q", tc.name, err, m)
			}
		}
		if !errors.Is(err, tc.err) && !strings.Contains(err.Error(), tc.err.Error()) {
			t.Errorf("%s: original error lost: %v", tc.name, err)
		}
	}
}

// Regression: DDL of unselected tables (RENAME, DROP of several, CREATE
// INDEX) and database-level DDL of unselected databases passed as DDL
// records without a table. A DDL passes when a table (or, for database
// DDL, the database) it touches is selected.
func TestStream_DDLPassesOnlyWhenItTouchesTheSelection(t *testing.T) {
	objects := topology.Objects{Tables: []*topology.TableRule{{Pattern: "shop.orders"}, {Pattern: "shop.items"}, {Pattern: "app.*"}}}
	sel := func(db, table string) bool { _, ok := objects.Match(db, table); return ok }
	for _, tc := range []struct {
		sql   string
		pass  bool
		table string // the DDL change's table; "" for none
	}{
		{"RENAME TABLE unsel1 TO unsel2", false, ""},
		{"DROP TABLE unsel_a, unsel_b", false, ""},
		{"CREATE INDEX i ON unsel (c)", false, ""},
		{"DROP INDEX i ON `shop`.`unsel`", false, ""},
		{"CREATE DATABASE x", false, ""},
		{"CREATE TABLE x.t (id INT PRIMARY KEY)", false, ""},
		{"DROP DATABASE x", false, ""},
		{"ALTER DATABASE x CHARACTER SET utf8mb4", false, ""},
		{"CREATE OR REPLACE TABLE unsel (a INT INVISIBLE)", false, ""},
		{"RENAME TABLE orders TO orders_old", true, ""},
		{"RENAME TABLE orders_new TO orders", true, ""},
		{"RENAME TABLE a TO b, unsel TO app.t", true, ""},
		{"ALTER TABLE unsel RENAME TO items", true, ""},
		{"DROP TABLE unsel, orders", true, ""},
		{"CREATE INDEX i ON orders (c)", true, ""},
		{"ALTER TABLE orders ADD COLUMN c INT", true, "shop.orders"},
		{"CREATE OR REPLACE TABLE items (a INT INVISIBLE)", true, "shop.items"},
		{"CREATE DATABASE app", true, ""},
		{"DROP DATABASE IF EXISTS `app`", true, ""},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			l := newBinlog(t, mysql.MariaDBFlavor)
			s := testStream(t, mysql.MariaDBFlavor, sel, "0-1-9", 1)
			s.src.Objects = objects
			feed(s, l.rotate("bin.000001", 4, true), l.fde(), l.mariaGTID(0, 10, true), l.query("shop", tc.sql))
			var ddl []change.Change
			for _, b := range readAll(t, s, 1<<20) {
				ddl = append(ddl, b.Changes...)
			}
			if !tc.pass {
				if len(ddl) != 0 {
					t.Fatalf("DDL of unselected objects passed: %+v", ddl[0])
				}
				return
			}
			if len(ddl) != 1 || ddl[0].Op != change.OpDDL || ddl[0].SQL != tc.sql {
				t.Fatalf("changes %+v; want the DDL", ddl)
			}
			got := ""
			if ddl[0].Table != nil {
				got = ddl[0].Table.QualifiedName()
			}
			if got != tc.table {
				t.Errorf("table %q, want %q", got, tc.table)
			}
		})
	}
}
