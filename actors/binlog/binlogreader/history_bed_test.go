package binlogreader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
	"github.com/sluicecdc/sluice/topology"
)

// historyServer is a MariaDB the schema history suite runs against: the
// shared bed (FULL row metadata) or a private one started with the bed's
// scripts and another binlog_row_metadata.
type historyServer struct {
	src   *topology.Source
	admin *client.Conn
}

func (h *historyServer) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := h.admin.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func (h *historyServer) position(t *testing.T) change.Position {
	t.Helper()
	p, _, err := sourcedb.CurrentPosition(context.Background(), h.src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sharedServer(t *testing.T) *historyServer {
	t.Helper()
	return &historyServer{src: bedSource(t), admin: testbed.AdminConn(t)}
}

// privateServer starts a MariaDB of its own (testbed/up.sh with
// SLUICE_BED_ONLY=mariadb) on a free port, with the given row metadata.
func privateServer(t *testing.T, rowMetadata string) *historyServer {
	t.Helper()
	// A start can fail when the free port is taken meanwhile: one retry.
	if h, err := startPrivate(t, rowMetadata); err == nil {
		return h
	} else {
		t.Logf("private server: %v; retrying", err)
	}
	h, err := startPrivate(t, rowMetadata)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func startPrivate(t *testing.T, rowMetadata string) (*historyServer, error) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SLUICE_BED_ONLY=mariadb", "SLUICE_BED_DIR="+dir,
		"SLUICE_BED_MYSQL_PORT="+strconv.Itoa(port), "SLUICE_BED_ROW_METADATA="+rowMetadata)
	script := func(name string) error {
		run := func() ([]byte, error) {
			cmd := exec.Command("bash", filepath.Join(root, "testbed", name))
			cmd.Env = env
			return cmd.CombinedOutput()
		}
		out, err := run()
		if err != nil && name == "up.sh" {
			// A first start can fail on a loaded machine: try once more.
			t.Logf("testbed/up.sh failed, retrying once: %v\n%s", err, out)
			out, err = run()
		}
		if err != nil {
			return fmt.Errorf("testbed/%s: %v\n%s", name, err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := script("down.sh"); err != nil {
			t.Error(err)
		}
	})
	if err := script("up.sh"); err != nil {
		return nil, err
	}
	admin, err := client.Connect("127.0.0.1:"+strconv.Itoa(port), "sluice_admin", "admin", "")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { admin.Close() })
	src := &topology.Source{
		Name: "private", Flavor: topology.FlavorMariaDB, Host: "127.0.0.1", Port: port,
		User: "sluice", Password: topology.NewSecret("sluice"), ServerID: testbed.ServerID(),
		Start: topology.StartPosition{Mode: topology.StartLatest},
	}
	h := &historyServer{src: src, admin: admin}
	var md string
	if r, err := admin.Execute("SELECT @@binlog_row_metadata"); err == nil {
		md, _ = r.GetString(0, 0)
	}
	if md != rowMetadata {
		t.Fatalf("private server has binlog_row_metadata=%q, want %s", md, rowMetadata)
	}
	return h, nil
}

// expected is a row change as recorded when it was written: the table and
// every column's value, rendered with %v (signedness shows: an unsigned
// TINYINT 200 decoded as signed renders -56).
type expected struct {
	op            change.Op
	table         string
	before, after string
}

// rowText renders a row as "name=value ..." in column order.
func rowText(t *change.Table, row []any) string {
	if row == nil {
		return ""
	}
	parts := make([]string, len(row))
	for i, v := range row {
		name := "?"
		if i < len(t.Columns) {
			name = t.Columns[i].Name
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		parts[i] = fmt.Sprintf("%s=%v", name, v)
	}
	return strings.Join(parts, " ")
}

func newMemStore(t *testing.T) store.Store {
	t.Helper()
	st, err := memstore.Open(memstore.NewDisk(t.Name()), store.Identity{Task: "t"}, memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// readRows reads row changes from the stream until it has n of them and the
// stream has been idle for a moment, or fails; DDL changes are counted apart.
// The schema history entries each batch recorded are committed to st (when
// set), as the checkpointer does once the batch is acknowledged.
func readRows(t *testing.T, s *Stream, n int, st store.Store) (rows []change.Change, ddl int, err error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	idle := 0
	for time.Now().Before(deadline) {
		b, err := s.ReadBatch(context.Background(), 1<<20, 200*time.Millisecond)
		if err != nil {
			return rows, ddl, err
		}
		if u := s.TakeSchemaUpdates(); st != nil && len(u) > 0 {
			if err := st.Commit(&store.Update{Schemas: u}); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range b.Changes {
			if c.Op == change.OpDDL {
				// Other tests create and drop databases on the shared
				// server (dropped here: the source has no objects), and DDL
				// about users passes every selection.
				if !strings.Contains(strings.ToUpper(c.SQL), " DATABASE ") {
					ddl++
				}
			} else {
				rows = append(rows, c)
			}
		}
		if len(b.Changes) == 0 {
			idle++
		} else {
			idle = 0
		}
		if len(rows) >= n && idle >= 3 {
			return rows, ddl, nil
		}
	}
	t.Fatalf("timed out with %d of %d rows", len(rows), n)
	return nil, 0, nil
}

func TestStream_Bed_HistoryAcrossDDL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, md := range []string{"FULL", "MINIMAL", "NO_LOG"} {
		t.Run(md, func(t *testing.T) {
			var srv *historyServer
			if md == "FULL" {
				srv = sharedServer(t)
			} else {
				srv = privateServer(t, md)
			}
			historyAcrossDDL(t, srv)
		})
	}
}

// historyAcrossDDL writes rows between DDL statements while no stream reads,
// then reads everything from the position before them with the schema
// history: every row must decode with the definition it was written under.
func historyAcrossDDL(t *testing.T, srv *historyServer) {
	db := fmt.Sprintf("h_%08x", rand.Uint32())
	srv.exec(t, "CREATE DATABASE "+db)
	t.Cleanup(func() { srv.admin.Execute("DROP DATABASE IF EXISTS " + db) })
	srv.exec(t, "USE "+db,
		"CREATE TABLE t_main (id INT UNSIGNED NOT NULL PRIMARY KEY, a VARCHAR(20), b INT NOT NULL, "+
			"u TINYINT UNSIGNED NOT NULL, e ENUM('x','y','z') NOT NULL, s SET('p','q','r') NOT NULL)",
		"CREATE TABLE t_left (k INT PRIMARY KEY, l VARCHAR(10))",
		"CREATE TABLE t_right (k INT PRIMARY KEY, r1 BIGINT UNSIGNED, r2 CHAR(3))")
	sel := func(d, table string) bool { return d == db && !strings.HasPrefix(table, "t_out") }
	st := newMemStore(t)
	hist, start := capturedHistory(t, srv, st, sel)

	var want []expected
	ins := func(table, after string) { want = append(want, expected{change.OpInsert, table, "", after}) }
	steps := []func(){
		func() {
			srv.exec(t, "INSERT INTO t_main VALUES (1, 'one', -5, 200, 'y', 'p,r')")
			ins("t_main", "id=1 a=one b=-5 u=200 e=y s=p,r")
		},
		// A column in the middle.
		func() { srv.exec(t, "ALTER TABLE t_main ADD COLUMN mid INT UNSIGNED NULL AFTER a") },
		func() {
			srv.exec(t, "INSERT INTO t_main (id, a, mid, b, u, e, s) VALUES (2, 'two', 4000000000, 7, 255, 'z', 'q')")
			ins("t_main", "id=2 a=two mid=4000000000 b=7 u=255 e=z s=q")
			srv.exec(t, "UPDATE t_main SET mid = 5 WHERE id = 1")
			want = append(want, expected{change.OpUpdate, "t_main",
				"id=1 a=one mid=<nil> b=-5 u=200 e=y s=p,r", "id=1 a=one mid=5 b=-5 u=200 e=y s=p,r"})
		},
		// A dropped column.
		func() { srv.exec(t, "ALTER TABLE t_main DROP COLUMN b") },
		func() {
			srv.exec(t, "INSERT INTO t_main VALUES (3, 'three', 6, 1, 'x', '')")
			ins("t_main", "id=3 a=three mid=6 u=1 e=x s=")
		},
		// A changed type.
		func() { srv.exec(t, "ALTER TABLE t_main MODIFY mid VARCHAR(12)") },
		func() {
			srv.exec(t, "INSERT INTO t_main VALUES (4, 'four', 'mid-four', 2, 'y', 'p')")
			ins("t_main", "id=4 a=four mid=mid-four u=2 e=y s=p")
		},
		// A renamed table.
		func() { srv.exec(t, "RENAME TABLE t_main TO t_renamed") },
		func() {
			srv.exec(t, "INSERT INTO t_renamed VALUES (5, 'five', 'm5', 3, 'z', 'r')")
			ins("t_renamed", "id=5 a=five mid=m5 u=3 e=z s=r")
			srv.exec(t, "INSERT INTO t_left VALUES (1, 'L')", "INSERT INTO t_right VALUES (1, 18000000000000000000, 'abc')")
			ins("t_left", "k=1 l=L")
			ins("t_right", "k=1 r1=18000000000000000000 r2=abc")
		},
		// Two tables swapped.
		func() { srv.exec(t, "RENAME TABLE t_left TO t_tmp, t_right TO t_left, t_tmp TO t_right") },
		func() {
			srv.exec(t, "INSERT INTO t_left VALUES (2, 18000000000000000001, 'def')", "INSERT INTO t_right VALUES (2, 'R')")
			ins("t_left", "k=2 r1=18000000000000000001 r2=def")
			ins("t_right", "k=2 l=R")
			srv.exec(t, "DELETE FROM t_renamed WHERE id = 2")
			want = append(want, expected{change.OpDelete, "t_renamed", "id=2 a=two mid=4000000000 u=255 e=z s=q", ""})
		},
		// Out of the selection and back.
		func() { srv.exec(t, "RENAME TABLE t_renamed TO t_out") },
		func() { srv.exec(t, "INSERT INTO t_out VALUES (6, 'six', 'm6', 4, 'x', 'q')") },
		func() {
			srv.exec(t, "ALTER TABLE t_out ADD COLUMN late INT NOT NULL DEFAULT 9 FIRST, RENAME TO t_back")
		},
		func() {
			srv.exec(t, "INSERT INTO t_back (id, a, mid, u, e, s) VALUES (7, 'seven', 'm7', 5, 'y', 'p,q,r')")
			ins("t_back", "late=9 id=7 a=seven mid=m7 u=5 e=y s=p,q,r")
		},
	}
	for _, step := range steps {
		step()
	}

	s, err := Open(context.Background(), Config{Source: srv.src, Select: sel, History: hist}, Resume{Pos: start, NextSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, ddl, err := readRows(t, s, len(want), st)
	if err != nil {
		t.Fatalf("ReadBatch: %v", err)
	}
	// ALTER ×3, RENAME, the swap, RENAME out, and the ALTER of t_out that
	// renames it back in (it touches a selected name).
	if ddl != 7 {
		t.Errorf("%d DDL changes, want 7", ddl)
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for i := range min(len(rows), len(want)) {
		c, w := rows[i], want[i]
		got := expected{c.Op, c.Table.Name, rowText(c.Table, c.Before), rowText(c.Table, c.After)}
		if got != w {
			t.Errorf("row %d:\n got  %+v\n want %+v", i, got, w)
		}
	}
	// Keys come from the history, whatever the metadata.
	for _, c := range rows {
		if len(c.Table.PrimaryKey) != 1 || c.Table.Columns[c.Table.PrimaryKey[0]].Name != map[bool]string{true: "k", false: "id"}[strings.HasPrefix(c.Table.Name, "t_l") || strings.HasPrefix(c.Table.Name, "t_r") && c.Table.Name != "t_renamed"] {
			t.Errorf("%s: primary key %v", c.Table.Name, c.Table.PrimaryKey)
			break
		}
	}

	// Reading again from a point between the DDL statements (a restart from
	// a checkpoint) gives the same rows from there on.
	s.Close()
	mid := rows[3] // the insert of id 3, after DROP COLUMN b
	s2, err := Open(context.Background(), Config{Source: srv.src, Select: sel, History: hist},
		Resume{Pos: change.Position{File: mid.Pos.File, Pos: mid.Pos.Pos}, NextSeq: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rows2, _, err := readRows(t, s2, len(want)-4, st)
	if err != nil {
		t.Fatalf("ReadBatch after resume: %v", err)
	}
	var got2, want2 []string
	for _, c := range rows2 {
		got2 = append(got2, c.Table.Name+" "+rowText(c.Table, c.Before)+" | "+rowText(c.Table, c.After))
	}
	for _, c := range rows[4:] {
		want2 = append(want2, c.Table.Name+" "+rowText(c.Table, c.Before)+" | "+rowText(c.Table, c.After))
	}
	if strings.Join(got2, "\n") != strings.Join(want2, "\n") {
		t.Errorf("after resume:\n%s\nwant\n%s", strings.Join(got2, "\n"), strings.Join(want2, "\n"))
	}
	// The store holds the versions.
	es, err := st.Schemas(srv.src.Name, db+".t_left")
	if err != nil || len(es) < 2 {
		t.Errorf("stored versions of t_left: %d (%v)", len(es), err)
	}
	names, _ := st.Sources()
	sort.Strings(names)
	if len(names) != 1 {
		t.Errorf("sources in the store: %v", names)
	}
}

// TestStream_Bed_HistoryRejectedStatement: a DDL the parser rejects
// (MariaDB's INVISIBLE columns). At the head of the binlog the definition is
// re-read from the server and rows decode with it; behind a later DDL of the
// same table the stream stops with a terminal error naming the statement.
func TestStream_Bed_HistoryRejectedStatement(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, md := range []string{"FULL", "MINIMAL"} {
		t.Run(md, func(t *testing.T) {
			var srv *historyServer
			if md == "FULL" {
				srv = sharedServer(t)
			} else {
				srv = privateServer(t, md)
			}
			db := fmt.Sprintf("r_%08x", rand.Uint32())
			srv.exec(t, "CREATE DATABASE "+db)
			t.Cleanup(func() { srv.admin.Execute("DROP DATABASE IF EXISTS " + db) })
			srv.exec(t, "USE "+db, "CREATE TABLE rej_tab (id INT PRIMARY KEY, a INT)")
			sel := func(d, _ string) bool { return d == db }
			hist, start := capturedHistory(t, srv, newMemStore(t), sel)
			srv.exec(t, "INSERT INTO rej_tab VALUES (1, 1)",
				"ALTER TABLE rej_tab ADD COLUMN h INT INVISIBLE",
				"INSERT INTO rej_tab (id, a, h) VALUES (2, 2, 3)")

			s, err := Open(context.Background(), Config{Source: srv.src, Select: sel, History: hist}, Resume{Pos: start, NextSeq: 1})
			if err != nil {
				t.Fatal(err)
			}
			rows, _, err := readRows(t, s, 2, nil)
			s.Close()
			if err != nil {
				t.Fatalf("at the head: %v", err)
			}
			if len(rows) != 2 || rowText(rows[0].Table, rows[0].After) != "id=1 a=1" || rowText(rows[1].Table, rows[1].After) != "id=2 a=2 h=3" {
				for _, r := range rows {
					t.Errorf("row %s", rowText(r.Table, r.After))
				}
			}

			// Behind a later DDL of the same table: terminal.
			next := srv.position(t)
			srv.exec(t, "ALTER TABLE rej_tab ADD COLUMN z INT INVISIBLE",
				"INSERT INTO rej_tab (id, a, h, z) VALUES (3, 3, 3, 3)",
				"ALTER TABLE rej_tab ADD COLUMN w INT")
			s, err = Open(context.Background(), Config{Source: srv.src, Select: sel, History: hist}, Resume{Pos: next, NextSeq: 10})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, _, err = readRows(t, s, 1, nil)
			if err == nil || !errkind.IsTerminal(err) {
				t.Fatalf("want a terminal error, got %v", err)
			}
			for _, part := range []string{"ADD COLUMN z INT INVISIBLE", db + ".rej_tab", "not at the head", "new snapshot"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error does not mention %q: %v", part, err)
				}
			}
		})
	}
}

// capturedHistory is the schema history of sel on srv kept in st, captured
// at srv's current position (returned) and committed, as the engine does
// before a snapshot.
func capturedHistory(t *testing.T, srv *historyServer, st store.Store, sel func(db, table string) bool) (*schema.History, change.Position) {
	t.Helper()
	hist := schema.New(schema.Config{Source: srv.src, Store: st, Select: sel})
	start := srv.position(t)
	captured, err := hist.CaptureAt(context.Background(), start, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(&store.Update{Schemas: captured.TakePending()}); err != nil {
		t.Fatal(err)
	}
	return hist, start
}

// TestStream_Bed_EnumSetMembersFromTableMap: ENUM and SET members with
// 4-byte UTF-8 characters. The server's catalog stores them as "?" (its
// definitions are 3-byte UTF-8), the binlog's TABLE_MAP (FULL metadata) as
// written: binlog rows carry the real members, as the snapshot reads them.
func TestStream_Bed_EnumSetMembersFromTableMap(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	srv := sharedServer(t)
	db := fmt.Sprintf("compat_es_%08x", rand.Uint32())
	srv.exec(t, "SET NAMES utf8mb4", "CREATE DATABASE "+db)
	t.Cleanup(func() { srv.admin.Execute("DROP DATABASE IF EXISTS " + db) })
	srv.exec(t, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, e ENUM('a','\U0001F600') NOT NULL, "+
		"s SET('a','\U0001F600','b\u00e9') NOT NULL) DEFAULT CHARSET=utf8mb4")
	sel := func(d, _ string) bool { return d == db }
	st := newMemStore(t)
	hist, start := capturedHistory(t, srv, st, sel)
	srv.exec(t, "INSERT INTO "+db+".t VALUES (1, '\U0001F600', 'a,\U0001F600,b\u00e9'), (2, 'a', '\U0001F600')")

	s, err := Open(context.Background(), Config{Source: srv.src, Select: sel, History: hist}, Resume{Pos: start, NextSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, _, err := readRows(t, s, 2, st)
	if err != nil {
		t.Fatalf("ReadBatch: %v", err)
	}
	want := []string{"id=1 e=\U0001F600 s=a,\U0001F600,b\u00e9", "id=2 e=a s=\U0001F600"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, c := range rows {
		if got := rowText(c.Table, c.After); got != want[i] {
			t.Errorf("row %d: %s, want %s", i, got, want[i])
		}
	}
	tbl := rows[0].Table
	for name, typ := range map[string]string{"e": "enum('a','\U0001F600')", "s": "set('a','\U0001F600','b\u00e9')"} {
		if got := tbl.Columns[tbl.ColumnIndex(name)].ColumnType; got != typ {
			t.Errorf("column %s: ColumnType %q, want %q", name, got, typ)
		}
	}
}
