package faults

import (
	"context"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestKill9_SnapshotAndIncremental kills sluice with SIGKILL at random
// moments, first during the snapshot of a large table, then during the
// binlog phase, while a workload writes to three tables throughout, and
// restarts it each time. Afterwards the topic, replayed as upserts, must
// equal the source tables row for row, every key in one partition, each
// key's changes in order without a gap, and re-sent records only from
// after the checkpoint committed before each crash.
func TestKill9_SnapshotAndIncremental(t *testing.T) {
	needBed(t)
	kills := pick(6, 20)
	fillRows := pick(200_000, 500_000)
	changes := int64(pick(100_000, 400_000))
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 9))
	t.Logf("kills %d, snapshot rows %d, workload changes %d, seed %d", kills, fillRows, changes, seed)

	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 4)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1", "w2", "w3")
	w.fill(t, "w1", fillRows)
	tp := newTopo(t, "kill9", db, topic)
	tp.Start = "initial"
	tp.ChunkSize = 1000

	writes := w.run(pick(6000, 4000), changes)
	defer writes.stop()
	p := tp.start(t)
	runStart := time.Now()

	var marks []runMark
	var recoveries []time.Duration
	snapshotKills := 0
	for i := range kills {
		// The first kills land in the snapshot: each waits until the run
		// has written a few thousand more snapshot records (the table has
		// fillRows), so that it does not depend on how fast the copy goes.
		// The others come at random moments of the binlog phase.
		var wait time.Duration
		if i < 5 {
			started := time.Now()
			var before int64
			if len(marks) > 0 {
				before = sum(marks[len(marks)-1].offsets)
			}
			waitForWrites(t, broker, topic, before+int64(2000+rng.IntN(fillRows/16)), time.Minute, p)
			wait = time.Since(started)
		} else {
			wait = time.Duration(500+rng.IntN(3500)) * time.Millisecond
			time.Sleep(wait)
		}
		if !p.running() {
			t.Fatalf("sluice exited (code %d) before kill %d; log:\n%s", p.exit, i+1, tail(p.log(), 40))
		}
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		killedAt := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		cp, hasCP, snapDone := readState(t, tp.checkpointFile(), "src")
		if !snapDone {
			snapshotKills++
		}
		marks = append(marks, runMark{offsets: offs, cp: cp, hasCP: hasCP})
		t.Logf("kill %d after %s of run: snapshot finished %v, checkpoint %v (seq %d), %d records in the topic",
			i+1, wait, snapDone, hasCP, cp.Seq, sum(offs))

		p = tp.start(t)
		at := waitForWrites(t, broker, topic, sum(offs), 60*time.Second, p)
		recoveries = append(recoveries, at.Sub(killedAt))
	}
	if snapshotKills == 0 {
		t.Errorf("no kill landed in the snapshot phase; make the snapshot longer")
	}
	if err := writes.wait(5 * time.Minute); err != nil {
		t.Fatal(err)
	}
	written := w.changes.Load()
	catchUp := time.Now()
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}, 3*time.Minute)
	t.Logf("caught up %s after the last write", time.Since(catchUp).Round(100*time.Millisecond))

	totalDups := 0
	for i, m := range marks {
		var next map[int]int64
		if i+1 < len(marks) {
			next = marks[i+1].offsets
		}
		d := runDuplicates(t, out.Msgs, m, next)
		totalDups += d
		t.Logf("run %d (after kill %d): %d records re-sent, recovery (restart to first write) %s", i+2, i+1, d, recoveries[i].Round(time.Millisecond))
	}
	rereads := snapshotRereads(t, out.Msgs, tp.keyCols(db))
	slices.Sort(recoveries)
	t.Logf("RESULT kill9: kills %d (%d in the snapshot), snapshot rows %d, row changes written %d, source rows verified %d, "+
		"records %d, applied %d, lost 0, duplicates %d (binlog re-sends %d, snapshot rows re-read %d), "+
		"recovery median %s max %s, total %s",
		kills, snapshotKills, fillRows, written, out.Rows, out.Records, out.Applied, out.Duplicates+rereads, totalDups, rereads,
		recoveries[len(recoveries)/2].Round(time.Millisecond), recoveries[len(recoveries)-1].Round(time.Millisecond),
		time.Since(runStart).Round(time.Second))
	if written < changes {
		t.Errorf("the workload wrote %d row changes, want %d", written, changes)
	}
	if p.running() {
		if code := p.term(60 * time.Second); code != 0 {
			t.Errorf("graceful stop at the end: exit code %d", code)
		}
	}
}

// keyCols is the key columns of the workload tables of db.
func (tp *topo) keyCols(db string) map[string][]string {
	return map[string][]string{db + ".w1": {"id"}, db + ".w2": {"id"}, db + ".w3": {"id"}}
}
