package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestSIGTERM_DrainsAndRestartsWithoutDuplicates stops sluice with SIGTERM
// in the middle of a stream: it must exit 0 after committing a checkpoint
// that covers every record it wrote, so that the restart writes nothing
// twice.
func TestSIGTERM_DrainsAndRestartsWithoutDuplicates(t *testing.T) {
	needBed(t)
	stops := pick(2, 5)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 3)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1", "w2", "w3")
	tp := newTopo(t, "sigterm", db, topic)
	writes := w.run(5000, 0)
	defer writes.stop()

	p := tp.start(t)
	var marks []runMark
	var drains []time.Duration
	for i := range stops {
		waitForWrites(t, broker, topic, 0, 30*time.Second, p)
		time.Sleep(2 * time.Second)
		t0 := time.Now()
		if code := p.term(60 * time.Second); code != 0 {
			t.Fatalf("SIGTERM %d: exit code %d, want 0; log:\n%s", i+1, code, tail(p.log(), 30))
		}
		drains = append(drains, time.Since(t0))
		if !strings.Contains(tail(p.log(), 5), "checkpoint committed") {
			t.Errorf("SIGTERM %d: the log does not end with the final checkpoint:\n%s", i+1, tail(p.log(), 5))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
		if !ok {
			t.Fatalf("SIGTERM %d: no checkpoint committed", i+1)
		}
		marks = append(marks, runMark{offsets: offs, cp: cp, hasCP: true})
		p = tp.start(t)
	}
	waitForWrites(t, broker, topic, sum(marks[len(marks)-1].offsets), 30*time.Second, p)
	time.Sleep(time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}, 2*time.Minute)

	// Every record written before a stop is below that stop's checkpoint.
	for i, m := range marks {
		var maxSeq uint64
		for _, msg := range out.Msgs {
			if msg.Offset < m.offsets[msg.Partition] {
				maxSeq = max(maxSeq, seqOf(msg))
			}
		}
		if m.cp.Seq <= maxSeq {
			t.Errorf("stop %d: checkpoint seq %d does not cover seq %d already written", i+1, m.cp.Seq, maxSeq)
		}
		var next map[int]int64
		if i+1 < len(marks) {
			next = marks[i+1].offsets
		}
		if d := runDuplicates(t, out.Msgs, m, next); d != 0 {
			t.Errorf("run after SIGTERM %d re-sent %d records, want 0", i+1, d)
		}
	}
	if out.Duplicates != 0 {
		t.Errorf("%d duplicates in the topic, want 0 after graceful stops", out.Duplicates)
	}
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("final SIGTERM: exit code %d", code)
	}
	t.Logf("workload: %d inserted, %d updated, %d deleted; topic: %v", w.ops[0].Load(), w.ops[1].Load(), w.ops[2].Load(), countTypes(t, out.Msgs))
	t.Logf("RESULT sigterm: stops %d, row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d, drain times %v",
		stops, w.changes.Load(), out.Rows, out.Records, out.Duplicates, drains)
}
