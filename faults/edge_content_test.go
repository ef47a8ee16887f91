package faults

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// Edge binlog content (issue 17, scenario 6), against the real MariaDB and
// Kafka, while a workload writes: writes with sql_log_bin=0, XA
// transactions committed and rolled back, statements that change no row,
// and a selected table dropped and created again with other columns. The
// topic must equal the tables (verify.Compare) with nothing of a rolled-back
// or unlogged write in it, and the re-created table's records must carry
// its new columns. RENAME into and out of the selection is
// TestDDL_WhileStreaming's.
func TestEdge_BinlogContent(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 3)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	q := func(s string) string { return strings.ReplaceAll(s, "$db", "`"+db+"`") }
	c := testbed.AdminConn(t)
	other := testbed.AdminConn(t)
	exec := func(conn *client.Conn, stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			if _, err := conn.Execute(q(s)); err != nil {
				t.Fatalf("%s: %v", q(s), err)
			}
		}
	}
	// A test that fails between XA PREPARE and its outcome would leave the
	// transaction prepared on the shared server (it outlives its session),
	// holding its locks and the XA precheck item of every other test.
	t.Cleanup(func() {
		cc := testbed.AdminConn(t)
		for _, xid := range []string{"edge-c", "edge-r"} {
			_, _ = cc.Execute("XA ROLLBACK '" + xid + "'")
		}
	})
	exec(c,
		"CREATE TABLE $db.mid (id BIGINT PRIMARY KEY)",
		"CREATE TABLE $db.xa (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, v VARCHAR(64))",
		"CREATE TABLE $db.z (id BIGINT PRIMARY KEY, m INT NOT NULL)",
		"CREATE TABLE $db.re (id BIGINT PRIMARY KEY, a INT NOT NULL)")
	tp := newTopo(t, "edge", db, topic)
	writes := w.run(500, 0)
	defer writes.stop()
	p := tp.start(t)
	waitForWrites(t, broker, topic, 50, time.Minute, p)

	// Unlogged writes never reach the binlog, so sluice cannot see them.
	exec(c, "SET SESSION sql_log_bin = 0",
		"INSERT INTO $db.xa (id, n, v) VALUES "+rowsValues(900, 909),
		"SET SESSION sql_log_bin = 1")

	// XA committed, with another transaction committing between its
	// PREPARE and its COMMIT; XA rolled back after touching committed rows.
	exec(c, "XA START 'edge-c'",
		"INSERT INTO $db.xa (id, n, v) VALUES "+rowsValues(1, 5),
		"UPDATE $db.xa SET n = n + 1 WHERE id <= 5",
		"XA END 'edge-c'", "XA PREPARE 'edge-c'")
	exec(other, "INSERT INTO $db.mid VALUES (1)")
	exec(c, "XA COMMIT 'edge-c'")
	exec(c, "XA START 'edge-r'",
		"INSERT INTO $db.xa (id, n, v) VALUES "+rowsValues(10, 14),
		"DELETE FROM $db.xa WHERE id = 1",
		"UPDATE $db.xa SET n = n + 1, v = 'rolled back' WHERE id = 2",
		"XA END 'edge-r'", "XA PREPARE 'edge-r'", "XA ROLLBACK 'edge-r'")
	exec(c, "XA START 'edge-1p'", "UPDATE $db.xa SET n = n + 1 WHERE id = 3", "XA END 'edge-1p'", "XA COMMIT 'edge-1p' ONE PHASE")

	// Statements that change no row: no rows event, or an empty one.
	exec(c, "INSERT INTO $db.z VALUES (1, 1)",
		"UPDATE $db.z SET m = m WHERE id = 1",
		"UPDATE $db.z SET m = 5 WHERE id < 0",
		"DELETE FROM $db.z WHERE id < 0",
		"INSERT IGNORE INTO $db.z VALUES (1, 99)",
		"INSERT INTO $db.z SELECT id, m FROM $db.z WHERE 1 = 0",
		"BEGIN", "UPDATE $db.z SET m = m", "DELETE FROM $db.z WHERE id = 42", "COMMIT",
		"INSERT INTO $db.z VALUES (2, 2)")

	// DROP and CREATE again with other columns, the same keys.
	exec(c, "INSERT INTO $db.re VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)",
		"UPDATE $db.re SET a = a + 10",
		"DROP TABLE $db.re",
		"CREATE TABLE $db.re (id BIGINT PRIMARY KEY, b VARCHAR(20) NOT NULL, c INT)",
		"INSERT INTO $db.re VALUES (1, 'b1', 10), (2, 'b2', 20), (3, 'b3', NULL), (4, 'b4', 40), (5, 'b5', 50)",
		"UPDATE $db.re SET c = c + 1 WHERE id = 4")

	time.Sleep(time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	// Remove the unlogged rows the same way, so that the tables compare.
	exec(c, "SET SESSION sql_log_bin = 0", "DELETE FROM $db.xa WHERE id >= 900", "SET SESSION sql_log_bin = 1")

	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "xa": {"id"}, "mid": {"id"}, "z": {"id"}, "re": {"id"}}}, 2*time.Minute)
	if !p.running() {
		t.Fatalf("sluice exited (code %d); log:\n%s", p.exit, tail(p.log(), 20))
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs, err := verify.ReadAll(ctx, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	reCols := map[string]bool{}
	var reLast []string
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			tb := strings.TrimPrefix(r.Table, db+".")
			counts[tb]++
			if tb == "xa" {
				id, _ := strconv.Atoi(*r.Row["id"])
				if id >= 900 || (id >= 10 && id <= 14) {
					t.Errorf("record of xa id %d: written unlogged or by a rolled-back XA transaction: %s %s", id, r.Type, show(r.Row))
				}
				if v := r.Row["v"]; v != nil && *v == "rolled back" {
					t.Errorf("record of a rolled-back XA change: %s %s", r.Type, show(r.Row))
				}
			}
			if tb == "re" {
				if _, old := r.Row["a"]; !old {
					for col := range r.Row {
						reCols[col] = true
					}
					reLast = append(reLast, r.Type+" "+show(r.Row))
				}
			}
		}
	}
	// xa: 5 inserts and 5 updates (one transaction), 1 one-phase update;
	// mid: the insert between PREPARE and COMMIT; z: 2 inserts; re: 5
	// inserts and 5 updates before the DROP, 5 inserts and 1 update after.
	want := map[string]int{"xa": 11, "mid": 1, "z": 2, "re": 16}
	for tb, n := range want {
		if counts[tb] != n {
			t.Errorf("%d records of %s, want %d", counts[tb], tb, n)
		}
	}
	var cols []string
	for col := range reCols {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	if strings.Join(cols, ",") != "b,c,id" || len(reLast) != 6 {
		t.Errorf("records of re after the re-create: columns %v (want b,c,id), %d records (want 6): %v", cols, len(reLast), reLast)
	}
	t.Logf("RESULT edge content: row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d; records xa %d, z %d, re %d (new columns %v)",
		w.changes.Load(), out.Rows, out.Records, out.Duplicates, counts["xa"], counts["z"], counts["re"], cols)
}

