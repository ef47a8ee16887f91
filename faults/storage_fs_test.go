package faults

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Checkpoint storage failing (issue 17, scenario 4): the filesystem of the
// checkpoint directory fills up, or turns read-only, while the task runs.
// The task must stop with an error naming the file and the fix, lose
// nothing, and resume with nothing lost once the filesystem is writable
// again.
//
// The full filesystem is a tmpfs of 1 MiB the test mounts on the
// checkpoint directory and fills with a file of its own. A tmpfs cannot be
// made read-only under a running task (mount -o remount,ro refuses with
// EBUSY while a file is open for writing, which the checkpoint file is), so
// the read-only case is an ext4 filesystem on a loop device aborted with
// mount -o remount,abort: the kernel remounts it read-only the way it does
// after a disk error (errors=remount-ro), and every write fails with EROFS.
// Both need root (mount); without it the tests fail saying so.

// TestStorage_CheckpointFilesystemFull fills the checkpoint directory's
// filesystem mid-run, then makes the checkpoint file grow (schema history
// entries for DDL on a selected table) until a commit fails.
func TestStorage_CheckpointFilesystemFull(t *testing.T) {
	needBed(t)
	tp, w, broker := storageTask(t, "storage-full")
	unfill := storageFull(t, tp, w, broker)
	storageRefused(t, tp, "free space on it")
	unfill()
	storageResume(t, tp, w, broker, "filesystem full")
}

// TestStorage_CheckpointFilesystemFullInSnapshot fills the file system while
// the task snapshots (every chunk done is a record in the checkpoint file):
// the task stops, and once space is back the snapshot goes on from the
// chunks committed as done, with nothing lost.
func TestStorage_CheckpointFilesystemFullInSnapshot(t *testing.T) {
	needBed(t)
	tp, w, broker := storageTask(t, "storage-full-snap")
	w.fill(t, "w1", 20000)
	tp.Start, tp.ChunkSize, tp.RowsPerSec = "initial", 200, 2000
	unfill := storageFull(t, tp, w, broker)
	if _, ok, done := readState(t, tp.checkpointFile(), "src"); done {
		t.Fatalf("the snapshot finished before the file system filled up (checkpoint %v); make it slower", ok)
	}
	unfill()
	storageResume(t, tp, w, broker, "filesystem full in the snapshot")
}

