package faults

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestBinlogPurgedPastCheckpoint stops sluice, purges the binlog files its
// checkpoint needs (on a private MariaDB: purging the shared one would
// break other tests), and restarts it: it must stop with a terminal error
// naming the missing file and telling to take a new snapshot, and leave the
// checkpoint untouched.
func TestBinlogPurgedPastCheckpoint(t *testing.T) {
	needBed(t)
	mb := startPrivate(t, "mariadb")
	admin := mb.admin(t)
	mustExec(t, admin, "CREATE DATABASE purge_test")
	w := newWorkload(t, mb.addr, "sluice_admin", "admin", "purge_test", "w1", "w2")
	topic := testbed.NewTopic(t, 2)
	tp := newTopo(t, "purge", "purge_test", topic)
	tp.pointAt(t, mb.addr)
	tp.Start = currentStart(t, admin)

	p := tp.start(t)
	if err := w.run(3000, 3000).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, tp.Brokers, topic, 2999, time.Minute, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok {
		t.Fatal("no checkpoint after a graceful stop")
	}
	before, err := os.ReadFile(tp.checkpointFile())
	if err != nil {
		t.Fatal(err)
	}

	// Changes after the checkpoint, then purge everything up to the newest file.
	mustExec(t, admin, "FLUSH BINARY LOGS")
	if err := w.run(3000, 500).wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	mustExec(t, admin, "FLUSH BINARY LOGS")
	r, err := admin.Execute("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	newest, _ := r.GetString(0, 0)
	// MariaDB keeps a file until its binlog checkpoint (InnoDB's) moves past
	// it, so the purge may take a few tries.
	var left []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		mustExec(t, admin, "PURGE BINARY LOGS TO '"+newest+"'")
		r, err = admin.Execute("SHOW BINARY LOGS")
		if err != nil {
			t.Fatal(err)
		}
		left = left[:0]
		for i := range r.RowNumber() {
			f, _ := r.GetString(i, 0)
			left = append(left, f)
		}
		if len(left) > 0 && left[0] == newest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PURGE BINARY LOGS TO %s left %v", newest, left)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("checkpoint at %s:%d (seq %d); purged up to %s; binlogs left %v", cp.Pos.File, cp.Pos.Pos, cp.Seq, newest, left)

	p = tp.start(t)
	code := p.wait(60 * time.Second)
	last := tail(p.log(), 4)
	if code == 0 {
		t.Fatalf("exit 0 with the checkpoint's binlog purged; log:\n%s", last)
	}
	for _, want := range []string{cp.Pos.File, "snapshot"} {
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
	t.Logf("RESULT binlog-purged: exit %d: %s", code, tail(last, 1))
}
