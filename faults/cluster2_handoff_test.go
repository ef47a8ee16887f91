package faults

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/verify"
)

// TestCluster_PlannedMoveDuringSnapshotResendsNoCommittedChunk stops the
// owner of a task gracefully (SIGTERM) in the middle of its initial
// snapshot, with a second node running: the owner drains the task (a final
// checkpoint of the chunks done) and leaves, the other node takes the task
// and resumes the snapshot from the chunk states in etcd. No row of a chunk
// the old owner had committed as done comes from the new owner; rows of the
// chunks in flight at the stop may come from both. The topic, replayed,
// equals the table.
func TestCluster_PlannedMoveDuringSnapshotResendsNoCommittedChunk(t *testing.T) {
	needBed(t)
	ctx := context.Background()
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	cli := testbed.EtcdClient(t)
	from, err := cli.Get(ctx, prefix+"/")
	if err != nil {
		t.Fatal(err)
	}
	const rows, task = 40000, "movesnap"
	db, w := filledTables(t, rows, "big")
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	tp := newTopo(t, task, db, topic)
	tp.Tables, tp.Start, tp.ChunkSize, tp.RowsPerSec = []string{db + ".big"}, "initial", 200, 4000
	n1 := startNode(t, prefix, "n1", testbed.Etcd(t))
	waitMembers(t, prefix, 1)
	seen := watchOwners(t, broker, []string{topic})
	sluiceCLI(t, "submit", "-c", n1.file, "-f", tp.write(t))
	nodes := map[string]*node{"n1": n1}
	inSnapshot := func(least int64) func(status.SourceView) bool {
		return func(s status.SourceView) bool {
			return s.Phase == status.PhaseSnapshot && len(s.Tables) == 1 && s.Tables[0].ChunksDone >= least
		}
	}
	old := waitPhase(t, cli, prefix, nodes, task, inSnapshot(1), 60*time.Second)
	n2 := startNode(t, prefix, "n2", testbed.Etcd(t))
	nodes["n2"] = n2
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		v, err := cluster.Read(ctx, cli, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if v.Members["n2"] != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("n2 did not join within 15 s:\n%s", tail(n2.p.log(), 20))
		}
	}
	waitPhase(t, cli, prefix, nodes, task, inSnapshot(20), 60*time.Second)
	before, _ := nodeSource(t, n1, task, old.epoch)
	stopped := time.Now()
	if code := n1.p.term(30 * time.Second); code != 0 {
		t.Fatalf("n1 exited %d after SIGTERM, want 0:\n%s", code, tail(n1.p.log(), 20))
	}
	drained := time.Since(stopped)
	var next owner
	for deadline := time.Now().Add(15 * time.Second); next.node != "n2"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s not owned by n2 15 s after n1's SIGTERM: %v", task, next)
		}
		v, err := cluster.Read(ctx, cli, prefix)
		if err != nil {
			t.Fatal(err)
		}
		next = owner{v.Tasks[task].Owner, v.Tasks[task].Epoch}
	}
	owned := time.Since(stopped)
	resumed := waitPhase(t, cli, prefix, nodes, task, func(s status.SourceView) bool { return s.Phase != "" }, 15*time.Second)
	if ph := taskPhase(t, n2, task, resumed.epoch); ph != status.PhaseSnapshot {
		t.Fatalf("n2 runs %s in the %q phase, want the snapshot still under way (make the table larger or slower)", task, ph)
	}
	firstRecord := seen.firstOf(t, next, 30*time.Second).Sub(stopped)
	waitPhase(t, cli, prefix, nodes, task, func(s status.SourceView) bool { return s.Phase == status.PhaseBinlog }, 90*time.Second)
	out := converge(t, broker, topic, source{conn: w.conn, db: w.db, tables: map[string][]string{"big": {"id"}}}, 90*time.Second)

	// The chunks the old owner had committed as done: its last state write
	// in etcd's history.
	state := etcdstore.TaskPrefix(prefix, task)
	writes, err := etcdstore.Audit(ctx, cli, state, prefix+"/owners/"+task, from.Header.Revision)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for _, wr := range writes {
		if wr.Deposed() {
			t.Errorf("revision %d wrote %v by epoch %d while the owner's epoch was %d", wr.Revision, wr.Keys, wr.Writer, wr.Owner)
		}
		if wr.Writer == old.epoch {
			last = max(last, wr.Revision)
		}
	}
	if last == 0 {
		t.Fatalf("no state write of the old owner %v in etcd's history", old)
	}
	done := doneChunksAt(t, cli, state, last)
	// Every snapshot row by the owner that wrote it.
	byOld, byNew := map[int64]int{}, map[int64]int{}
	for _, m := range out.Msgs {
		o, err := ownerOf(m)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Type != "INIT" || r.Row["id"] == nil {
				continue
			}
			id, err := strconv.ParseInt(*r.Row["id"], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			switch o {
			case old:
				byOld[id]++
			case next:
				byNew[id]++
			default:
				t.Errorf("a snapshot row of id %d by %v, neither the old owner %v nor the new %v", id, o, old, next)
			}
		}
	}
	doneRows, resentDone, missingOld := 0, 0, 0
	for _, c := range done {
		for id := c[0]; id < min(c[1], rows+1); id++ {
			doneRows++
			if byNew[id] > 0 {
				resentDone++
			}
			if byOld[id] == 0 {
				missingOld++
			}
		}
	}
	both := 0
	for id := range byNew {
		if byOld[id] > 0 {
			both++
		}
	}
	t.Logf("SIGTERM of n1 at %d of %d chunks done (its status): drained and exited after %s, owned by %v after %s, its first committed record after %s; "+
		"%d chunks (%d rows) done in the old owner's last commit (revision %d), %d rows by the old owner, %d by the new, %d by both (chunks in flight at the stop); %d records, %d duplicates",
		before.Tables[0].ChunksDone, rows/200, drained.Round(time.Millisecond), next, owned.Round(time.Millisecond), firstRecord.Round(time.Millisecond),
		len(done), doneRows, last, len(byOld), len(byNew), both, out.Records, out.Duplicates)
	if len(done) == 0 || len(byNew) == 0 {
		t.Fatalf("%d chunks done by the old owner, %d rows by the new: the move did not land in the snapshot", len(done), len(byNew))
	}
	if resentDone > 0 {
		t.Errorf("the new owner re-sent %d rows of chunks the old owner had committed as done", resentDone)
	}
	if missingOld > 0 {
		t.Errorf("%d rows of chunks committed as done have no record of the old owner: a chunk marked done before its rows were committed", missingOld)
	}
	if len(byOld)+len(byNew)-both != rows {
		t.Errorf("%d distinct rows in the topic's snapshot records, want %d", len(byOld)+len(byNew)-both, rows)
	}
}

