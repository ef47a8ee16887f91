package binlogreader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// These tests run against the test bed's MariaDB: the admin account writes,
// the sluice account (DTS privileges only) reads the binlog through Stream.

func bedSource(t testing.TB) *topology.Source {
	t.Helper()
	return testbed.Source(t)
}

func openBed(t testing.TB, src *topology.Source, db string, from Resume) *Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Source: src, Select: func(d, _ string) bool { return d == db }}, from)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// collect reads until it has n changes and a Mark at or after them, or fails
// after a timeout.
func collect(t testing.TB, s *Stream, n int) ([]change.Change, *change.Mark) {
	t.Helper()
	var got []change.Change
	var mark *change.Mark
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := s.ReadBatch(context.Background(), 1<<20, 200*time.Millisecond)
		if err != nil {
			t.Fatalf("ReadBatch after %d changes: %v", len(got), err)
		}
		for _, c := range b.Changes {
			// Other tests' DDL about users on the shared server passes
			// every selection, without a table.
			if c.Op != change.OpDDL || c.Table != nil {
				got = append(got, c)
			}
		}
		if b.Mark != nil {
			mark = b.Mark
		}
		if len(got) >= n && mark != nil && mark.Seq >= got[len(got)-1].Seq {
			return got, mark
		}
	}
	t.Fatalf("timed out with %d of %d changes (mark %+v)", len(got), n, mark)
	return nil, nil
}

const bedTable = `CREATE TABLE %s.items (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  ti TINYINT NOT NULL, si SMALLINT UNSIGNED NOT NULL, mi MEDIUMINT NOT NULL, i INT NOT NULL, bi BIGINT NOT NULL,
  f FLOAT NOT NULL, d DOUBLE NOT NULL, dc DECIMAL(10,2) NOT NULL,
  dt DATETIME(3) NOT NULL, ts TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), dte DATE NOT NULL, tm TIME NOT NULL, yr YEAR NOT NULL,
  vc VARCHAR(20) CHARACTER SET utf8mb4 NOT NULL, ch CHAR(4) CHARACTER SET latin1 NOT NULL, vb VARBINARY(8) NOT NULL,
  tx TEXT NOT NULL, bl BLOB NOT NULL, js JSON NOT NULL,
  en ENUM('x','y','z') NOT NULL, st SET('a','b','c') NOT NULL, bt BIT(10) NOT NULL,
  n INT NULL
)`

const bedRow = `(%d, -5, 65000, -100, 123456, -9000000000, 1.5, 2.25, 12.34,
  '2024-05-06 07:08:09.123', '2024-05-06 07:08:09.654321', '2024-05-06', '-12:34:56', 2024,
  'héllo', 'ab', x'00ff', 'some text', x'000102', '{"k": 1}', 'y', 'a,c', b'101', NULL)`

