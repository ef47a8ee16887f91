package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store/etcdstore"
)

// node is one `sluice node` process of a test cluster.
type node struct {
	name, file string
	statusAddr string
	advertise  string // the node's remote address
	p          *proc
}

// startNodes writes a node file for each of n nodes of the cluster under
// prefix and starts them. via names the etcd endpoint of a node that reaches
// etcd through a proxy (node name → host:port); the others use the bed's.
func startNodes(t *testing.T, prefix string, n int, via map[string]string) []*node {
	t.Helper()
	var nodes []*node
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("n%d", i)
		eps := testbed.Etcd(t)
		if ep, ok := via[name]; ok {
			eps = []string{ep}
		}
		nodes = append(nodes, startNode(t, prefix, name, eps))
	}
	return nodes
}

// startNode writes the node file of one node, reaching etcd at eps, and
// starts it.
func startNode(t *testing.T, prefix, name string, eps []string) *node {
	t.Helper()
	return startNodeIn(t, prefix, name, eps, "")
}

// startNodeIn is startNode with the node run in the network namespace
// netns ("" for this process's).
func startNodeIn(t *testing.T, prefix, name string, eps []string, netns string) *node {
	t.Helper()
	dir := t.TempDir()
	nd := &node{name: name, file: filepath.Join(dir, "node.yaml"), statusAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), advertise: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	cfg := fmt.Sprintf("name: %s\netcd: [%s]\nadvertise: %s\ndata_dir: %s\nstatus_addr: %s\nlease_ttl: 2s\nprefix: %s\n",
		nd.name, strings.Join(eps, ", "), nd.advertise, dir, nd.statusAddr, prefix)
	if err := os.WriteFile(nd.file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var wrap []string
	if netns != "" {
		wrap = []string{"ip", "netns", "exec", netns}
	}
	nd.p = startCommandIn(t, filepath.Join(dir, "node.log"), wrap, "node", "-c", nd.file)
	return nd
}

// sluiceCLI runs a short sluice command and returns its output.
func sluiceCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(sluiceBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("sluice %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitOwned waits until every task of the cluster is owned by one of live
// and returns the view.
func waitOwned(t *testing.T, prefix string, tasks int, live []string, timeout time.Duration) *cluster.View {
	t.Helper()
	cli := testbed.EtcdClient(t)
	deadline := time.Now().Add(timeout)
	for {
		v, err := cluster.Read(context.Background(), cli, prefix)
		if err != nil {
			t.Fatal(err)
		}
		owned := 0
		for _, tk := range v.Tasks {
			if slices.Contains(live, tk.Owner) {
				owned++
			}
		}
		if owned == tasks && len(v.Tasks) == tasks {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d tasks owned by %v: %+v", timeout, owned, tasks, live, v.Tasks)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCluster_KilledNodesTasksMoveWithNothingLost runs 6 tasks on 3 nodes
// (2 each), kills one node with SIGKILL under a steady workload, and checks
// that its tasks are owned by the others within the lease TTL + 2 s and
// that every task's topic, replayed, equals its table: checkpoints moved
// with the task through etcd.
func TestCluster_KilledNodesTasksMoveWithNothingLost(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	broker := testbed.Kafka(t)[0]
	db := testbed.NewDatabase(t)
	var tables []string
	for i := range 6 {
		tables = append(tables, fmt.Sprintf("c%d", i))
	}
	w := bedWorkload(t, db, tables...)
	for _, tb := range tables {
		w.fill(t, tb, 3000)
	}
	nodes := startNodes(t, prefix, 3, nil)
	topics := map[string]string{}
	for i, tb := range tables {
		topic := testbed.NewTopic(t, 2)
		tp := newTopo(t, fmt.Sprintf("task%d", i), db, topic)
		tp.Tables, tp.Start, tp.ChunkSize = []string{db + "." + tb}, "initial", 500
		sluiceCLI(t, "submit", "-c", nodes[0].file, "-f", tp.write(t))
		topics[tb] = topic
	}
	names := []string{"n1", "n2", "n3"}
	v := waitOwned(t, prefix, 6, names, 30*time.Second)
	load := map[string]int{}
	for _, tk := range v.Tasks {
		load[tk.Owner]++
	}
	if load["n1"] != 2 || load["n2"] != 2 || load["n3"] != 2 {
		t.Fatalf("6 tasks on 3 nodes: %v, want 2/2/2", load)
	}
	for _, nd := range nodes {
		if out := sluiceCLI(t, "tasks", "-c", nd.file); strings.Count(out, "running") != 6 {
			t.Fatalf("sluice tasks from %s:\n%s", nd.name, out)
		}
	}

	writes := w.run(3000, 0)
	defer writes.stop()
	time.Sleep(3 * time.Second)
	victim := nodes[1]
	victim.p.kill9()
	killed := time.Now()
	waitOwned(t, prefix, 6, []string{"n1", "n3"}, 10*time.Second)
	moved := time.Since(killed)
	t.Logf("RESULT cluster kill9: the killed node's tasks owned elsewhere %s after the kill (lease TTL 2s)", moved.Round(time.Millisecond))
	if moved > 4*time.Second {
		t.Errorf("tasks moved %s after the kill, want within the lease TTL + 2s (4s)", moved)
	}
	time.Sleep(3 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		out := converge(t, broker, topics[tb], source{conn: w.conn, db: db, tables: map[string][]string{tb: {"id"}}}, 90*time.Second)
		t.Logf("%s: %d records, %d applied, %d duplicates", tb, out.Records, out.Applied, out.Duplicates)
	}
}

// TestCluster_PausedNodeIsFencedAndItsTasksMove pauses the node of a task
// (SIGSTOP) for longer than its lease under writes: the task is taken over
// elsewhere; when the paused node resumes, its writer is fenced (the new
// owner opened the same transactional id) and it stops its tasks instead of
// writing on. A read_committed scan of every topic then shows, by the
// sluice.node and sluice.epoch headers, that no record of the deposed owner
// comes after the first record of the new one in any partition, and every
// topic equals its table.
func TestCluster_PausedNodeIsFencedAndItsTasksMove(t *testing.T) {
	needBed(t)
	signal := func(sig syscall.Signal) func(*node) {
		return func(victim *node) {
			if err := victim.p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		}
	}
	deposeLiveNode(t, "sigstop", func(prefix string) []*node { return startNodes(t, prefix, 3, nil) }, signal(syscall.SIGSTOP), signal(syscall.SIGCONT))
}

// TestCluster_NodeCutOffFromEtcdStopsItsTasks cuts one node off from etcd
// alone (its etcd endpoint is a proxy; Kafka and MariaDB stay reachable,
// the worst case): once etcd has not answered for a lease TTL the node
// declares its membership lost and stops its tasks, the others take them,
// and the same read_committed scan as for a paused node shows that the cut
// node wrote nothing after its successor's first record. The cut is
// restored afterwards and the node joins again.
func TestCluster_NodeCutOffFromEtcdStopsItsTasks(t *testing.T) {
	needBed(t)
	px, err := NewProxy(testbed.Etcd(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	d := deposeLiveNode(t, "etcd cut", func(prefix string) []*node { return startNodes(t, prefix, 3, map[string]string{"n1": px.Addr()}) },
		func(*node) { px.Cut() },
		func(*node) {
			if err := px.Restore(); err != nil {
				t.Fatal(err)
			}
		})
	// A lease TTL (2 s) of silence, a keep-alive check (0.2 s) and a
	// reconcile round bounded by the TTL.
	if d.stopped.After(d.resumed) || d.stopped.Sub(d.began) > 4500*time.Millisecond {
		t.Errorf("the cut node stopped its tasks %s after the cut (the cut ended after %s), want within 4.5s",
			d.stopped.Sub(d.began), d.resumed.Sub(d.began))
	}
}

// deposal is when a deposeLiveNode's phases happened.
type deposal struct {
	began   time.Time // depose called
	moved   time.Time // the node's tasks owned by the others
	resumed time.Time // resume called
	stopped time.Time // the node logged that it lost its membership and stopped its tasks
}

// deposeLiveNode runs 3 tasks on 3 nodes under writes and deposes n1
// without killing it: depose (a pause, a cut from etcd) lasts until n1's
// tasks are owned by the others and 3 s more (30 s in all in the long
// form), then resume ends it. n1 must
// notice that its membership is lost and stop its tasks; a read_committed
// scan of every topic must show no record of the deposed owner after the
// first record of its successor (by the owner headers), and every topic
// must equal its table. start starts the 3 nodes, n1 first, under the
// cluster prefix it is given.
func deposeLiveNode(t *testing.T, what string, start func(prefix string) []*node, depose, resume func(*node)) deposal {
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	broker := testbed.Kafka(t)[0]
	began, err := testbed.EtcdClient(t).Get(context.Background(), prefix+"/")
	if err != nil {
		t.Fatal(err)
	}
	tables := []string{"p0", "p1", "p2"}
	db, w := filledTables(t, 1000, tables...)
	nodes := start(prefix)
	topics, tasks := map[string]string{}, map[string]string{}
	for i, tb := range tables {
		topic := testbed.NewTopic(t, 2)
		tp := newTopo(t, fmt.Sprintf("ptask%d", i), db, topic)
		tp.Tables, tp.Start = []string{db + "." + tb}, "initial"
		sluiceCLI(t, "submit", "-c", nodes[1].file, "-f", tp.write(t))
		topics[tb], tasks[tb] = topic, tp.Task
	}
	v := waitOwned(t, prefix, 3, []string{"n1", "n2", "n3"}, 30*time.Second)
	writes := w.run(2000, 0)
	defer writes.stop()
	time.Sleep(2 * time.Second)

	victim := nodes[0]
	deposed := map[string]owner{} // moved task → its owner before
	for name, tk := range v.Tasks {
		if tk.Owner == victim.name {
			deposed[name] = owner{tk.Owner, tk.Epoch}
		}
	}
	if len(deposed) == 0 {
		t.Fatalf("%s owns no task: %+v", victim.name, v.Tasks)
	}
	var d deposal
	depose(victim)
	d.began = time.Now()
	waitOwned(t, prefix, 3, []string{"n2", "n3"}, 10*time.Second)
	d.moved = time.Now()
	time.Sleep(pick(3*time.Second, 30*time.Second-time.Since(d.began)))
	resume(victim)
	d.resumed = time.Now()
	// The node finds its membership lost and stops its tasks.
	deadline := time.Now().Add(15 * time.Second)
	for d.stopped.IsZero() {
		d.stopped = loggedAt(victim.p.log(), "membership lost")
		if time.Now().After(deadline) {
			t.Fatalf("%s: the node did not notice that it lost its membership; log:\n%s", what, tail(victim.p.log(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	since := func(at time.Time) time.Duration { return at.Sub(d.began).Round(time.Millisecond) }
	t.Logf("RESULT cluster %s: %v owned elsewhere %s after it began; it ended after %s; the node stopped its tasks after %s",
		what, deposed, since(d.moved), since(d.resumed), since(d.stopped))
	time.Sleep(2 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		out := converge(t, broker, topics[tb], source{conn: w.conn, db: db, tables: map[string][]string{tb: {"id"}}}, 90*time.Second)
		t.Logf("%s: %d records, %d applied, %d duplicates", tb, out.Records, out.Applied, out.Duplicates)
		writers := checkOwnerOrder(t, topics[tb], out.Msgs)
		old, ok := deposed[tasks[tb]]
		if !ok {
			continue
		}
		// The scan proves something only if both owners wrote committed
		// records: the deposed one before, a newer one after.
		newer := 0
		for o, n := range writers {
			if o.epoch > old.epoch {
				newer += n
			}
		}
		t.Logf("%s: %d committed records of the deposed owner %v, %d of newer owners (%v)", tb, writers[old], old, newer, writers)
		if writers[old] == 0 || newer == 0 {
			t.Errorf("%s: %d records of the deposed owner %v and %d of newer owners; the test needs both", topics[tb], writers[old], old, newer)
		}
	}
	auditCheckpoints(t, prefix, deposed, began.Header.Revision+1, slices.Collect(maps.Values(tasks)))
	return d
}

// auditCheckpoints scans etcd's history of every task's state from
// revision from on (etcdstore.Audit): every revision that wrote a
// checkpoint, snapshot or chunk state must carry the writer mark of the
// task's owner at that revision, so that no deposed owner committed a
// checkpoint after its takeover. For each moved task (deposed: task → its
// owner before), both the deposed owner and a newer one must have
// committed, so that the scan proves something.
func auditCheckpoints(t *testing.T, prefix string, deposed map[string]owner, from int64, tasks []string) {
	t.Helper()
	cli := testbed.EtcdClient(t)
	for _, task := range tasks {
		writes, err := etcdstore.Audit(context.Background(), cli, etcdstore.TaskPrefix(prefix, task), prefix+"/owners/"+task, from)
		if err != nil {
			t.Fatal(err)
		}
		by := map[int64]int{}
		for _, w := range writes {
			by[w.Writer]++
			if w.Deposed() {
				t.Errorf("%s: revision %d wrote %v by epoch %d while the owner's epoch was %d: a deposed owner committed", task, w.Revision, w.Keys, w.Writer, w.Owner)
			}
		}
		t.Logf("%s: %d commits in etcd's history, by epoch %v", task, len(writes), by)
		if old, ok := deposed[task]; ok {
			newer := 0
			for e, n := range by {
				if e > old.epoch {
					newer += n
				}
			}
			if by[old.epoch] == 0 || newer == 0 {
				t.Errorf("%s: %d commits of the deposed epoch %d and %d of newer ones; the audit needs both", task, by[old.epoch], old.epoch, newer)
			}
		}
	}
}

// loggedAt is the time of the first line of log that holds every one of
// parts (zero when none does), from the node's time= field.
func loggedAt(log string, parts ...string) time.Time {
	if all := loggedTimes(log, parts...); len(all) > 0 {
		return all[0]
	}
	return time.Time{}
}

// loggedTimes is the time of every line of log that holds all of parts.
func loggedTimes(log string, parts ...string) []time.Time {
	var out []time.Time
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "time=") || !allIn(line, parts) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if at, err := time.Parse(time.RFC3339Nano, stamp); err == nil {
			out = append(out, at)
		}
	}
	return out
}

func allIn(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// owner is a task's owner: a node and its owner epoch.
type owner struct {
	node  string
	epoch int64
}

func (o owner) String() string { return fmt.Sprintf("%s@%d", o.node, o.epoch) }

// checkOwnerOrder checks msgs, a topic's committed records ordered by
// partition and offset, for the fence: every record names its owner
// (sluice.node, sluice.epoch), and in each partition no record of an owner
// comes after the first record of a newer owner (a higher epoch), which is
// what a deposed node writing after the takeover would leave. It returns
// the records of each owner.
func checkOwnerOrder(t *testing.T, topic string, msgs []kafka.Message) map[owner]int {
	t.Helper()
	counts := map[owner]int{}
	latest := map[int]kafka.Message{} // partition → first record of its newest owner so far
	late := map[int]int{}             // partition → records of older owners after it
	defer func() {
		for p, n := range late {
			t.Errorf("%s/%d: %d committed records of deposed owners after the first record of their successor", topic, p, n)
		}
	}()
	for _, m := range msgs {
		o, err := ownerOf(m)
		if err != nil {
			t.Fatalf("%s/%d offset %d: %v", topic, m.Partition, m.Offset, err)
		}
		counts[o]++
		first, seen := latest[m.Partition]
		if !seen {
			latest[m.Partition] = m
			continue
		}
		newest, _ := ownerOf(first)
		switch {
		case o.epoch > newest.epoch:
			latest[m.Partition] = m
		case o.epoch < newest.epoch:
			if late[m.Partition]++; late[m.Partition] > 1 {
				continue
			}
			t.Errorf("%s/%d offset %d: a committed record of %v after the first record of the newer owner %v (offset %d): the deposed owner wrote after the takeover",
				topic, m.Partition, m.Offset, o, newest, first.Offset)
		case o != newest:
			t.Errorf("%s/%d offset %d: epoch %d written by %s and by %s", topic, m.Partition, m.Offset, o.epoch, newest.node, o.node)
		}
	}
	return counts
}

// ownerOf reads a record's owner headers.
func ownerOf(m kafka.Message) (owner, error) {
	var o owner
	var epoch string
	for _, h := range m.Headers {
		switch h.Key {
		case codec.HeaderNode:
			o.node = string(h.Value)
		case codec.HeaderEpoch:
			epoch = string(h.Value)
		}
	}
	e, err := strconv.ParseInt(epoch, 10, 64)
	if o.node == "" || err != nil {
		return o, fmt.Errorf("headers %s=%q, %s=%q: every record a cluster node writes names its node and epoch", codec.HeaderNode, o.node, codec.HeaderEpoch, epoch)
	}
	o.epoch = e
	return o, nil
}

// TestCluster_RepeatedKillsOfTheOwner kills the owner of a task with
// SIGKILL over and over under a steady workload (1,000 row changes a
// second), half of the kills during a task's initial snapshot and half in
// the binlog phase (4 kills, 12 with -chaos), and starts the killed node
// again each time. A binlog kill hits the owner of rtask0 at a random
// moment; a snapshot kill submits a task on a table of its own (40,000
// rows, chunks of 200) and hits its owner once the owner reports the
// snapshot under way. Each kill is timed to the task owned by another node
// and to the first committed record of the new owner; afterwards every
// topic, replayed, equals its table and no partition has a record of an
// owner after its successor's.
func TestCluster_RepeatedKillsOfTheOwner(t *testing.T) {
	needBed(t)
	kills := pick(4, 12)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	broker := testbed.Kafka(t)[0]
	db := testbed.NewDatabase(t)
	tables := []string{"r0", "r1", "r2"}
	var snapTables []string
	for i := range (kills + 1) / 2 {
		snapTables = append(snapTables, fmt.Sprintf("b%d", i))
	}
	w := bedWorkload(t, db, append(slices.Clone(tables), snapTables...)...)
	for _, tb := range tables {
		w.fill(t, tb, 2000)
	}
	for _, tb := range snapTables {
		w.fill(t, tb, 40000)
	}
	nodes := startNodes(t, prefix, 3, nil)
	byName := map[string]*node{}
	var names []string
	for _, nd := range nodes {
		byName[nd.name] = nd
		names = append(names, nd.name)
	}
	topics := map[string]string{}
	var all []string
	for i, tb := range tables {
		topic := testbed.NewTopic(t, 2)
		tp := newTopo(t, fmt.Sprintf("rtask%d", i), db, topic)
		tp.Tables, tp.Start, tp.ChunkSize = []string{db + "." + tb}, "initial", 500
		sluiceCLI(t, "submit", "-c", nodes[0].file, "-f", tp.write(t))
		topics[tb] = topic
		all = append(all, topic)
	}
	snapTopos := map[string]string{} // table → its topology file, submitted at its kill
	for i, tb := range snapTables {
		topic := testbed.NewTopic(t, 2)
		tp := newTopo(t, fmt.Sprintf("rsnap%d", i), db, topic)
		tp.Tables, tp.Start, tp.ChunkSize = []string{db + "." + tb}, "initial", 200
		snapTopos[tb] = tp.write(t)
		topics[tb] = topic
		all = append(all, topic)
	}
	seen := watchOwners(t, broker, all)
	writes := w.run(1000, 0)
	defer writes.stop()

	cli := testbed.EtcdClient(t)
	var owned, first []time.Duration
	phases := map[string]int{}
	for i := range kills {
		task, want := "rtask0", status.PhaseBinlog
		if i%2 == 0 {
			task, want = fmt.Sprintf("rsnap%d", i/2), status.PhaseSnapshot
			sluiceCLI(t, "submit", "-c", nodes[0].file, "-f", snapTopos[snapTables[i/2]])
		}
		var old owner
		var phase string
		// Until the owner still runs the task after the random wait (a
		// restarted node may take it over by a planned move meanwhile).
		for tries := 0; phase == "" && tries < 5; tries++ {
			if want == status.PhaseSnapshot {
				// As soon as the owner reports its first chunks, and a
				// little later at random.
				old = waitPhase(t, cli, prefix, byName, task, func(s status.SourceView) bool {
					return s.Phase == status.PhaseSnapshot && len(s.Tables) == 1 && s.Tables[0].ChunksDone > 0
				}, 30*time.Second)
				time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond)
			} else {
				old = waitPhase(t, cli, prefix, byName, task, func(s status.SourceView) bool { return s.Phase == status.PhaseBinlog }, 30*time.Second)
				time.Sleep(time.Duration(300+rand.IntN(2000)) * time.Millisecond)
			}
			phase = taskPhase(t, byName[old.node], task, old.epoch)
		}
		victim := byName[old.node]
		victim.p.kill9()
		killed := time.Now()
		phases[phase]++
		if phase != want {
			t.Errorf("kill %d: %s was in the %q phase at the kill, want %q (a snapshot that ended too soon: make its table larger)", i+1, task, phase, want)
		}
		var next owner
		for deadline := killed.Add(15 * time.Second); next.node == "" || next.node == old.node; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: %s still not owned by another node 15s after %s was killed", i+1, task, old.node)
			}
			cv, err := cluster.Read(context.Background(), cli, prefix)
			if err != nil {
				t.Fatal(err)
			}
			next = owner{cv.Tasks[task].Owner, cv.Tasks[task].Epoch}
		}
		owned = append(owned, time.Since(killed))
		at := seen.firstOf(t, next, 30*time.Second)
		first = append(first, at.Sub(killed))
		t.Logf("kill %d of %s (owner of %s at epoch %d, %s phase): owned by %v after %s, its first record after %s",
			i+1, old.node, task, old.epoch, phase, next, owned[i].Round(time.Millisecond), first[i].Round(time.Millisecond))
		victim.p = startCommand(t, filepath.Join(filepath.Dir(victim.file), "node.log"), "node", "-c", victim.file)
	}
	t.Logf("RESULT cluster repeated kill9 (%d kills: %d in the snapshot phase, %d in the binlog phase; lease TTL 2s): kill → owned elsewhere %s; kill → first committed record of the new owner %s",
		kills, phases[status.PhaseSnapshot], phases[status.PhaseBinlog], spread(owned), spread(first))
	for i := range owned {
		if owned[i] > 4*time.Second {
			t.Errorf("kill %d: owned elsewhere after %s, want within the lease TTL + 2s (4s)", i+1, owned[i])
		}
		if first[i] > 7*time.Second {
			t.Errorf("kill %d: the new owner's first record came %s after the kill, want within 7s", i+1, first[i])
		}
	}
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range slices.Sorted(maps.Keys(topics)) {
		out := converge(t, broker, topics[tb], source{conn: w.conn, db: db, tables: map[string][]string{tb: {"id"}}}, 90*time.Second)
		writers := checkOwnerOrder(t, topics[tb], out.Msgs)
		t.Logf("%s: %d records, %d applied, %d duplicates, by %d owners", tb, out.Records, out.Applied, out.Duplicates, len(writers))
	}
}

// nodeSource is the first source of task (at epoch) as nd's own /status
// shows it, and whether nd runs it.
func nodeSource(t *testing.T, nd *node, task string, epoch int64) (status.SourceView, bool) {
	t.Helper()
	var own []cluster.NodeStatus
	resp, err := http.Get("http://" + nd.statusAddr + "/status?scope=node")
	if err != nil {
		return status.SourceView{}, false // starting again
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&own); err != nil {
		t.Fatalf("%s /status?scope=node: %v", nd.name, err)
	}
	for _, ns := range own {
		for _, ts := range ns.Tasks {
			if ts.Task == task && ts.Epoch == epoch && len(ts.View.Sources) > 0 {
				return ts.View.Sources[0], true
			}
		}
	}
	return status.SourceView{}, false
}

// waitPhase waits until the owner of task (it may move: a restarted node
// takes its share again) reports the task's source in a state ok accepts,
// and returns the owner.
func waitPhase(t *testing.T, cli *clientv3.Client, prefix string, nodes map[string]*node, task string, ok func(status.SourceView) bool, timeout time.Duration) owner {
	t.Helper()
	var last status.SourceView
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		v, err := cluster.Read(context.Background(), cli, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if tk := v.Tasks[task]; tk != nil && nodes[tk.Owner] != nil && nodes[tk.Owner].p.running() {
			if s, runs := nodeSource(t, nodes[tk.Owner], task, tk.Epoch); runs {
				if last = s; ok(s) {
					return owner{tk.Owner, tk.Epoch}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %s's owner reports %+v", timeout, task, last)
		}
	}
}

// taskPhase is the phase of task's source on nd ("" when nd does not run it).
func taskPhase(t *testing.T, nd *node, task string, epoch int64) string {
	t.Helper()
	s, _ := nodeSource(t, nd, task, epoch)
	return s.Phase
}

// spread is "min / median / max" of ds.
func spread(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
	return fmt.Sprintf("min %s / median %s / max %s", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]))
}

// ownerWatch is a read_committed consumer of topics that notes when it first
// saw a record of each owner.
type ownerWatch struct {
	mu    sync.Mutex
	first map[owner]time.Time
	last  time.Time // when the latest record came
}

func watchOwners(t *testing.T, broker string, topics []string) *ownerWatch {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ow := &ownerWatch{first: map[owner]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			ow.mu.Lock()
			fs.EachRecord(func(r *kgo.Record) {
				ow.last = now
				m := kafka.Message{Headers: make([]kafka.Header, 0, len(r.Headers))}
				for _, h := range r.Headers {
					m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
				}
				if o, err := ownerOf(m); err == nil {
					if _, ok := ow.first[o]; !ok {
						ow.first[o] = now
					}
				}
			})
			ow.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done; cl.Close() })
	return ow
}

// firstOf waits up to timeout for a record of o and returns when it came.
func (ow *ownerWatch) firstOf(t *testing.T, o owner, timeout time.Duration) time.Time {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		ow.mu.Lock()
		at, ok := ow.first[o]
		ow.mu.Unlock()
		if ok {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("no committed record of %v within %s", o, timeout)
		}
	}
}

// TestCluster_JoinAndGracefulStopMoveTasksDrained runs 4 tasks on 2 nodes
// under writes, then makes three kinds of planned move: a third node joins
// and takes a fair share (2/1/1: the old owner of one task drains it and
// gives it up, the new node takes it), then a node is stopped with SIGTERM
// (it drains its tasks and leaves; the others take them), then another. A
// drained hand-off starts exactly at the final checkpoint, so besides every
// topic equal to its table and the owner scan clean, no new owner may
// write a record with a sluice.seq at or below one already committed in its
// partition: a planned move re-sends nothing. Each move is measured from
// the start of the drain to the first committed record of the new owner.
func TestCluster_JoinAndGracefulStopMoveTasksDrained(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	broker := testbed.Kafka(t)[0]
	tables := []string{"j0", "j1", "j2", "j3"}
	db, w := filledTables(t, 1000, tables...)
	nodes := startNodes(t, prefix, 2, nil)
	topics, all := submitTableTasks(t, nodes[0].file, db, "jtask", tables)
	cli := testbed.EtcdClient(t)
	before := waitLoads(t, cli, prefix, 4, func(l map[string]int) bool { return l["n1"] == 2 && l["n2"] == 2 }, 30*time.Second)
	seen := watchOwners(t, broker, all)
	writes := w.run(1000, 0)
	defer writes.stop()
	time.Sleep(3 * time.Second) // the snapshots end: the moves land in the binlog phase

	byName := map[string]*node{"n1": nodes[0], "n2": nodes[1]}
	var moves []time.Duration
	// measure notes every task that changed owner from before to after,
	// from drainStart(task, old owner) to the new owner's first record.
	measure := func(what string, before, after *cluster.View, drainStart func(task, from string) time.Time) {
		n := 0
		for task, tk := range after.Tasks {
			from := before.Tasks[task].Owner
			if tk.Owner == from {
				continue
			}
			n++
			start := drainStart(task, from)
			at := seen.firstOf(t, owner{tk.Owner, tk.Epoch}, 30*time.Second)
			moves = append(moves, at.Sub(start))
			t.Logf("%s: %s moved from %s to %s@%d; drain start → first committed record of the new owner %s",
				what, task, from, tk.Owner, tk.Epoch, at.Sub(start).Round(time.Millisecond))
		}
		if n == 0 {
			t.Fatalf("%s: no task moved: %+v", what, after.Tasks)
		}
	}

	// A node joins: one task moves to it by a drain.
	byName["n3"] = startNode(t, prefix, "n3", testbed.Etcd(t))
	after := waitLoads(t, cli, prefix, 4, func(l map[string]int) bool { return l["n3"] == 1 && l["n1"]+l["n2"] == 3 }, 30*time.Second)
	measure("n3 joined", before, after, func(task, from string) time.Time {
		log := byName[from].p.log()
		at := loggedAt(log, "draining it", "task="+task)
		if at.IsZero() || loggedAt(log, "drained and given up", "task="+task).IsZero() {
			t.Fatalf("%s: the old owner %s did not log the drain and the release of %s; log:\n%s", "n3 joined", from, task, tail(log, 30))
		}
		return at
	})

	// Graceful stops: SIGTERM the node with 2 tasks, then one more.
	for _, want := range []func(map[string]int) bool{
		func(l map[string]int) bool { return len(l) == 2 && maxLoad(l) == 2 },
		func(l map[string]int) bool { return len(l) == 1 },
	} {
		before = after
		victim := ""
		for name, n := range loadsOf(before) {
			if victim == "" || n > loadsOf(before)[victim] || (n == loadsOf(before)[victim] && name < victim) {
				victim = name
			}
		}
		time.Sleep(2 * time.Second)
		stopped := time.Now()
		if code := byName[victim].p.term(30 * time.Second); code != 0 {
			t.Fatalf("%s exited with %d after SIGTERM; log:\n%s", victim, code, tail(byName[victim].p.log(), 30))
		}
		t.Logf("SIGTERM of %s: it drained its tasks and left in %s", victim, time.Since(stopped).Round(time.Millisecond))
		after = waitLoads(t, cli, prefix, 4, func(l map[string]int) bool { return l[victim] == 0 && want(l) }, 30*time.Second)
		measure("SIGTERM of "+victim, before, after, func(string, string) time.Time { return stopped })
	}
	t.Logf("RESULT cluster planned moves (%d: a join, two SIGTERMs; lease TTL 2s): drain start → first committed record of the new owner %s",
		len(moves), spread(moves))

	finishAndScan(t, writes, w, broker, topics, func(topic string, out *outcome, writers map[owner]int) {
		handoffs := checkHandoffsResendNothing(t, topic, out.Msgs)
		t.Logf("%s: %d hand-offs", topic, handoffs)
		if out.Duplicates != 0 {
			t.Errorf("%s: %d duplicates; planned moves must re-send nothing", topic, out.Duplicates)
		}
	})
}

// waitLoads waits until all tasks of the cluster (in the etcd of cli) are
// owned and the number each node owns satisfies ok, and returns the view.
func waitLoads(t *testing.T, cli *clientv3.Client, prefix string, tasks int, ok func(map[string]int) bool, timeout time.Duration) *cluster.View {
	t.Helper()
	return waitView(t, cli, prefix, tasks, func(v *cluster.View) bool { return ok(loadsOf(v)) }, timeout)
}

// waitView waits until all tasks of the cluster (in the etcd of cli) are
// owned and ok holds for the view, and returns it.
func waitView(t *testing.T, cli *clientv3.Client, prefix string, tasks int, ok func(*cluster.View) bool, timeout time.Duration) *cluster.View {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		v, err := cluster.Read(context.Background(), cli, prefix)
		if err != nil {
			t.Fatal(err)
		}
		l := loadsOf(v)
		owned := 0
		for _, n := range l {
			owned += n
		}
		if owned == tasks && len(v.Tasks) == tasks && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the tasks are owned %v (%d of %d): %+v", timeout, l, owned, tasks, v.Tasks)
		}
	}
}

// loadsOf is the number of tasks each node owns.
func loadsOf(v *cluster.View) map[string]int {
	l := map[string]int{}
	for _, tk := range v.Tasks {
		if tk.Owner != "" {
			l[tk.Owner]++
		}
	}
	return l
}

func maxLoad(l map[string]int) int {
	m := 0
	for _, n := range l {
		m = max(m, n)
	}
	return m
}

// checkHandoffsResendNothing fails the test on any re-send handoffResends
// finds in msgs, and returns the hand-offs it checked.
func checkHandoffsResendNothing(t *testing.T, topic string, msgs []kafka.Message) (handoffs int) {
	t.Helper()
	handoffs, resends, err := handoffResends(msgs)
	if err != nil {
		t.Fatalf("%s: %v", topic, err)
	}
	for p, r := range resends {
		t.Errorf("%s/%d: %d records at or below a seq committed before their owner took over (first at offset %d): a planned move re-sent them",
			topic, p, r.n, r.first)
	}
	return handoffs
}

// resend counts the re-sent records of a partition.
type resend struct {
	n     int
	first int64 // the offset of the first
}

// handoffResends checks msgs (a topic's committed records by partition and
// offset) for drained hand-offs: in each partition, every record of an
// owner that took the partition over from another must carry a sluice.seq
// above every seq committed before that owner's first record. It returns
// the hand-offs and, per partition, the records that do not.
func handoffResends(msgs []kafka.Message) (handoffs int, resends map[int]resend, err error) {
	type part struct {
		cur    owner
		max    uint64 // the highest seq so far
		floor  uint64 // the highest seq before cur's first record
		handed bool   // cur took the partition over from another owner
	}
	parts := map[int]*part{}
	resends = map[int]resend{}
	for _, m := range msgs {
		o, err := ownerOf(m)
		if err != nil {
			return 0, nil, fmt.Errorf("partition %d offset %d: %w", m.Partition, m.Offset, err)
		}
		seq, found := uint64(0), false
		for _, h := range m.Headers {
			if h.Key == codec.HeaderSeq {
				seq, err = strconv.ParseUint(string(h.Value), 10, 64)
				found = err == nil
			}
		}
		if !found {
			return 0, nil, fmt.Errorf("partition %d offset %d: no %s header", m.Partition, m.Offset, codec.HeaderSeq)
		}
		p := parts[m.Partition]
		switch {
		case p == nil:
			p = &part{cur: o}
			parts[m.Partition] = p
		case p.cur != o:
			p.cur, p.floor, p.handed = o, p.max, true
			handoffs++
		}
		if p.handed && seq <= p.floor {
			r := resends[m.Partition]
			if r.n == 0 {
				r.first = m.Offset
			}
			r.n++
			resends[m.Partition] = r
		}
		p.max = max(p.max, seq)
	}
	return handoffs, resends, nil
}

// The hand-off check finds a new owner's re-send (a seq at or below the
// last before its first record) and passes a hand-off that starts after it.
// A check of its own: no bed needed.
func TestCluster_HandoffCheckFindsResends(t *testing.T) {
	rec := func(part int, off int64, node string, epoch, seq int) kafka.Message {
		return kafka.Message{Partition: part, Offset: off, Headers: []kafka.Header{
			{Key: codec.HeaderNode, Value: []byte(node)},
			{Key: codec.HeaderEpoch, Value: fmt.Append(nil, epoch)},
			{Key: codec.HeaderSeq, Value: fmt.Append(nil, seq)},
		}}
	}
	msgs := []kafka.Message{
		rec(0, 0, "n1", 5, 10), rec(0, 1, "n1", 5, 11), rec(0, 2, "n2", 9, 12), rec(0, 3, "n2", 9, 13), // clean
		rec(1, 0, "n1", 5, 20), rec(1, 1, "n1", 5, 21), rec(1, 2, "n2", 9, 21), rec(1, 3, "n2", 9, 22), // re-sends 21
	}
	handoffs, resends, err := handoffResends(msgs)
	if err != nil {
		t.Fatal(err)
	}
	if handoffs != 2 || len(resends) != 1 || resends[1] != (resend{n: 1, first: 2}) {
		t.Fatalf("handoffs %d, resends %v; want 2 and one in partition 1 at offset 2", handoffs, resends)
	}
	if _, _, err := handoffResends([]kafka.Message{{Headers: msgs[0].Headers[:2]}}); err == nil {
		t.Fatal("a record without sluice.seq passed")
	}
}

// lastRecord is when the latest record of any owner came.
func (ow *ownerWatch) lastRecord() time.Time {
	ow.mu.Lock()
	defer ow.mu.Unlock()
	return ow.last
}

// TestCluster_EtcdDownTasksPauseAndResume runs 3 tasks on 3 nodes under
// writes against an etcd of the test's own, kills that etcd with SIGKILL
// for 30 s (60 s in the long form, -chaos) and starts it again on the same
// data dir. While etcd is down no node can prove that it owns a task: every
// node must stop its tasks within about a lease TTL, and nothing may be
// committed to the topics after that until etcd is back. Once it is, the
// nodes join again, the tasks are owned again and resume, every topic
// equals its table and the owner scan shows no record of an owner after
// its successor's first.
func TestCluster_EtcdDownTasksPauseAndResume(t *testing.T) {
	needBed(t)
	outage := pick(30*time.Second, 60*time.Second)
	e := startPrivateEtcd(t)
	const prefix = "/sluice"
	broker := testbed.Kafka(t)[0]
	tables := []string{"e0", "e1", "e2"}
	db, w := filledTables(t, 1000, tables...)
	var nodes []*node
	for _, name := range []string{"n1", "n2", "n3"} {
		nodes = append(nodes, startNode(t, prefix, name, []string{e.addr}))
	}
	topics, all := submitTableTasks(t, nodes[0].file, db, "etask", tables)
	cli := e.client(t)
	before := waitLoads(t, cli, prefix, 3, func(l map[string]int) bool { return len(l) == 3 }, 30*time.Second)
	seen := watchOwners(t, broker, all)
	writes := w.run(1000, 0)
	defer writes.stop()
	time.Sleep(3 * time.Second)

	e.kill(t)
	down := time.Now()
	// Every node declares its membership lost (a TTL of silence, a
	// keep-alive check) and stops its tasks.
	var lastStop time.Time
	for _, nd := range nodes {
		var at time.Time
		for deadline := time.Now().Add(10 * time.Second); at.IsZero(); time.Sleep(100 * time.Millisecond) {
			if at = loggedAt(nd.p.log(), "membership lost"); at.IsZero() && time.Now().After(deadline) {
				t.Fatalf("%s did not stop its tasks within 10s of etcd going down; log:\n%s", nd.name, tail(nd.p.log(), 30))
			}
		}
		t.Logf("%s stopped its tasks %s after etcd went down", nd.name, at.Sub(down).Round(time.Millisecond))
		if at.Sub(down) > 4500*time.Millisecond {
			t.Errorf("%s stopped its tasks %s after etcd went down, want within 4.5s (lease TTL 2s)", nd.name, at.Sub(down))
		}
		if at.After(lastStop) {
			lastStop = at
		}
	}
	time.Sleep(outage - time.Since(down))
	// Nothing committed once the tasks stopped (their drains may commit a
	// last transaction for a moment).
	if last := seen.lastRecord(); last.After(lastStop.Add(3 * time.Second)) {
		t.Errorf("a record was committed %s after etcd went down (the tasks stopped by %s): a node ran a task it could not prove it owned",
			last.Sub(down).Round(time.Millisecond), lastStop.Sub(down).Round(time.Millisecond))
	}
	for _, nd := range nodes {
		if !nd.p.running() {
			t.Fatalf("%s exited while etcd was down; log:\n%s", nd.name, tail(nd.p.log(), 30))
		}
	}
	e.start(t)
	up := time.Now()
	// A new client: the old one's reconnect backoff has grown during the
	// outage (the nodes bound theirs; see dialEtcd).
	// etcd renews every lease when it starts, so the owner keys of before
	// are back for a moment, until their nodes revoke the old leases: wait
	// for new epochs.
	after := waitView(t, e.client(t), prefix, 3, func(v *cluster.View) bool {
		for task, tk := range v.Tasks {
			if tk.Epoch == before.Tasks[task].Epoch {
				return false
			}
		}
		return true
	}, 30*time.Second)
	owned := time.Since(up)
	var resumed time.Duration
	for _, tk := range after.Tasks {
		resumed = max(resumed, seen.firstOf(t, owner{tk.Owner, tk.Epoch}, 30*time.Second).Sub(up))
	}
	// Owned within a second; starting a task (metadata, the transactional
	// producer, the binlog connection) took up to 4.7 s more on a 2-core
	// machine at load 20, so the bound leaves room for that.
	if resumed > 10*time.Second {
		t.Errorf("the tasks' first records came up to %s after etcd was back, want within 10s", resumed)
	}
	var joined time.Duration
	for _, nd := range nodes {
		at := loggedTimes(nd.p.log(), "joined the cluster")
		if len(at) < 2 {
			t.Fatalf("%s did not join again after the outage; log:\n%s", nd.name, tail(nd.p.log(), 30))
		}
		joined = max(joined, at[len(at)-1].Sub(up))
	}
	t.Logf("RESULT cluster etcd down %s: every node stopped its tasks by %s after the kill; etcd back → every node joined again %s, every task owned %s, every task's first record %s",
		outage, lastStop.Sub(down).Round(time.Millisecond), joined.Round(time.Millisecond), owned.Round(time.Millisecond), resumed.Round(time.Millisecond))

	finishAndScan(t, writes, w, broker, topics, func(topic string, _ *outcome, writers map[owner]int) {
		if len(writers) < 2 {
			t.Errorf("%s: records of %d owners; the task must have resumed under a new epoch after the outage", topic, len(writers))
		}
	})
}

// privateEtcd is a one-member etcd of the test's own, on free ports with a
// temporary data dir and the flags testbed/up.sh gives the bed's, so that a
// test can kill it without touching the shared one.
type privateEtcd struct {
	addr, peer, dir string
	cmd             *exec.Cmd
	done            chan struct{}
}

func startPrivateEtcd(t *testing.T) *privateEtcd {
	t.Helper()
	e := &privateEtcd{
		addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		peer: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		dir:  t.TempDir(),
	}
	t.Cleanup(func() {
		if e.cmd != nil {
			e.kill(t)
		}
	})
	e.start(t)
	return e
}

// start starts etcd on its data dir and waits until it answers.
func (e *privateEtcd) start(t *testing.T) {
	t.Helper()
	log, err := os.OpenFile(filepath.Join(e.dir, "etcd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	e.cmd = exec.Command("etcd", "--name", "private", "--data-dir", filepath.Join(e.dir, "data"), "--logger", "zap",
		"--listen-client-urls", "http://"+e.addr, "--advertise-client-urls", "http://"+e.addr,
		"--listen-peer-urls", "http://"+e.peer, "--initial-advertise-peer-urls", "http://"+e.peer,
		"--initial-cluster", "private=http://"+e.peer, "--initial-cluster-state", "new")
	e.cmd.Stdout, e.cmd.Stderr = log, log
	if err := e.cmd.Start(); err != nil {
		t.Fatalf("starting a private etcd (etcd-server, as testbed/up.sh installs it): %v", err)
	}
	e.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(e.cmd, e.done)
	cli := e.client(t)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := cli.Get(ctx, "health")
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			raw, _ := os.ReadFile(filepath.Join(e.dir, "etcd.log"))
			t.Fatalf("the private etcd at %s does not answer after 30s: %v\n%s", e.addr, err, tail(string(raw), 20))
		}
	}
}

// kill ends etcd with SIGKILL and waits for it.
func (e *privateEtcd) kill(t *testing.T) {
	t.Helper()
	_ = e.cmd.Process.Signal(syscall.SIGKILL)
	<-e.done
	e.cmd = nil
}

// client is a client of the private etcd, closed in t.Cleanup.
func (e *privateEtcd) client(t *testing.T) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{e.addr}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// submitTableTasks submits, through the node file nodeFile, one task per
// table of db (named name0, name1, …), each from the initial snapshot into
// a topic of its own with 2 partitions. It returns each table's topic and
// the topics in table order.
func submitTableTasks(t *testing.T, nodeFile, db, name string, tables []string) (topics map[string]string, all []string) {
	t.Helper()
	topics = map[string]string{}
	for i, tb := range tables {
		topic := testbed.NewTopic(t, 2)
		tp := newTopo(t, fmt.Sprintf("%s%d", name, i), db, topic)
		tp.Tables, tp.Start = []string{db + "." + tb}, "initial"
		sluiceCLI(t, "submit", "-c", nodeFile, "-f", tp.write(t))
		topics[tb] = topic
		all = append(all, topic)
	}
	return topics, all
}

// finishAndScan lets the writes run 2 s more and stops them, then checks
// the topic of each table (topics: table → topic): it must equal its table
// (converge), and the owner scan must be clean (checkOwnerOrder). check
// gets each topic's outcome and its records per owner.
func finishAndScan(t *testing.T, writes *writer, w *workload, broker string, topics map[string]string,
	check func(topic string, out *outcome, writers map[owner]int)) {
	t.Helper()
	time.Sleep(2 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range slices.Sorted(maps.Keys(topics)) {
		out := converge(t, broker, topics[tb], source{conn: w.conn, db: w.db, tables: map[string][]string{tb: {"id"}}}, 90*time.Second)
		writers := checkOwnerOrder(t, topics[tb], out.Msgs)
		t.Logf("%s: %d records, %d applied, %d duplicates, owners %v", tb, out.Records, out.Applied, out.Duplicates, writers)
		check(topics[tb], out, writers)
	}
}

// filledTables makes a database with tables of rows rows each and returns
// it with a workload on them.
func filledTables(t *testing.T, rows int, tables ...string) (string, *workload) {
	t.Helper()
	db := testbed.NewDatabase(t)
	w := bedWorkload(t, db, tables...)
	for _, tb := range tables {
		w.fill(t, tb, rows)
	}
	return db, w
}

// TestCluster_TasksAndMetricsShowEachTasksProgress runs 3 tasks on 3 nodes
// under writes and checks what an operator sees: sluice tasks (from any
// node's file) shows each task's phase and last checkpoint, as its owner
// reported it to etcd, with the checkpoint's age; each node's status_addr
// serves /metrics with every sample of its tasks labelled with the node and
// the task, each family's HELP once, and no sample of another node's task.
func TestCluster_TasksAndMetricsShowEachTasksProgress(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	tables := []string{"m0", "m1", "m2"}
	db, w := filledTables(t, 500, tables...)
	nodes := startNodes(t, prefix, 3, nil)
	submitTableTasks(t, nodes[2].file, db, "mtask", tables)
	v := waitLoads(t, testbed.EtcdClient(t), prefix, 3, func(l map[string]int) bool { return len(l) == 3 }, 30*time.Second)
	writes := w.run(300, 0)
	defer writes.stop()

	// Every task's progress, reported by its owner, with a fresh checkpoint
	// of the binlog phase.
	type listing struct {
		Tasks []struct {
			Task     string            `json:"task"`
			Node     string            `json:"node"`
			Epoch    int64             `json:"epoch"`
			Progress *cluster.Progress `json:"progress"`
		} `json:"tasks"`
	}
	var last string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		last = sluiceCLI(t, "tasks", "-c", nodes[0].file, "--json")
		var l listing
		if err := json.Unmarshal([]byte(last), &l); err != nil {
			t.Fatalf("sluice tasks --json: %v\n%s", err, last)
		}
		fresh := 0
		for _, tk := range l.Tasks {
			p := tk.Progress
			if p == nil || p.Node != tk.Node || p.Epoch != tk.Epoch || len(p.Sources) != 1 {
				continue
			}
			if s := p.Sources[0]; s.Phase == status.PhaseBinlog && s.Checkpoint != "" && time.Since(s.At) < 5*time.Second {
				fresh++
			}
		}
		if fresh == 3 && len(l.Tasks) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s, %d of 3 tasks show a fresh binlog checkpoint reported by their owner:\n%s", fresh, last)
		}
	}
	out := sluiceCLI(t, "tasks", "-c", nodes[1].file)
	for _, want := range []string{"PHASE", "LAG", "CHECKPOINT", "AGE", status.PhaseBinlog} {
		if !strings.Contains(out, want) {
			t.Errorf("sluice tasks shows no %q:\n%s", want, out)
		}
	}
	t.Logf("sluice tasks:\n%s", out)

	for _, nd := range nodes {
		resp, err := http.Get("http://" + nd.statusAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(raw)
		if n := strings.Count(body, "# HELP sluice_sink_records_total "); n != 1 {
			t.Errorf("%s /metrics: HELP of sluice_sink_records_total %d times, want once:\n%s", nd.name, n, body)
		}
		for name, tk := range v.Tasks {
			series := fmt.Sprintf(`sluice_sink_records_total{node=%q,task=%q,sink=`, nd.name, name)
			if has := strings.Contains(body, series); has != (tk.Owner == nd.name) {
				t.Errorf("%s /metrics: %s present %v, but the task's owner is %s:\n%s", nd.name, series, has, tk.Owner, body)
			}
		}
		for _, line := range strings.Split(body, "\n") {
			if line != "" && !strings.HasPrefix(line, "#") && !strings.Contains(line, fmt.Sprintf("{node=%q,task=", nd.name)) {
				t.Errorf("%s /metrics: a sample without the node and task labels: %s", nd.name, line)
			}
		}
	}
}
