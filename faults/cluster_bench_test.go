package faults

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/internal/testbed"
)

var clusterBench = flag.Bool("cluster-bench", false, "run TestCluster_ThroughputAndMemory at the sizes of make bench-cluster")

// TestCluster_ThroughputAndMemory measures what docs/cluster.md reports
// for cluster mode, and checks that every row arrives:
//
//   - per-node memory: one node runs 2 tasks, then 10, under writes (200
//     row changes a second over the tables); its RSS is sampled from /proc
//     after each has settled;
//   - 3 nodes against 1: 6 tasks, each the initial snapshot of a table of
//     its own (20,000 rows each; 200,000 with -cluster-bench), submitted at
//     once to 1 node, then to 3 nodes under a fresh prefix; the time from
//     the first submit to the last record, counted by a read_committed
//     consumer, gives rows per second. On one 2-core machine 3 nodes share
//     the same cores as 1 does, so no gain is expected.
//
// make bench-cluster runs it with -cluster-bench, and the etcd store's
// commit benchmark.
func TestCluster_ThroughputAndMemory(t *testing.T) {
	needBed(t)
	broker := testbed.Kafka(t)[0]

	// Memory: 2 tasks, then 10, on one node.
	var small []string
	for i := range 10 {
		small = append(small, fmt.Sprintf("m%d", i))
	}
	db, w := filledTables(t, 2000, small...)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	nd := startNodes(t, prefix, 1, nil)[0]
	topics := map[string]string{}
	submit := func(tables []string, name string, from int) {
		for i, tb := range tables {
			topic := testbed.NewTopic(t, 2)
			tp := newTopo(t, fmt.Sprintf("%s%d", name, from+i), db, topic)
			tp.Tables, tp.Start = []string{db + "." + tb}, "initial"
			sluiceCLI(t, "submit", "-c", nd.file, "-f", tp.write(t))
			topics[tb] = topic
		}
	}
	writes := w.run(200, 0)
	defer writes.stop()
	rss := map[int]int64{}
	for _, n := range []int{2, 10} {
		submit(small[len(topics):n], "mem", len(topics))
		waitOwned(t, prefix, n, []string{nd.name}, 30*time.Second)
		time.Sleep(benchPick(6*time.Second, 15*time.Second))
		rss[n] = nd.p.lastRSS.Load()
		t.Logf("RESULT cluster node RSS with %d tasks: %.0f MiB (peak so far %.0f MiB)", n, float64(rss[n])/(1<<20), float64(nd.p.peakRSS.Load())/(1<<20))
	}
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range small {
		converge(t, broker, topics[tb], source{conn: w.conn, db: db, tables: map[string][]string{tb: {"id"}}}, 90*time.Second)
	}
	if rss[2] == 0 || rss[10] == 0 || rss[10] > 2<<30 {
		t.Errorf("node RSS %d bytes with 2 tasks, %d with 10: want both measured and under 2 GiB", rss[2], rss[10])
	}
	nd.p.term(30 * time.Second)

	// Throughput: 6 snapshots on 1 node, then on 3.
	rows := benchPick(20000, 200000)
	var big []string
	for i := range 6 {
		big = append(big, fmt.Sprintf("t%d", i))
	}
	bdb, _ := filledTables(t, rows, big...)
	rate := map[int]float64{}
	for _, n := range []int{1, 3} {
		prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
		nodes := startNodes(t, prefix, n, nil)
		var names []string
		for _, nd := range nodes {
			names = append(names, nd.name)
		}
		waitMembers(t, prefix, n)
		want := map[string]int{}
		var files []string
		for i, tb := range big {
			topic := testbed.NewTopic(t, 2)
			tp := newTopo(t, fmt.Sprintf("thr%d_%d", n, i), bdb, topic)
			tp.Tables, tp.Start = []string{bdb + "." + tb}, "initial"
			files = append(files, tp.write(t))
			want[topic] = rows
		}
		count := countCommitted(t, broker, want)
		start := time.Now()
		for _, f := range files { // checked before, so that the time is the nodes'
			sluiceCLI(t, "submit", "-c", nodes[0].file, "-f", f, "--no-precheck")
		}
		v := waitOwned(t, prefix, len(big), names, 30*time.Second)
		done := count(benchPick(3*time.Minute, 15*time.Minute))
		took := done.Sub(start)
		rate[n] = float64(rows*len(big)) / took.Seconds()
		t.Logf("RESULT cluster throughput, %d node(s), 6 snapshots of %d rows (%v): %s, %.0f rows/s", n, rows, loadsOf(v), took.Round(10*time.Millisecond), rate[n])
		for _, nd := range nodes {
			nd.p.term(30 * time.Second)
		}
	}
	t.Logf("RESULT cluster 3 nodes against 1: %.2f× the rows per second", rate[3]/rate[1])
}

// benchPick is short, or long with -cluster-bench.
func benchPick[T any](short, long T) T {
	if *clusterBench {
		return long
	}
	return short
}

// waitMembers waits until n nodes are members under prefix.
func waitMembers(t *testing.T, prefix string, n int) {
	t.Helper()
	waitView(t, testbed.EtcdClient(t), prefix, 0, func(v *cluster.View) bool { return len(v.Members) == n }, 30*time.Second)
}

// countCommitted starts a read_committed consumer of want's topics; the
// function it returns waits until every topic has at least its number of
// records and returns when the last one came.
func countCommitted(t *testing.T, broker string, want map[string]int) func(timeout time.Duration) time.Time {
	t.Helper()
	var topics []string
	for tp := range want {
		topics = append(topics, tp)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	var last time.Time
	complete := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		closed := false
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now()
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { got[r.Topic]++; last = now })
			full := true
			for tp, n := range want {
				full = full && got[tp] >= n
			}
			mu.Unlock()
			if full && !closed {
				close(complete)
				closed = true
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-stopped; cl.Close() })
	return func(timeout time.Duration) time.Time {
		select {
		case <-complete:
		case <-time.After(timeout):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("after %s, records per topic %v, want %v", timeout, got, want)
		}
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}
