package faults

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// reconnect gives the workload a new connection after its server
// restarted.
func (w *workload) reconnect(t *testing.T, addr, user, password string) {
	t.Helper()
	conn, err := client.ConnectWithTimeout(addr, user, password, w.db, 5*time.Second)
	if err != nil {
		t.Fatalf("workload: reconnect to %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	w.mu.Lock()
	w.conn = conn
	w.mu.Unlock()
}

// TestMariaDBRestart_SnapshotAndStreaming restarts a private MariaDB four
// times under a task: gracefully (SIGTERM) and with kill -9, first while
// the task snapshots (the chunks' consistent-snapshot transactions die
// with the server), then while it streams the binlog under writes. Each
// time sluice must retry within its retry window (2 minutes) and resume,
// re-reading the chunks whose transaction died, with nothing lost.
func TestMariaDBRestart_SnapshotAndStreaming(t *testing.T) {
	needBed(t)
	t.Parallel()
	const rows = 8000
	mb := startPrivate(t, "mariadb")
	mustExec(t, mb.admin(t), "CREATE DATABASE restart_test")
	w := newWorkload(t, mb.addr, "sluice_admin", "admin", "restart_test", "w1")
	w.fill(t, "w1", rows)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	tp := newTopo(t, "mariadb-restart", "restart_test", topic)
	tp.pointAt(t, mb.addr)
	tp.Start, tp.ChunkSize, tp.RowsPerSec, tp.Retry = "initial", 200, 400, "2m"
	p := tp.start(t)
	defer p.term(30 * time.Second)

	var results []string
	// restart stops the server with sig, waits until the topic is quiet,
	// starts the server again, runs writes (streaming) or none (snapshot),
	// and notes when, after the signal, up.sh had the server back (it
	// returns once the server passes its health checks) and sluice wrote
	// its next record.
	restart := func(phase string, sig syscall.Signal, writes int64) {
		t.Helper()
		down := time.Now()
		mb.kill(t, sig)
		// What sluice read before the server went away is written by now.
		offs := waitForQuiet(t, broker, topic, time.Second, 30*time.Second)
		mb.start(t)
		up := time.Now()
		if !p.running() {
			t.Fatalf("%s, %v: sluice exited (code %d) within the retry window; log:\n%s", phase, sig, p.exit, tail(p.log(), 20))
		}
		var wr *writer
		if writes > 0 {
			w.reconnect(t, mb.addr, "sluice_admin", "admin")
			wr = w.run(1000, writes)
		}
		at := waitForWrites(t, broker, topic, sum(offs), 2*time.Minute, p)
		if wr != nil {
			if err := wr.wait(time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		results = append(results, fmt.Sprintf("%s %v: up.sh had the server back %s after the signal, sluice's next record %s after it",
			phase, sig, up.Sub(down).Round(100*time.Millisecond), at.Sub(down).Round(100*time.Millisecond)))
	}

	waitForWrites(t, broker, topic, 1000, time.Minute, p)
	restart("snapshot", syscall.SIGTERM, 0)
	restart("snapshot", syscall.SIGKILL, 0)
	if n := sum(endOffsetsRetried(t, broker, topic)); n >= rows {
		t.Fatalf("the snapshot was over (%d records) before the second restart; make it longer", n)
	}
	waitForWrites(t, broker, topic, rows-1, 2*time.Minute, p) // the snapshot's end
	w.reconnect(t, mb.addr, "sluice_admin", "admin")
	if err := w.run(1000, 2000).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	restart("streaming", syscall.SIGTERM, 2000)
	restart("streaming", syscall.SIGKILL, 2000)

	out := converge(t, broker, topic, source{conn: mb.admin(t), db: "restart_test",
		tables: map[string][]string{"w1": {"id"}}}, 3*time.Minute)
	if n := snapshotRereads(t, out.Msgs, map[string][]string{"restart_test.w1": {"id"}}); n == 0 {
		t.Errorf("no snapshot row read twice after two restarts in the snapshot: the chunks cut short were not read again")
	} else {
		results = append(results, fmt.Sprintf("%d snapshot rows re-read", n))
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("RESULT mariadb-restart: snapshot of %d rows at 400 rows/s (chunk 200), retry_window 2m; %v; row changes %d, source rows verified %d, records %d, lost 0, duplicates %d",
		rows, results, w.changes.Load(), out.Rows, out.Records, out.Duplicates)
}
