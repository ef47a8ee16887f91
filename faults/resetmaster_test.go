package faults

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestResetMaster_RefusedOnResume pins a silent loss: sluice stopped at a
// checkpoint, RESET MASTER, more transactions than before it, start again.
// The checkpoint's binlog file exists again, with other transactions at its
// offset; resuming there by GTID skipped the first ones after the reset.
// Now sluice must refuse with a terminal error that says what happened and
// how to re-snapshot, and leave the checkpoint untouched.
func TestResetMaster_RefusedOnResume(t *testing.T) {
	needBed(t)
	mb := startPrivate(t, "mariadb")
	admin := mb.admin(t)
	mustExec(t, admin, "CREATE DATABASE reset_test")
	w := newWorkload(t, mb.addr, "sluice_admin", "admin", "reset_test", "w1")
	topic := testbed.NewTopic(t, 1)
	tp := newTopo(t, "reset", "reset_test", topic)
	tp.pointAt(t, mb.addr)
	tp.Start = "initial"

	// Rows before the start, so that the snapshot writes them and the
	// workload's updates and deletes all have rows to change: its records
	// then come from the binlog, whatever the start's timing.
	w.fill(t, "w1", 200)
	p := tp.start(t)
	waitForWrites(t, tp.Brokers, topic, 199, time.Minute, p)
	if err := w.run(2000, 500).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, tp.Brokers, topic, 300, time.Minute, p) // some of them: the drain on SIGTERM sends the rest
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok || cp.GTIDSet == "" {
		t.Fatalf("no GTID checkpoint after a graceful stop: %+v", cp)
	}
	before, err := os.ReadFile(tp.checkpointFile())
	if err != nil {
		t.Fatal(err)
	}

	// The binlog starts over, and then holds more transactions than the
	// checkpoint had seen.
	mustExec(t, admin, "RESET MASTER")
	if err := w.run(4000, 2000).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	p = tp.start(t)
	code := p.wait(60 * time.Second)
	last := tail(p.log(), 4)
	if code == 0 {
		t.Fatalf("exit 0 after RESET MASTER behind the checkpoint (%s at %s:%d); log:\n%s", cp.GTIDSet, cp.Pos.File, cp.Pos.Pos, last)
	}
	for _, want := range []string{"no longer holds the checkpoint", "RESET MASTER", "start: initial"} {
		if !strings.Contains(last, want) {
			t.Errorf("the error does not say %q:\n%s", want, last)
		}
	}
	after, err := os.ReadFile(tp.checkpointFile())
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("the checkpoint file changed")
	}
	t.Logf("RESULT reset-master: exit %d: %s", code, tail(last, 1))
}
