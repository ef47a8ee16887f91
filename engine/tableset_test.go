package engine

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/verify"
)

// A table removed from the topology before a restart is no longer sent;
// the kept table resumes from the checkpoint with nothing lost or sent
// twice, and the start logs the change once.
func TestRun_RemovedTableStopsBeingSent(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	// One partition: the topic holds the binlog's order, so once the kept
	// table's last change is there, every change before it was decided.
	h := newHarness(t, setup{partitions: 1, policy: "pk_hash", rules: "- $db.keep\n- $db.dropped", ddl: []string{
		"CREATE TABLE $db.keep (id INT PRIMARY KEY, v VARCHAR(16))",
		"CREATE TABLE $db.dropped (id INT PRIMARY KEY, v VARCHAR(16))"}})
	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.keep VALUES (1,'a'),(2,'b')", "INSERT INTO $db.dropped VALUES (1,'x'),(2,'y')")
	h.converge(map[string][]string{"keep": {"id"}, "dropped": {"id"}}, 60*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	before := h.checkpoint()
	conn := testbed.AdminConn(t)
	droppedAtStop, err := verify.SourceRows(conn, h.db+".dropped", []string{"id"})
	if err != nil {
		t.Fatal(err)
	}

	h.setRules("- $db.keep")
	// Writes to both tables while the task is down and while it runs.
	exec(t, h.db, "INSERT INTO $db.keep VALUES (3,'c')", "UPDATE $db.keep SET v='a2' WHERE id=1",
		"INSERT INTO $db.dropped VALUES (3,'z')", "UPDATE $db.dropped SET v='x2' WHERE id=1", "DELETE FROM $db.dropped WHERE id=2")
	logs := &bytes.Buffer{} // read once Run returned; slog's handler serializes the writes
	h.logs = logs
	stop = h.start()
	exec(t, h.db, "BEGIN", "INSERT INTO $db.dropped VALUES (4,'w')", "INSERT INTO $db.keep VALUES (4,'d')", "COMMIT",
		"DELETE FROM $db.keep WHERE id=2", "UPDATE $db.dropped SET v='z2' WHERE id=3",
		"INSERT INTO $db.keep VALUES (5,'last')")

	dropped := map[string][]string{h.db + ".dropped": {"id"}}
	st := h.convergeAlso(map[string][]string{"keep": {"id"}}, dropped, 60*time.Second)
	if st.Duplicates != 0 {
		t.Errorf("%d duplicates after a graceful stop", st.Duplicates)
	}
	if d := verify.Diff(droppedAtStop, st.Tables[h.db+".dropped"], 10); len(d) > 0 {
		t.Errorf("the removed table's topic changed after it was removed (it must hold the rows of the stop):\n%s", strings.Join(d, "\n"))
	}
	// 2+2 before the stop; 1+1 while down, 1+1+1 while running on keep.
	if st.Applied != 4+2+3 {
		t.Errorf("%d records applied, want 9 (4 before the removal, 5 of the kept table after)", st.Applied)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if after := h.checkpoint(); after.Seq <= before.Seq || after.Pos == before.Pos {
		t.Errorf("checkpoint did not move on from %+v: %+v", before, after)
	}
	log := logs.String()
	if n := strings.Count(log, "topology changed since the checkpoints were written; applied"); n != 1 ||
		!strings.Contains(log, `no longer selects `+h.db+`.dropped`) {
		t.Errorf("want one log line naming the removed table; log:\n%s", log)
	}
	t.Logf("RESULT removed table: kept %s.keep matches its source (%d records, 0 duplicates), %s.dropped got nothing after the restart; checkpoint seq %d -> %d",
		h.db, st.Applied, h.db, before.Seq, h.checkpoint().Seq)
}

// A table removed while the snapshot is unfinished: the restart reads the
// rest of the kept table only, and the snapshot finishes.
func TestRun_TableRemovedMidSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash", start: "initial", rules: "- $db.keep\n- $db.dropped",
		sourceExtra: "    snapshot: {chunk_size: 500, parallelism: 2, max_rows_per_second: 8000}",
		ddl: []string{"CREATE TABLE $db.keep (id INT PRIMARY KEY, v VARCHAR(16))",
			"CREATE TABLE $db.dropped (id INT PRIMARY KEY, v VARCHAR(16))"}})
	var rows []string
	for i := 1; i <= 30000; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'v%d')", i, i))
	}
	exec(t, h.db, "INSERT INTO $db.keep VALUES "+strings.Join(rows[:5000], ","), "INSERT INTO $db.dropped VALUES "+strings.Join(rows, ","))
	stop := h.start()
	time.Sleep(1200 * time.Millisecond) // about 10k of the 35k rows at the cap
	if err := stop(); err != nil {
		t.Fatalf("graceful stop mid-snapshot: %v", err)
	}
	dropped := map[string][]string{h.db + ".dropped": {"id"}}
	msgs, err := verify.ReadAll(context.Background(), testbed.Kafka(t)[0], h.topic)
	if err != nil {
		t.Fatal(err)
	}
	st, err := verify.Replay(msgs, maps.Clone(dropped))
	if err != nil {
		t.Fatal(err)
	}
	atStop := len(st.Tables[h.db+".dropped"])
	if atStop == 30000 {
		t.Fatalf("the removed table was snapshotted whole before the stop; the test needs it unfinished")
	}

	h.setRules("- $db.keep")
	stop = h.start()
	exec(t, h.db, "INSERT INTO $db.dropped VALUES (30001,'late')", "INSERT INTO $db.keep VALUES (30001,'late')")
	st = h.convergeAlso(map[string][]string{"keep": {"id"}}, dropped, 90*time.Second)
	view := h.status()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := len(st.Tables[h.db+".dropped"]); got != atStop {
		t.Errorf("the removed table's topic has %d rows after the restart, %d at the stop", got, atStop)
	}
	if len(view.Sources) != 1 || view.Sources[0].Phase == status.PhaseSnapshot {
		t.Errorf("the snapshot did not finish after the restart: %+v", view.Sources)
	}
	for _, tbl := range view.Sources[0].Tables {
		if tbl.Name == h.db+".dropped" {
			t.Errorf("the restart planned the removed table: %+v", tbl)
		}
	}
	t.Logf("RESULT table removed mid-snapshot: %s.dropped had %d of 30000 rows sent at the stop and none after; %s.keep matches its source",
		h.db, atStop, h.db)
}
