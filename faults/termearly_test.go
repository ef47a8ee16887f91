package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Regression (issue 17, defect 11): SIGTERM right after the checkpoint file
// was created, while the task was still being prepared, exited 1
// ("recording the start position: … i/o timeout"); docs/operations.md
// promises 0 for every SIGTERM. A stop before anything was read must exit 0
// and leave a start that works.
func TestSIGTERM_RightAfterStartupExitsZero(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	w.fill(t, "w1", 2000)
	tp := newTopo(t, "term-early", db, topic)
	tp.Start = "initial"
	for i := range 3 {
		// A fresh checkpoint directory each time: "created checkpoint
		// file" is logged only when there is none.
		if err := os.RemoveAll(filepath.Join(tp.Dir, "checkpoints")); err != nil {
			t.Fatal(err)
		}
		p := tp.start(t)
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(lastRun(p.log()), "created checkpoint file") { // this run's line, not an earlier one's
			if !p.running() || time.Now().After(deadline) {
				t.Fatalf("run %d did not log \"created checkpoint file\" (running %v); log:\n%s", i+1, p.running(), tail(p.log(), 10))
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(i) * 20 * time.Millisecond) // a little further into the start each time
		t0 := time.Now()
		if code := p.term(20 * time.Second); code != 0 {
			t.Fatalf("SIGTERM %d right after startup: exit %d, want 0; log:\n%s", i+1, code, tail(p.log(), 10))
		}
		t.Logf("SIGTERM %d: exit 0 after %s", i+1, time.Since(t0).Round(time.Millisecond))
	}
	p := tp.start(t) // on what the last stop left
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}}}, 2*time.Minute)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM after the snapshot: exit %d", code)
	}
	t.Logf("RESULT term-early: 3 SIGTERMs right after \"created checkpoint file\", each exit 0; then a run: source rows verified %d, records %d", out.Rows, out.Records)
}

// Regression (issue 17, defect 11): SIGTERM while the source was down (its
// unit between two reconnect attempts, nothing in flight) waited the whole
// 30 s drain and exited 1 ("drain: sources still reading"), past
// Kubernetes' default grace period. With nothing in flight the stop must be
// prompt and exit 0.
func TestSIGTERM_WhileSourceDownExitsPromptly(t *testing.T) {
	needBed(t)
	for _, tc := range []struct {
		phase string
		fill  int // snapshot rows (read at 120 rows/s); 0: no snapshot
	}{
		{phase: "binlog"},
		{phase: "snapshot", fill: 6000},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			db := testbed.NewDatabase(t)
			topic := testbed.NewTopic(t, 2)
			broker := testbed.Kafka(t)[0]
			w := bedWorkload(t, db, "w1")
			tp, px := proxiedTopo(t, "term-down-"+tc.phase, db, topic)
			if tc.fill > 0 {
				w.fill(t, "w1", tc.fill)
				tp.Start, tp.ChunkSize, tp.RowsPerSec = "initial", 200, 120
			}
			writes := w.run(500, 0)
			defer writes.stop()
			p := tp.start(t)
			waitForWrites(t, broker, topic, 100, 30*time.Second, p)
			px.Cut()
			time.Sleep(8 * time.Second) // several failed reconnects; backoff well past its first steps
			if !strings.Contains(p.log(), "source failed; restarting it") {
				t.Fatalf("the cut did not fail the source; log:\n%s", tail(p.log(), 10))
			}
			if tc.fill > 0 && strings.Contains(p.log(), "snapshot complete") {
				t.Fatalf("the snapshot was over before the cut; make it longer")
			}
			t0 := time.Now()
			code := p.term(40 * time.Second)
			took := time.Since(t0)
			if code != 0 {
				t.Errorf("SIGTERM with the source down: exit %d after %s, want 0; log:\n%s", code, took.Round(time.Millisecond), tail(p.log(), 10))
			}
			if took > 5*time.Second {
				t.Errorf("SIGTERM with the source down took %s, want under 5 s", took.Round(time.Millisecond))
			}
			if err := px.Restore(); err != nil {
				t.Fatal(err)
			}
			p = tp.start(t)
			time.Sleep(2 * time.Second)
			if err := writes.stop(); err != nil {
				t.Fatal(err)
			}
			out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
				tables: map[string][]string{"w1": {"id"}}}, 3*time.Minute)
			if code := p.term(30 * time.Second); code != 0 {
				t.Errorf("SIGTERM after the restart: exit %d", code)
			}
			t.Logf("RESULT term-down-%s: SIGTERM 8 s into a MariaDB cut: exit %d after %s; restart: row changes %d, source rows verified %d, records %d, lost 0, duplicates %d",
				tc.phase, code, took.Round(time.Millisecond), w.changes.Load(), out.Rows, out.Records, out.Duplicates)
		})
	}
}