func TestStream_Bed_ReadsTypesOpsAndDDL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, fmt.Sprintf(bedTable, "`"+db+"`"))
	s := openBed(t, src, db, Resume{NextSeq: 1})

	q := "`" + db + "`.items"
	testbed.AdminExec(t,
		"SET time_zone = '+00:00'",
		"INSERT INTO "+q+" VALUES "+fmt.Sprintf(bedRow, 1)+", "+fmt.Sprintf(bedRow, 2),
		"UPDATE "+q+" SET vc = 'changed', en = 'z' WHERE id = 1",
		"DELETE FROM "+q+" WHERE id = 2",
		"BEGIN",
		"INSERT INTO "+q+" VALUES "+fmt.Sprintf(bedRow, 3),
		"UPDATE "+q+" SET id = 4 WHERE id = 3",
		"COMMIT",
		"ALTER TABLE "+q+" ADD COLUMN extra INT NULL",
	)
	changes, mark := collect(t, s, 7)
	if len(changes) != 7 {
		t.Fatalf("%d changes, want 7", len(changes))
	}
	ops := []change.Op{change.OpInsert, change.OpInsert, change.OpUpdate, change.OpDelete, change.OpInsert, change.OpUpdate, change.OpDDL}
	rows := []uint32{0, 1, 0, 0, 0, 1, 0}
	for i, c := range changes {
		// Sequence numbers increase; other tests' DDL may take some between.
		if c.Op != ops[i] || (i > 0 && c.Seq <= changes[i-1].Seq) || c.Row != rows[i] || c.Pos.File == "" || c.Pos.GTID == "" {
			t.Errorf("change %d: op %v seq %d row %d pos %+v", i, c.Op, c.Seq, c.Row, c.Pos)
		}
	}
	if changes[4].Pos.GTID != changes[5].Pos.GTID || changes[0].Pos.GTID == changes[2].Pos.GTID {
		t.Errorf("transaction GTIDs: %q %q %q", changes[0].Pos.GTID, changes[2].Pos.GTID, changes[4].Pos.GTID)
	}

	tbl := changes[0].Table
	if tbl.Schema != db || tbl.Name != "items" || !reflect.DeepEqual(tbl.PrimaryKey, []int{0}) {
		t.Errorf("table %s.%s pk %v", tbl.Schema, tbl.Name, tbl.PrimaryKey)
	}
	wantTypes := map[string]string{
		"id": "bigint(20) unsigned", "ti": "tinyint(4)", "si": "smallint(5) unsigned", "mi": "mediumint(9)",
		"i": "int(11)", "bi": "bigint(20)", "f": "float", "d": "double", "dc": "decimal(10,2)",
		"dt": "datetime(3)", "ts": "timestamp(6)", "dte": "date", "tm": "time", "yr": "year(4)",
		"vc": "varchar(20)", "ch": "char(4)", "vb": "varbinary(8)", "tx": "text", "bl": "blob",
		"js": "longtext", "en": "enum('x','y','z')", "st": "set('a','b','c')", "bt": "bit(10)", "n": "int(11)",
	}
	for _, c := range tbl.Columns {
		if want, ok := wantTypes[c.Name]; !ok || c.ColumnType != want {
			t.Errorf("column %q: ColumnType %q, want %q", c.Name, c.ColumnType, want)
		}
	}
	if cs := tbl.Columns[tbl.ColumnIndex("ch")].Charset; cs != "latin1" {
		t.Errorf("ch charset %q", cs)
	}
	if cs := tbl.Columns[tbl.ColumnIndex("vb")].Charset; cs != "binary" {
		t.Errorf("vb charset %q", cs)
	}
	if !tbl.Columns[tbl.ColumnIndex("n")].Nullable || tbl.Columns[tbl.ColumnIndex("i")].Nullable {
		t.Error("nullability wrong")
	}

	want := []any{uint64(1), int8(-5), uint16(65000), int32(-100), int32(123456), int64(-9000000000),
		float32(1.5), float64(2.25), "12.34",
		"2024-05-06 07:08:09.123", "2024-05-06 07:08:09.654321", "2024-05-06", "-12:34:56", 2024,
		"héllo", "ab", "\x00\xff", []byte("some text"), []byte{0, 1, 2}, []byte(`{"k": 1}`), "y", "a,c", int64(5), nil}
	if got := changes[0].After; !reflect.DeepEqual(got, want) {
		for i := range want {
			if i < len(got) && !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("value of %s = %#v (%T), want %#v (%T)", tbl.Columns[i].Name, got[i], got[i], want[i], want[i])
			}
		}
	}
	up := changes[2]
	if up.Before[14] != "héllo" || up.After[14] != "changed" || up.After[20] != "z" || up.Before[20] != "y" {
		t.Errorf("update before %v / after %v", up.Before[14:21], up.After[14:21])
	}
	if del := changes[3]; del.Before[0] != uint64(2) || del.After != nil {
		t.Errorf("delete %+v", del)
	}
	if pk := changes[5]; pk.Before[0] != uint64(3) || pk.After[0] != uint64(4) {
		t.Errorf("primary key change %v -> %v", pk.Before[0], pk.After[0])
	}
	ddl := changes[6]
	if !strings.Contains(ddl.SQL, "ADD COLUMN extra") || ddl.Table == nil || ddl.Table.Name != "items" || ddl.Table.Schema != db {
		t.Errorf("ddl %q table %+v", ddl.SQL, ddl.Table)
	}
	// Other tests write to the same server concurrently, so the mark's GTID
	// set may be past the DDL's transaction, never before it.
	if mark.Seq < changes[6].Seq || mark.Pos.File == "" || gtidSeq(t, mark.GTIDSet) < gtidSeq(t, ddl.Pos.GTID) {
		t.Errorf("mark %+v after ddl %+v", mark, ddl.Pos)
	}
	// The mark is the server's position after the DDL.
	pos, gtids, err := sourcedb.CurrentPosition(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if pos.File == mark.Pos.File && pos.Pos < mark.Pos.Pos {
		t.Errorf("mark %s is past the server's position %s", mark.Pos, pos)
	}
	if gtids == "" {
		t.Error("CurrentPosition returned no GTID position on MariaDB")
	}
}

