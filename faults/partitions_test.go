package faults

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestPartitionsAdded_RunningTaskStopsAndRestartIsRefused pins defect 7 of
// issue 17: partitions added to a topic while sluice writes to it. The
// running task must stop with a terminal error naming the topic, the old and
// the new count and the fix, having written nothing to the new partitions
// (no key in two partitions); its checkpoint records the count; the next
// start is refused by the precheck, and by the engine itself when that item
// is ignored; `sluice precheck` fails the item.
func TestPartitionsAdded_RunningTaskStopsAndRestartIsRefused(t *testing.T) {
	needBed(t)
	db, topic, broker, tp, writes, p := streamToThreePartitions(t, "parts")
	defer writes.stop()
	waitForWrites(t, broker, topic, 2000, time.Minute, p)
	time.Sleep(time.Second) // a checkpoint or more
	addPartitions(t, broker, topic, 6)
	added := time.Now()
	code := p.wait(40 * time.Second)
	took := time.Since(added)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	changed := fmt.Sprintf("topic %s has 6 partitions but had 3", topic)
	fix := fmt.Sprintf("recreate topic %s with 3 partitions, or take a new snapshot into a fresh topic", topic)
	log := p.log()
	if code != 1 || !strings.Contains(log, changed) || !strings.Contains(log, fix) {
		t.Fatalf("after partitions were added: exit %d (want 1) after %s; want %q and %q in the log:\n%s", code, took, changed, fix, tail(log, 20))
	}
	t.Logf("the running task stopped %s after the partitions were added", took.Round(100*time.Millisecond))

	// Nothing went to the new partitions, and no key sits in two.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	msgs, err := verify.ReadAll(ctx, broker, topic)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	perPartition := map[int]int{}
	for _, m := range msgs {
		perPartition[m.Partition]++
	}
	if perPartition[3]+perPartition[4]+perPartition[5] != 0 || perPartition[0] == 0 {
		t.Errorf("records per partition %v: want every record in partitions 0-2", perPartition)
	}
	st, err := verify.Replay(msgs, map[string][]string{db + ".w1": {"id"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range st.Problems {
		t.Error(pr)
	}

	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok || cp.Partitions["kafka"][topic] != 3 {
		t.Fatalf("checkpoint %v (committed %v): want the partition count 3 of %s recorded for sink kafka", cp.Partitions, ok, topic)
	}
	t.Logf("records before the stop %d, checkpoint records %v", len(msgs), cp.Partitions)
	checkRefused(t, tp, topic, changed, fix)
}

// TestPartitionsAdded_WhileStoppedRestartIsRefused: partitions added while
// sluice is stopped (SIGTERM); the next start must be refused, not hash
// onto the new count.
func TestPartitionsAdded_WhileStoppedRestartIsRefused(t *testing.T) {
	needBed(t)
	_, topic, broker, tp, writes, p := streamToThreePartitions(t, "parts-stopped")
	defer writes.stop()
	waitForWrites(t, broker, topic, 1000, time.Minute, p)
	if code := p.term(60 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d; log:\n%s", code, tail(p.log(), 20))
	}
	before, err := endOffsets(context.Background(), broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	addPartitions(t, broker, topic, 4)
	checkRefused(t, tp, topic, fmt.Sprintf("topic %s has 4 partitions but had 3", topic),
		fmt.Sprintf("recreate topic %s with 3 partitions, or take a new snapshot into a fresh topic", topic))
	after, err := endOffsets(context.Background(), broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	if sum(after) != sum(before) {
		t.Errorf("refused starts wrote %d records (offsets %v, then %v)", sum(after)-sum(before), before, after)
	}
}

// streamToThreePartitions starts task: a workload writing 2 000 changes/s
// to table w1 of a new database, and sluice streaming it to a new topic of
// 3 partitions.
func streamToThreePartitions(t *testing.T, task string) (db, topic, broker string, tp *topo, writes *writer, p *proc) {
	t.Helper()
	db = testbed.NewDatabase(t)
	topic = testbed.NewTopic(t, 3)
	broker = testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	tp = newTopo(t, task, db, topic)
	writes = w.run(2000, 0)
	return db, topic, broker, tp, writes, tp.start(t)
}

// checkRefused starts sluice on tp three ways after topic's partition count
// changed: `sluice run` (its precheck fails the topic's item), `sluice run
// --ignore` that item (the engine refuses), and `sluice precheck`.
func checkRefused(t *testing.T, tp *topo, topic, changed, fix string) {
	t.Helper()
	item := "sink.kafka.topic." + topic
	p := tp.start(t)
	if code := p.wait(60 * time.Second); code != 1 || !strings.Contains(tail(p.log(), 5), item) {
		t.Fatalf("restart: exit %d, want 1 with precheck item %s failed; log:\n%s", code, item, tail(p.log(), 20))
	}
	p = tp.start(t, "--ignore", item)
	if code := p.wait(60 * time.Second); code != 1 || !strings.Contains(tail(p.log(), 5), changed) || !strings.Contains(tail(p.log(), 5), fix) {
		t.Fatalf("restart with the item ignored: exit %d, want 1 naming the change and the fix; log:\n%s", code, tail(p.log(), 20))
	}
	out, err := exec.Command(sluiceBin, "precheck", "-f", tp.write(t)).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), item) ||
		!strings.Contains(string(out), "but had 3") {
		t.Fatalf("sluice precheck: %v, want exit 1 with item %s failed:\n%s", err, item, out)
	}
}

// addPartitions grows topic to n partitions with the Kafka admin API.
func addPartitions(t *testing.T, broker, topic string, n int) {
	t.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 30 * time.Second}
	res, err := cl.CreatePartitions(context.Background(), &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: int32(n)}},
	})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		t.Fatalf("add partitions to %s (%d in all): %v", topic, n, err)
	}
}

// TestPartitionsAdded_DuringSnapshotRestartIsRefused: killed in the
// snapshot (no checkpoint yet: the snapshot's record holds the count), then
// partitions added; the restart must be refused too, not re-read the
// unfinished chunks onto the new count.
func TestPartitionsAdded_DuringSnapshotRestartIsRefused(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 3)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	w.fill(t, "w1", 100_000)
	tp := newTopo(t, "parts-snapshot", db, topic)
	tp.Start, tp.ChunkSize = "initial", 1000
	p := tp.start(t)
	waitForWrites(t, broker, topic, 5000, time.Minute, p)
	p.kill9()
	if _, hasCP, done := readState(t, tp.checkpointFile(), "src"); hasCP || done {
		t.Fatalf("killed too late: checkpoint %v, snapshot finished %v", hasCP, done)
	}
	addPartitions(t, broker, topic, 5)
	checkRefused(t, tp, topic, fmt.Sprintf("topic %s has 5 partitions but had 3", topic),
		fmt.Sprintf("recreate topic %s with 3 partitions, or take a new snapshot into a fresh topic", topic))
}
