package faults

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestReload_SIGHUPAddsAndRemovesTables changes the file of a running
// sluice run and sends SIGHUP, under writes: a change the checkpoints do
// not survive (another flavor) is refused in the log and the task runs on;
// an added table is snapshotted while the binlog streams, and the topic,
// replayed as upserts, equals both tables; a removed table's records stop
// while the other's go on. The process is the same one throughout.
func TestReload_SIGHUPAddsAndRemovesTables(t *testing.T) {
	needBed(t)
	db, topic, broker := testbed.NewDatabase(t), testbed.NewTopic(t, 2), testbed.Kafka(t)[0]
	rows := pick(10_000, 100_000)
	w := bedWorkload(t, db, "a", "b")
	w.fill(t, "b", rows)
	tp := newTopo(t, "reload-hup", db, topic)
	tp.Tables, tp.Start, tp.ChunkSize = []string{db + ".a"}, "initial", 1000
	writes := w.run(300, 0)
	defer writes.stop()
	p := tp.start(t)
	waitForWrites(t, broker, topic, 300, time.Minute, p)
	pid := p.cmd.Process.Pid
	hup := func() {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	// Refused: the task runs on unchanged.
	file := tp.write(t)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(raw), "flavor: mariadb", "flavor: mysql", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	refused := waitLog(t, p, "reload refused", 1, 30*time.Second)
	if !strings.Contains(refused, `changed flavor from mariadb to mysql`) || !strings.Contains(refused, "fix=") {
		t.Errorf("refusal without the change or its fix: %s", refused)
	}
	since := time.Now()
	waitForWrites(t, broker, topic, 600, time.Minute, p)
	t.Logf("after the refusal the task still streams (%s to 300 more records)", time.Since(since).Round(time.Millisecond))

	// Added: snapshotted while the binlog streams.
	tp.Tables = []string{db + ".a", db + ".b"}
	tp.write(t)
	asked := time.Now()
	hup()
	applied := waitLog(t, p, "reload: applying", 1, 30*time.Second)
	if !strings.Contains(applied, "selects "+db+".b too") {
		t.Errorf("reload line without the added table: %s", applied)
	}
	done := waitLog(t, p, "online snapshot complete", 1, 3*time.Minute)
	t.Logf("reload to the added table's snapshot complete: %s; %s", time.Since(asked).Round(time.Millisecond), done)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"a": {"id"}, "b": {"id"}}, partial: true}, 3*time.Minute)
	inits := checkSnapshotOrder(t, out.Msgs, db+".b")
	// The drain and the start in the process pause a's records.
	pause, _ := freshness(t, out.Msgs, db+".a", asked.Add(-2*time.Second), asked.Add(5*time.Second))
	if pause > 5*time.Second {
		t.Errorf("a had no record for %s around the reload", pause)
	}
	if len(inits) < rows/2 {
		t.Errorf("%d snapshot records of b; the table has %d rows", len(inits), rows)
	}

	// Removed: a's records stop, b's go on.
	tp.Tables = []string{db + ".b"}
	tp.write(t)
	hup()
	if l := waitLog(t, p, "reload: applying", 2, 30*time.Second); !strings.Contains(l, "no longer selects "+db+".a") {
		t.Errorf("reload line without the removed table: %s", l)
	}
	waitLog(t, p, "reload: task drained", 2, time.Minute)
	removed := time.Now()
	writes = w.run(300, 0)
	time.Sleep(4 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	msgs, err := verify.ReadAll(ctx, broker, topic)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	after := map[string]int{}
	for _, m := range msgs {
		if m.Time.Before(removed) {
			continue
		}
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			after[r.Table]++
		}
	}
	if after[db+".a"] != 0 || after[db+".b"] == 0 {
		t.Errorf("records after a was removed: %v; want none of a, some of b", after)
	}
	if !p.running() || p.cmd.Process.Pid != pid {
		t.Fatalf("the process did not run on (pid %d)", pid)
	}
	t.Logf("RESULT SIGHUP reload: %d rows added in one process (pid %d): a's largest gap between records around the reload %s; snapshot records %d, records %d, applied %d, duplicates %d; after the removal %v",
		rows, pid, pause.Round(time.Millisecond), len(inits), out.Records, out.Applied, out.Duplicates, after)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("graceful stop: exit code %d", code)
	}
}