func TestStream_Bed_ResumeFromMarkGetsExactlyTheRest(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	q := "`" + db + "`.kv"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (k INT PRIMARY KEY, v VARCHAR(10))")
	s := openBed(t, src, db, Resume{NextSeq: 1})
	testbed.AdminExec(t, "INSERT INTO "+q+" VALUES (1,'a'),(2,'b')", "INSERT INTO "+q+" VALUES (3,'c')")
	first, mark := collect(t, s, 3)
	if len(first) != 3 || mark.Seq < first[2].Seq {
		t.Fatalf("first pass: %d changes, mark %+v", len(first), mark)
	}
	s.Close()
	testbed.AdminExec(t,
		"INSERT INTO "+q+" VALUES (4,'d')",
		"CREATE TABLE `"+db+"`.other (x INT PRIMARY KEY)",
		"UPDATE "+q+" SET v = 'dd' WHERE k = 4",
		"DELETE FROM "+q+" WHERE k = 1")

	for _, tc := range []struct {
		name string
		from Resume
	}{
		{"by GTID", ResumeFrom(mark)},
		{"by file and position", Resume{Pos: mark.Pos, NextSeq: mark.Seq + 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := *src
			src.ServerID++
			s := openBed(t, &src, db, tc.from)
			rest, _ := collect(t, s, 4)
			if len(rest) != 4 {
				t.Fatalf("%d changes after resume, want 4", len(rest))
			}
			ops := []change.Op{change.OpInsert, change.OpDDL, change.OpUpdate, change.OpDelete}
			for i, c := range rest {
				if c.Seq <= mark.Seq || (i > 0 && c.Seq <= rest[i-1].Seq) || c.Op != ops[i] {
					t.Errorf("change %d: seq %d op %v", i, c.Seq, c.Op)
				}
			}
			if rest[0].After[0] != int32(4) || rest[2].After[1] != "dd" || rest[3].Before[0] != int32(1) {
				t.Errorf("values after resume: %v %v %v", rest[0].After, rest[2].After, rest[3].Before)
			}
		})
	}
}

// TestStream_Bed_EventRowAndServerID: on the real server, a transaction
// with rows events of 2, 2 and 1 rows gives EventRow 0,1,0,1,0 (Debezium's
// source.row) while Row counts 0..4 in the transaction, and every change
// carries the server's server_id from the event headers (it was 0).
func TestStream_Bed_EventRowAndServerID(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	q := "`" + db + "`.kv"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (k INT PRIMARY KEY, v VARCHAR(10))")
	s := openBed(t, src, db, Resume{NextSeq: 1})
	res := testbed.AdminExec(t, "SELECT @@server_id",
		"BEGIN",
		"INSERT INTO "+q+" VALUES (1,'a'),(2,'b')",
		"UPDATE "+q+" SET v = 'x'",
		"DELETE FROM "+q+" WHERE k = 1",
		"COMMIT")
	serverID, err := res[0].GetUint(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := collect(t, s, 5)
	var eventRows, txnRows []uint32
	for _, c := range got {
		eventRows, txnRows = append(eventRows, c.EventRow), append(txnRows, c.Row)
		if uint64(c.ServerID) != serverID || serverID == 0 {
			t.Errorf("%s change: server id %d, want the server's %d", c.Op, c.ServerID, serverID)
		}
	}
	if !slices.Equal(eventRows, []uint32{0, 1, 0, 1, 0}) || !slices.Equal(txnRows, []uint32{0, 1, 2, 3, 4}) {
		t.Errorf("event rows %v, transaction rows %v; want [0 1 0 1 0] and [0 1 2 3 4]", eventRows, txnRows)
	}
}

func TestStream_Bed_MissingBinlogIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	s := openBed(t, src, "none", Resume{Pos: change.Position{File: "mariadb-bin.999999", Pos: 4}, NextSeq: 1})
	_, err := s.ReadBatch(context.Background(), 1<<20, 10*time.Second)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "mariadb-bin.999999:4") || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("err = %v; want terminal, naming the position and the recovery", err)
	}
}

func TestStream_Bed_MissingReplicationPrivilegeIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	user := fmt.Sprintf("norepl_%d", rand.Uint32N(1<<30))
	testbed.AdminExec(t,
		"CREATE USER '"+user+"'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT, REPLICATION CLIENT ON *.* TO '"+user+"'@'%'")
	t.Cleanup(func() { testbed.AdminExec(t, "DROP USER '"+user+"'@'%'") })
	src.User, src.Password = user, topology.NewSecret("pw")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Source: src}, Resume{})
	if err == nil {
		_, err = s.ReadBatch(ctx, 1<<20, 10*time.Second)
		s.Close()
	}
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "REPLICATION SLAVE") {
		t.Fatalf("err = %v; want terminal, naming REPLICATION SLAVE", err)
	}
}