// TestEdge_WideTable snapshots and streams a table of 2,000 columns (Aria:
// InnoDB stops at 1,017), and checks the topic equals it and how long each
// took.
func TestEdge_WideTable(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	const cols, rows = 2000, 500
	var ddl strings.Builder
	fmt.Fprintf(&ddl, "CREATE TABLE `%s`.wide (id BIGINT PRIMARY KEY", db)
	for i := 1; i < cols; i++ {
		fmt.Fprintf(&ddl, ", c%d SMALLINT NOT NULL DEFAULT %d", i, i%1000)
	}
	ddl.WriteString(") ENGINE=Aria")
	testbed.AdminExec(t, ddl.String(),
		fmt.Sprintf("INSERT INTO `%s`.wide (id, c1, c1999) SELECT seq, seq, seq %% 7 FROM `%s`.seq_1_to_%d", db, db, rows))
	tp := newTopo(t, "wide", db, topic)
	tp.Start, tp.ChunkSize = "initial", 100
	started := time.Now()
	p := tp.start(t)
	waitForWrites(t, broker, topic, rows-1, 2*time.Minute, p)
	snap := time.Since(started)
	started = time.Now()
	testbed.AdminExec(t,
		fmt.Sprintf("UPDATE `%s`.wide SET c2 = c2 + 1, c1998 = 3 WHERE id <= 200", db),
		fmt.Sprintf("INSERT INTO `%s`.wide (id, c500) SELECT seq, 77 FROM `%s`.seq_%d_to_%d", db, db, rows+1, rows+100),
		fmt.Sprintf("DELETE FROM `%s`.wide WHERE id %% 50 = 0", db))
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"wide": {"id"}}}, 2*time.Minute)
	stream := time.Since(started)
	peak := p.peakRSS.Load()
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	if snap > 60*time.Second {
		t.Errorf("snapshot of %d rows of %d columns took %s", rows, cols, snap)
	}
	t.Logf("RESULT edge wide table: %d columns, %d snapshot rows in %s, 200 updates + 100 inserts + %d deletes streamed and verified in %s; source rows verified %d, records %d, peak RSS %d MiB",
		cols, rows, snap.Round(time.Millisecond), (rows+100)/50, stream.Round(time.Millisecond), out.Rows, out.Records, peak>>20)
}

