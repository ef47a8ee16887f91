package faults

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
)

// TestReload_ClusterTaskResnapshotWhileWritten reads a table of a cluster
// task again while it is written: sluice snapshot -c, given the node file of
// the node that does not own the task, finds the owner in etcd and has it
// queue the online snapshot over the nodes' remote. The topic, replayed as
// upserts, equals the table (verify.Compare); every snapshot record carries
// the state the key's binlog changes before it left. A second request while
// it runs, a table the task does not select, an unknown task and a task no
// node runs are refused, each saying so.
func TestReload_ClusterTaskResnapshotWhileWritten(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	rows := pick(20_000, 100_000)
	db, w := filledTables(t, rows, "r")
	nodes := startNodes(t, prefix, 2, nil)
	byName := map[string]*node{}
	for _, nd := range nodes {
		byName[nd.name] = nd
	}
	topic, broker := testbed.NewTopic(t, 2), testbed.Kafka(t)[0]
	tp := newTopo(t, "rsnap", db, topic)
	tp.Tables, tp.Start = []string{db + ".r"}, "initial"
	tp.ChunkSize, tp.RowsPerSec = 500, pick(5000, 20000)
	sluiceCLI(t, "submit", "-c", nodes[0].file, "-f", tp.write(t))
	o := waitPhase(t, testbed.EtcdClient(t), prefix, byName, tp.Task, func(s status.SourceView) bool { return s.Phase == status.PhaseBinlog }, 2*time.Minute)
	// The writes start after the initial snapshot, whose rows may be newer
	// than its start position (docs/snapshot.md): the re-read is checked.
	writes := w.run(500, 0)
	defer writes.stop()
	time.Sleep(2 * time.Second)
	other := nodes[0]
	if other.name == o.node {
		other = nodes[1]
	}

	asked := time.Now()
	out := sluiceCLI(t, "snapshot", "-c", other.file, "--task", tp.Task, "--table", db+".r")
	if !strings.Contains(out, "queued") || !strings.Contains(out, "(node "+o.node+")") {
		t.Errorf("sluice snapshot -c: %q; want it queued on the owner %s", out, o.node)
	}
	took := time.Since(asked)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--task", tp.Task, "--table", db + ".r"}, "already runs"},
		{[]string{"--task", tp.Task, "--table", db + ".nope"}, "is not selected"},
		{[]string{"--task", "nosuchtask", "--table", db + ".r"}, `has no task "nosuchtask"`},
	} {
		if out, err := sluiceCmd(append([]string{"snapshot", "-c", other.file}, c.args...)...); err == nil || !strings.Contains(out, c.want) {
			t.Errorf("sluice snapshot %v: err %v, output %q; want a refusal with %q", c.args, err, out, c.want)
		}
	}
	done := waitLog(t, byName[o.node].p, "online snapshot complete", 1, 3*time.Minute)
	t.Log(done)
	time.Sleep(time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	res := converge(t, broker, topic, source{conn: w.conn, db: db, tables: map[string][]string{"r": {"id"}}}, 90*time.Second)
	inits := checkSnapshotOrder(t, res.Msgs, db+".r")
	first, second := splitAt(inits, asked)
	// Rows changed while their chunk was read come from the binlog instead.
	if len(first) < rows/2 || len(second) < rows/2 {
		t.Errorf("snapshot records of r: %d in the initial snapshot, %d in the re-read; the table has %d rows", len(first), len(second), rows)
	}
	span := second[len(second)-1].Sub(second[0])
	t.Logf("RESULT cluster re-snapshot: %d rows, asked of %s through %s's node file, queued in %s; re-read %d snapshot records in %s under 500 changes/s; "+
		"records %d, applied %d, duplicates %d",
		rows, o.node, other.name, took.Round(time.Millisecond), len(second), span.Round(time.Millisecond), res.Records, res.Applied, res.Duplicates)

	for _, nd := range nodes {
		if code := nd.p.term(30 * time.Second); code != 0 {
			t.Errorf("%s: graceful stop: exit code %d", nd.name, code)
		}
	}
	if out, err := sluiceCmd("snapshot", "-c", other.file, "--task", tp.Task, "--table", db+".r"); err == nil || !strings.Contains(out, "is not running") {
		t.Errorf("sluice snapshot with no node running: err %v, output %q", err, out)
	}
}
