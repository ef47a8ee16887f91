package faults

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestCheckpointDirInUse_SecondRunRefusedNamingThePid: a second `sluice
// run` on the checkpoint directory of a running one must be refused at once
// (the file's lock), naming the first one's pid, and leave the first one
// running and writing (issue 17, scenario 4).
func TestCheckpointDirInUse_SecondRunRefusedNamingThePid(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	tp := newTopo(t, "lock", db, topic)
	writes := w.run(1000, 0)
	defer writes.stop()
	first := tp.start(t)
	waitForWrites(t, broker, topic, 500, time.Minute, first)

	started := time.Now()
	second := startSluice(t, tp.write(t), filepath.Join(tp.Dir, "second.log"))
	code := second.wait(30 * time.Second)
	took := time.Since(started)
	want := fmt.Sprintf("locked by another sluice process (pid %d on ", first.cmd.Process.Pid)
	if code != 1 || !strings.Contains(second.log(), want) || !strings.Contains(second.log(), "give this task its own checkpoint_dir") {
		t.Fatalf("second run: exit %d after %s, want 1 with %q and the fix; log:\n%s", code, took, want, tail(second.log(), 10))
	}
	if took > 10*time.Second {
		t.Errorf("second run refused only after %s; want within a few seconds", took)
	}
	t.Logf("second run refused in %s: %s", took.Round(10*time.Millisecond), strings.TrimSpace(tail(second.log(), 1)))

	// The first run is unaffected: still running, still writing.
	offs, err := endOffsets(t.Context(), broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, broker, topic, sum(offs), 30*time.Second, first)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	if code := first.term(60 * time.Second); code != 0 {
		t.Errorf("first run: graceful stop exit %d", code)
	}
}