// gtidSeq is the sequence number of a single-domain MariaDB GTID or GTID
// set ("0-1-42" → 42).
func gtidSeq(t *testing.T, g string) uint64 {
	t.Helper()
	i := strings.LastIndexByte(g, '-')
	n, err := strconv.ParseUint(g[i+1:], 10, 64)
	if i < 0 || err != nil || strings.Contains(g, ",") {
		t.Fatalf("not a single-domain MariaDB GTID: %q", g)
	}
	return n
}

// Regression: DDL of unselected tables and databases reached the records
// (as DDL without a table). Against the server's own binlog text: only the
// statements that touch the selected database pass.
func TestStream_Bed_DDLOfUnselectedObjectsIsDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db, other := testbed.NewDatabase(t), testbed.NewDatabase(t)
	gone := other + "_x"
	t.Cleanup(func() { testbed.AdminExec(t, "DROP DATABASE IF EXISTS `"+gone+"`") })
	src.Objects = topology.Objects{Tables: []*topology.TableRule{{Pattern: db + ".*"}}}
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.items (id INT PRIMARY KEY)",
		"CREATE TABLE `"+other+"`.o1 (id INT PRIMARY KEY, c INT)", "CREATE TABLE `"+other+"`.o3 (id INT PRIMARY KEY)",
		"CREATE TABLE `"+other+"`.o4 (id INT PRIMARY KEY)")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Source: src, Select: func(d, tb string) bool { _, ok := src.Objects.Match(d, tb); return ok }}, Resume{NextSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	testbed.AdminExec(t,
		"USE `"+other+"`",
		"RENAME TABLE o1 TO o2",
		"CREATE INDEX i ON o2 (c)",
		"DROP TABLE o2, o3",
		"CREATE DATABASE `"+gone+"`",
		"CREATE TABLE `"+gone+"`.t (id INT PRIMARY KEY)",
		"DROP DATABASE `"+gone+"`",
		"RENAME TABLE o4 TO `"+db+"`.o4",
		"ALTER TABLE `"+db+"`.items ADD COLUMN done INT",
	)
	var passed []string
	for {
		b, err := s.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
		if err != nil {
			t.Fatalf("ReadBatch: %v (passed so far: %q)", err, passed)
		}
		for _, c := range b.Changes {
			// Other tests' DDL about users or routines passes every selection.
			if c.Op == change.OpDDL && (strings.Contains(c.SQL, other) || strings.Contains(c.SQL, db) || c.Schema == other || c.Schema == db) {
				passed = append(passed, c.SQL)
			}
			if c.Op == change.OpDDL && strings.Contains(c.SQL, "ADD COLUMN done") {
				if c.Table == nil || c.Table.QualifiedName() != db+".items" {
					t.Errorf("ALTER TABLE of the selected table names %+v", c.Table)
				}
				want := []string{"RENAME TABLE o4 TO `" + db + "`.o4", "ALTER TABLE `" + db + "`.items ADD COLUMN done INT"}
				if !slices.Equal(passed, want) {
					t.Fatalf("DDL passed:\n%q\nwant only\n%q", passed, want)
				}
				return
			}
		}
	}
}

// Regression: SET SESSION binlog_row_image='MINIMAL' (or NOBLOB) and an
// UPDATE published {"id":null,"a":null,"b":"x"}.
func TestStream_Bed_PartialRowImageIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, image := range []string{"MINIMAL", "NOBLOB"} {
		t.Run(image, func(t *testing.T) {
			src := bedSource(t)
			db := testbed.NewDatabase(t)
			q := "`" + db + "`.t"
			testbed.AdminExec(t, "CREATE TABLE "+q+" (id INT PRIMARY KEY, a INT, b VARCHAR(10), tx TEXT)", "INSERT INTO "+q+" VALUES (2, 1, 'b', 'text')")
			s := openBed(t, src, db, Resume{NextSeq: 1})
			testbed.AdminExec(t, "SET SESSION binlog_row_image='"+image+"'", "UPDATE "+q+" SET b = 'x' WHERE id = 2")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for {
				b, err := s.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
				if err != nil {
					if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), db+".t") || !strings.Contains(err.Error(), "binlog_row_image=FULL") {
						t.Fatalf("err = %v; want terminal, naming the table and the fix", err)
					}
					return
				}
				for _, c := range b.Changes {
					if c.Op == change.OpUpdate {
						t.Fatalf("published %v → %v", c.Before, c.After)
					}
				}
			}
		})
	}
}