// storageFull mounts a 1 MiB tmpfs on the checkpoint dir, runs the task
// and fills the tmpfs up once records flow (storageRun); unfill frees the
// space again.
func storageFull(t *testing.T, tp *topo, w *workload, broker string) (unfill func()) {
	t.Helper()
	dir := filepath.Join(tp.Dir, "checkpoints")
	mountFS(t, dir, "tmpfs", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir)
	filler := filepath.Join(dir, "filler")
	storageRun(t, tp, w, broker, func() {
		fillUp(t, filler)
		t.Cleanup(func() { _ = os.Remove(filler) })
	}, "no space left on device", "free space on it")
	return func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStorage_CheckpointFilesystemReadOnly turns the checkpoint directory's
// filesystem read-only mid-run (an aborted ext4 on a loop device), then
// remounts it read-write after the task stopped.
func TestStorage_CheckpointFilesystemReadOnly(t *testing.T) {
	needBed(t)
	tp, w, broker := storageTask(t, "storage-ro")
	dir := filepath.Join(tp.Dir, "checkpoints")
	img := filepath.Join(t.TempDir(), "checkpoints.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	run(t, "mkfs.ext4", "-q", "-F", img)
	mountFS(t, dir, "ext4 on a loop device", "-o", "loop,errors=remount-ro", img, dir)

	storageRun(t, tp, w, broker, func() {
		run(t, "mount", "-o", "remount,abort", dir)
	}, "read-only file system", "make it writable again")
	storageRefused(t, tp, "remount it read-write")
	// The aborted filesystem comes back read-write after an unmount, a
	// check and a mount, as it would after the operator fixed the disk.
	run(t, "umount", dir)
	// e2fsck exits 1 when it repaired something, which is expected here.
	if out, err := exec.Command("e2fsck", "-fy", img).CombinedOutput(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck %s: %v\n%s", img, err, out)
		}
	}
	run(t, "mount", "-o", "loop,errors=remount-ro", img, dir)
	storageResume(t, tp, w, broker, "filesystem read-only")
}

// storageTask is a task on a workload table (streamed, checked at the end)
// and an empty table the test alters to make the checkpoint file grow.
func storageTask(t *testing.T, task string) (*topo, *workload, string) {
	t.Helper()
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.grow (id BIGINT PRIMARY KEY)")
	tp := newTopo(t, task, db, topic)
	tp.Tables = []string{db + ".w1", db + ".grow"}
	return tp, w, broker
}

// storageRun starts the task under a workload, calls fault once records
// flow, then runs DDL on the grow table (each a schema history entry in the
// checkpoint file) until the task exits; the exit must be 1 with an error
// naming the checkpoint file, the cause and the fix.
func storageRun(t *testing.T, tp *topo, w *workload, broker string, fault func(), cause, fix string) {
	t.Helper()
	writes := w.run(1000, 0)
	defer writes.stop()
	p := tp.start(t)
	waitForWrites(t, broker, tp.Topic, 200, time.Minute, p)
	// Let a checkpoint be committed first (every 200 ms): a task that never
	// committed one starts over from its configured start position, behind
	// the DDL below, with the tables' current definitions, and stops as
	// docs/schema-history.md says ("Sluice does not guess").
	time.Sleep(time.Second)
	fault()
	faulted := time.Now()
	db := strings.TrimSuffix(tp.Tables[0], ".w1")
	for i := 0; p.running(); i++ {
		if i == 400 {
			t.Fatalf("sluice still running 400 DDL statements after the fault; log:\n%s", tail(p.log(), 20))
		}
		testbed.AdminExec(t, fmt.Sprintf("ALTER TABLE `%s`.grow ADD COLUMN c%d VARCHAR(200) NOT NULL DEFAULT '%s'", db, i, strings.Repeat("x", 150)))
		time.Sleep(50 * time.Millisecond)
	}
	code := p.wait(time.Second)
	took := time.Since(faulted)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	log := p.log()
	last := grepLines(log, "sluice run: ") // the exit message
	if code != 1 || !strings.Contains(last, tp.checkpointFile()) || !strings.Contains(strings.ToLower(last), cause) ||
		!strings.Contains(last, fix) || strings.Contains(last, "goroutine ") {
		t.Fatalf("after the fault: exit %d, want 1 with an error naming %s, %q and the fix (%q); exit message:\n%s\nlog:\n%s",
			code, tp.checkpointFile(), cause, fix, last, tail(log, 20))
	}
	// Commits after the first failure (the final one at the stop) must not
	// log bbolt's internal text ("database isn't correctly mapped").
	if l := grepLines(lastRun(log), "correctly mapped"); l != "" {
		t.Errorf("bbolt's internal error after the first failed commit:\n%s", l)
	}
	t.Logf("stopped %s after the fault, exit %d: %s", took.Round(time.Millisecond), code, strings.TrimSpace(last))
}

// storageRefused starts the task again before the file system is repaired:
// it must stop at once with the fix, and leave the checkpoint as it was.
func storageRefused(t *testing.T, tp *topo, fix string) {
	t.Helper()
	before, _ := readCheckpoint(t, tp.checkpointFile(), "src")
	p := tp.start(t)
	code := p.wait(30 * time.Second)
	log := lastRun(p.log())
	if code != 1 || !strings.Contains(log, fix) || strings.Contains(log, "goroutine ") {
		t.Fatalf("a start before the repair: exit %d, want 1 with %q; log:\n%s", code, fix, tail(log, 10))
	}
	if after, _ := readCheckpoint(t, tp.checkpointFile(), "src"); after.Seq != before.Seq || after.Pos != before.Pos {
		t.Errorf("the refused start moved the checkpoint: %+v → %+v", before, after)
	}
	t.Logf("a start before the repair: exit %d: %s", code, strings.TrimSpace(grepLines(log, fix)))
}

// storageResume restarts the task on the repaired filesystem with more
// writes and checks that the topic equals the source: nothing lost.
func storageResume(t *testing.T, tp *topo, w *workload, broker, what string) {
	t.Helper()
	writes := w.run(1000, 2000)
	p := tp.start(t)
	if err := writes.wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	db := strings.TrimSuffix(tp.Tables[0], ".w1")
	out := converge(t, broker, tp.Topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}}}, 2*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM after the resume: exit %d", code)
	}
	t.Logf("RESULT storage %s: row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d",
		what, w.changes.Load(), out.Rows, out.Records, out.Duplicates)
}

// mountFS mounts a filesystem on dir with mount's args, unmounted in
// Cleanup (after the test's sluice processes are gone).
func mountFS(t *testing.T, dir, what string, args ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("mounting %s on the checkpoint dir needs root (mount); run the fault suite as root", what)
	}
	run(t, "mount", args...)
	t.Cleanup(func() {
		for i := 0; i < 50; i++ {
			if err := exec.Command("umount", dir).Run(); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("umount %s failed for 5s", dir)
	})
}

// fillUp writes path until its filesystem has no space left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", path, err)
			}
			return
		}
	}
}

// run runs a command; a failure fails the test with its output.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