// doneChunksAt reads the chunk states under a task's state prefix at
// revision rev and returns the done chunks' id ranges [low, high) of a
// table with one integer key column (an open bound as 1 or the maximum).
func doneChunksAt(t *testing.T, cli *clientv3.Client, state string, rev int64) [][2]int64 {
	t.Helper()
	resp, err := cli.Get(context.Background(), state+"chunk/", clientv3.WithPrefix(), clientv3.WithRev(rev))
	if err != nil {
		t.Fatal(err)
	}
	bound := func(b []byte, open int64) int64 {
		if b == nil {
			return open
		}
		cols, err := snapshot.DecodeKey(b)
		if err != nil || len(cols) != 1 {
			t.Fatalf("chunk bound %x: %v", b, err)
		}
		n, err := strconv.ParseInt(string(cols[0]), 10, 64)
		if err != nil {
			t.Fatalf("chunk bound %q: %v", cols[0], err)
		}
		return n
	}
	var out [][2]int64
	for _, kv := range resp.Kvs {
		var c struct {
			Low, High []byte
			Done      bool
		}
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			t.Fatalf("chunk %s: %v", kv.Key, err)
		}
		if c.Done {
			out = append(out, [2]int64{bound(c.Low, 1), bound(c.High, 1<<62)})
		}
	}
	return out
}
