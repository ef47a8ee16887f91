package faults

import (
	"context"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestFailover_PromotedReplicaResumesByGTID streams a private MariaDB
// primary (snapshot, then the binlog) while writes and a DDL go on, stops
// sluice while the writes continue, promotes the primary's GTID replica
// (STOP SLAVE; RESET SLAVE ALL), moves the writes to it and restarts sluice
// with the source's address changed to the replica. Sluice must accept the
// replica (it has the checkpoint's GTID set), resume there by GTID without
// a new snapshot, read the changes written to the primary after its last
// checkpoint from the replica's binlog, and lose nothing: the topic, replayed,
// equals the replica's tables. A DDL on the new primary and one more restart
// there check that the schema history holds across the switch.
func TestFailover_PromotedReplicaResumesByGTID(t *testing.T) {
	needBed(t)
	started := time.Now()
	primary := startPrivate(t, "mariadb", "SLUICE_BED_SERVER_ID=11")
	replica := startPrivate(t, "mariadb", "SLUICE_BED_SERVER_ID=12")
	pa, ra := primary.admin(t), replica.admin(t)
	replicate(t, ra, primary.addr)
	mustExec(t, pa, "CREATE DATABASE failover_test")
	w := newWorkload(t, primary.addr, "sluice_admin", "admin", "failover_test", "w1", "w2", "w3")
	w.fill(t, "w1", 3000)
	// The primary's binlog files get higher numbers than the replica's: keys
	// by file and offset would order the two servers' DDL wrongly.
	mustExec(t, pa, "FLUSH BINARY LOGS", "FLUSH BINARY LOGS", "FLUSH BINARY LOGS")

	topic := testbed.NewTopic(t, 3)
	tp := newTopo(t, "failover", "failover_test", topic)
	tp.pointAt(t, primary.addr)
	tp.Start, tp.ChunkSize = "initial", 500
	writes := w.run(2000, 0)
	defer writes.stop()
	p := tp.start(t)
	waitForWrites(t, tp.Brokers, topic, 3000, time.Minute, p)
	mustExec(t, pa, "ALTER TABLE failover_test.w1 ADD COLUMN extra VARCHAR(16) NOT NULL DEFAULT 'new'")
	time.Sleep(2 * time.Second)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM on the primary: exit %d", code)
	}
	atStop := w.changes.Load()
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok || cp.GTIDSet == "" || cp.ServerUUID != "11/0" {
		t.Fatalf("checkpoint on the primary = %+v, %v: want one of server 11/0 with a GTID set", cp, ok)
	}
	mark := runMark{offsets: offsetsNow(t, tp.Brokers, topic), cp: cp, hasCP: true}
	// Writes the primary takes after sluice stopped: only the replica's
	// binlog can give them to the restarted sluice.
	time.Sleep(time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	afterStop := w.changes.Load() - atStop

	catchUp(t, ra, pa)
	mustExec(t, pa, "SET GLOBAL read_only = ON")
	mustExec(t, ra, "STOP SLAVE", "RESET SLAVE ALL")
	w.retarget(t, replica.addr)
	writes = w.run(2000, 0)
	defer writes.stop()

	tp.pointAt(t, replica.addr)
	p = tp.start(t)
	waitForWrites(t, tp.Brokers, topic, sum(mark.offsets), time.Minute, p)
	mustExec(t, ra, "ALTER TABLE failover_test.w2 ADD COLUMN extra2 INT NOT NULL DEFAULT 5")
	time.Sleep(2 * time.Second)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM on the promoted replica: exit %d", code)
	}
	again := runMark{offsets: offsetsNow(t, tp.Brokers, topic)}
	again.cp, again.hasCP = readCheckpoint(t, tp.checkpointFile(), "src")
	if again.cp.ServerUUID != "12/0" || again.cp.Seq <= cp.Seq {
		t.Fatalf("checkpoint after resuming on the replica = %+v: want one of server 12/0 above seq %d", again.cp, cp.Seq)
	}
	p = tp.start(t)
	time.Sleep(2 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	// Touch every row, so that each key's last record carries its columns
	// after the DDL.
	mustExec(t, ra, "UPDATE failover_test.w1 SET n = n + 1", "UPDATE failover_test.w2 SET n = n + 1", "UPDATE failover_test.w3 SET n = n + 1")

	out := converge(t, tp.Brokers, topic, source{conn: ra, db: "failover_test",
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}, 2*time.Minute)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	var switched []kafka.Message
	for _, m := range out.Msgs {
		if m.Offset >= mark.offsets[m.Partition] {
			switched = append(switched, m)
		}
	}
	inits := countTypes(t, switched)["INIT"]
	if inits > 0 {
		t.Errorf("%d INIT (snapshot) records after the switch: the source was snapshotted again", inits)
	}
	if n := countTypes(t, out.Msgs)["INIT"]; n < 3000 {
		t.Errorf("%d INIT records, want at least the 3000 rows w1 had at the first snapshot", n)
	}
	dups := runDuplicates(t, out.Msgs, mark, again.offsets) + runDuplicates(t, out.Msgs, again, nil)
	log := p.log()
	if strings.Count(log, "source resumes on another server than its checkpoint's, by GTID") != 1 {
		t.Error("the log does not say once that the source resumed on another server by GTID")
	}
	if strings.Contains(log, "schema history disagreed") {
		t.Errorf("the schema history disagreed with the binlog after the switch:\n%s", grepLines(log, "schema history disagreed"))
	}
	t.Logf("RESULT failover: primary 11/0 -> promoted replica 12/0; checkpoint at the switch %s (seq %d); "+
		"row changes written %d (%d on the primary after sluice stopped, read from the replica), source rows verified %d, records %d, lost 0, "+
		"duplicates %d, INIT records after the switch %d, took %s",
		cp.GTIDSet, cp.Seq, w.changes.Load(), afterStop, out.Rows, out.Records, dups, inits, time.Since(started).Round(time.Second))
}

// TestFailover_RefusesServerWithoutTheCheckpoint points a task that ran on
// one MariaDB at another that never replicated from it: the precheck and,
// with the precheck item ignored, the engine must refuse with what is
// missing, which source, and how to recover, and leave the checkpoint file
// as it was.
func TestFailover_RefusesServerWithoutTheCheckpoint(t *testing.T) {
	needBed(t)
	primary := startPrivate(t, "mariadb", "SLUICE_BED_SERVER_ID=21")
	other := startPrivate(t, "mariadb", "SLUICE_BED_SERVER_ID=23")
	pa, oa := primary.admin(t), other.admin(t)
	for _, c := range []*client.Conn{pa, oa} {
		mustExec(t, c, "CREATE DATABASE failover_test", "CREATE TABLE failover_test.w1 (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, v VARCHAR(64) NOT NULL, pad VARCHAR(200))")
	}
	w := newWorkload(t, primary.addr, "sluice_admin", "admin", "failover_test")
	w.setTables("w1")
	topic := testbed.NewTopic(t, 1)
	tp := newTopo(t, "failover-refused", "failover_test", topic)
	tp.pointAt(t, primary.addr)
	tp.Start = currentStart(t, pa)
	p := tp.start(t)
	if err := w.run(0, 500).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, tp.Brokers, topic, 499, time.Minute, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok || cp.GTIDSet == "" {
		t.Fatalf("checkpoint %+v, %v: want one with a GTID set", cp, ok)
	}

	tp.pointAt(t, other.addr)
	for _, run := range []struct {
		name string
		args []string
		want []string
	}{
		{"precheck", nil, []string{"source.src.checkpoint_server", `source "src" checkpointed GTID set ` + cp.GTIDSet + " on server 21/0",
			"connected to server 23/0", "no transaction of server_id 21 in domain 0", "log_slave_updates", "new snapshot", "start: initial"}},
		{"engine", []string{"--ignore", "source.src.checkpoint_server"}, []string{"checkpoint belongs to another server", `source "src"`, cp.GTIDSet,
			"no transaction of server_id 21 in domain 0", "new snapshot"}},
	} {
		p := tp.start(t, run.args...)
		code := p.wait(time.Minute)
		last := lastRun(p.log())
		if code == 0 {
			t.Fatalf("%s: exit 0 on a server without the checkpoint's GTID history; log:\n%s", run.name, last)
		}
		for _, want := range run.want {
			if !strings.Contains(last, want) {
				t.Errorf("%s: the error does not say %q:\n%s", run.name, want, last)
			}
		}
		t.Logf("RESULT failover-refused (%s): exit %d: %s", run.name, code, grepLines(last, "checkpoint"))
	}
	// The accepted move of the source's address is recorded in the file's
	// identity when the store opens (docs/operations.md, "Changing a task");
	// the checkpoint itself must be the one written before.
	if after, _ := readCheckpoint(t, tp.checkpointFile(), "src"); !reflect.DeepEqual(cp, after) {
		t.Errorf("the checkpoint changed: %+v, was %+v", after, cp)
	}
}

// offsetsNow is the topic's end offsets.
func offsetsNow(t *testing.T, broker, topic string) map[int]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := endOffsets(ctx, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	return offs
}

// lastRun is the part of a sluice log the last run wrote.
func lastRun(log string) string {
	return log[max(strings.LastIndex(log, "=== sluice run"), 0):]
}

// grepLines is the lines of s that contain substr.
func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// retarget makes the workload write to the server at addr; the writer must
// be stopped.
func (w *workload) retarget(t *testing.T, addr string) {
	t.Helper()
	conn, err := client.ConnectWithTimeout(addr, "sluice_admin", "admin", w.db, 5*time.Second)
	if err != nil {
		t.Fatalf("workload: connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	w.conn = conn
}

// replicate makes the server of replica a GTID replica of the server at
// primary, from the primary's first transaction on: its own binlog (the
// bed's account setup) is reset first, so that its GTID history is the
// primary's.
func replicate(t *testing.T, replica *client.Conn, primary string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(primary)
	mustExec(t, replica, "STOP SLAVE", "RESET MASTER", "SET GLOBAL gtid_slave_pos = ''",
		"CHANGE MASTER TO MASTER_HOST = '"+host+"', MASTER_PORT = "+port+", MASTER_USER = 'sluice_admin', MASTER_PASSWORD = 'admin', MASTER_USE_GTID = slave_pos",
		"START SLAVE")
}

// catchUp waits until the replica has applied everything the primary has
// logged.
func catchUp(t *testing.T, replica, primary *client.Conn) {
	t.Helper()
	r, err := primary.Execute("SELECT @@gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	pos, _ := r.GetString(0, 0)
	r, err = replica.Execute("SELECT MASTER_GTID_WAIT(?, 60)", pos)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.GetInt(0, 0); v != 0 {
		st, _ := replica.Execute("SHOW SLAVE STATUS")
		t.Fatalf("the replica did not reach the primary's %s in 60s (slave status %v)", pos, st)
	}
}