// TestEdge_KeylessTableNamedByPrecheck selects a table without any key and
// one with only a nullable UNIQUE key: sluice precheck names both, says
// what they cost and how to fix them; sluice run logs the same and syncs the
// keyed table.
func TestEdge_KeylessTableNamedByPrecheck(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 1)
	broker := testbed.Kafka(t)[0]
	testbed.AdminExec(t,
		"CREATE TABLE `"+db+"`.nokey (a INT, b VARCHAR(20))",
		"CREATE TABLE `"+db+"`.nulluniq (a INT NULL, b VARCHAR(20), UNIQUE KEY (a))",
		"CREATE TABLE `"+db+"`.keyed (id BIGINT PRIMARY KEY, n BIGINT)")
	tp := newTopo(t, "keyless", db, topic)
	out, err := sluiceCmd("precheck", "-f", tp.write(t))
	for _, tb := range []string{"nokey", "nulluniq"} {
		item := "source.src.key." + db + "." + tb
		line := grepLines(out, item)
		if !strings.Contains(line, "WARN") || !strings.Contains(line, db+"."+tb) ||
			!strings.Contains(out, "ALTER TABLE `"+db+"`.`"+tb+"` ADD PRIMARY KEY") {
			t.Errorf("precheck: no WARN item %s naming the table and the fix (ADD PRIMARY KEY); exit %v, output:\n%s", item, err, out)
		}
	}
	if strings.Contains(out, "source.src.key."+db+".keyed") {
		t.Errorf("precheck names the keyed table:\n%s", out)
	}
	p := tp.start(t)
	testbed.AdminExec(t, "INSERT INTO `"+db+"`.keyed VALUES (1, 0), (2, 0)", "INSERT INTO `"+db+"`.nokey VALUES (1, 'x')")
	waitForWrites(t, broker, topic, 2, time.Minute, p)
	if !strings.Contains(p.log(), "source.src.key."+db+".nokey") {
		t.Errorf("sluice run did not log the precheck item of %s.nokey:\n%s", db, tail(p.log(), 20))
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("precheck exit %v; items:\n%s", err, grepLines(out, "source.src.key."))
}

// TestEdge_RecreatedWhileStopped drops a selected table and creates it again
// with other columns and other column types while the task is stopped, with
// rows written before and after: the restarted task reads the DROP and the
// CREATE from its checkpoint on, and the records after the CREATE carry the
// new definition.
func TestEdge_RecreatedWhileStopped(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	q := func(s string) string { return strings.ReplaceAll(s, "$db", "`"+db+"`") }
	testbed.AdminExec(t, q("CREATE TABLE $db.re (id BIGINT PRIMARY KEY, a INT NOT NULL, v VARCHAR(20))"))
	tp := newTopo(t, "recreate", db, topic)
	p := tp.start(t)
	testbed.AdminExec(t, q("INSERT INTO $db.re VALUES (1, 1, 'x'), (2, 2, 'y'), (3, 3, 'z')"))
	waitForWrites(t, broker, topic, 2, time.Minute, p)
	time.Sleep(time.Second) // a checkpoint after them
	if code := p.term(60 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	testbed.AdminExec(t, q("UPDATE $db.re SET a = a + 10"),
		q("DROP TABLE $db.re"),
		// v changes type (VARCHAR → INT) and a is gone: a decoder using the
		// old definition would misread every row.
		q("CREATE TABLE $db.re (id BIGINT PRIMARY KEY, v INT, w DATETIME(3) NOT NULL)"),
		q("INSERT INTO $db.re VALUES (1, 10, '2026-01-02 03:04:05.678'), (2, NULL, '2026-01-02 03:04:05.000'), (3, -3, '1999-12-31 23:59:59.999')"),
		q("UPDATE $db.re SET v = v * 2 WHERE id = 3"))
	p = tp.start(t)
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"re": {"id"}}}, 2*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	n := 0
	for _, m := range out.Msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if _, old := r.Row["a"]; old {
				continue
			}
			n++
			if _, ok := r.Row["w"]; !ok || len(r.Row) != 3 {
				t.Errorf("record after the re-create lacks the new definition: %s %s", r.Type, show(r.Row))
			}
		}
	}
	if n != 4 {
		t.Errorf("%d records after the re-create, want 4 (3 inserts, 1 update)", n)
	}
	t.Logf("RESULT edge re-created while stopped: records %d (%d after the re-create), source rows verified %d, lost 0", out.Records, n, out.Rows)
}
