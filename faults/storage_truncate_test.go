package faults

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"
)

// TestStorage_CheckpointTruncatedWhileStopped truncates the checkpoint file
// of a stopped task to several lengths: each start must be refused with the
// damaged-file error naming the path and the way out (no Go runtime text),
// leaving the file as it found it; the intact file then resumes with
// nothing lost.
func TestStorage_CheckpointTruncatedWhileStopped(t *testing.T) {
	needBed(t)
	tp, w, broker := storageTask(t, "storage-trunc")
	writes := w.run(1000, 1000)
	p := tp.start(t)
	if err := writes.wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, broker, tp.Topic, 100, time.Minute, p)
	time.Sleep(time.Second) // a checkpoint after the last write
	if code := p.term(60 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	path := tp.checkpointFile()
	intact, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Cut below the end of the last page in use (bbolt's high-water mark in
	// the meta pages; the file may be longer, bbolt grows it ahead).
	ps, hwm := int(binary.LittleEndian.Uint32(intact[16+8:])), 0
	for _, off := range []int{0, ps} {
		hwm = max(hwm, int(binary.LittleEndian.Uint64(intact[off+16+40:])))
	}
	used := hwm * ps
	if used > len(intact) || used < 3*ps {
		t.Fatalf("meta pages: page size %d, high-water page %d, file %d bytes", ps, hwm, len(intact))
	}
	for _, n := range []int{0, 100, ps, ps + 100, 2 * ps, used / 2, used - ps, used - 1} {
		if err := os.WriteFile(path, intact[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		p := tp.start(t)
		code := p.wait(30 * time.Second)
		log := lastRun(p.log())
		if code != 1 || !strings.Contains(log, "checkpoint file "+path+" is damaged") || !strings.Contains(log, "mv "+path+" "+path+".broken") ||
			strings.Contains(log, "goroutine ") || strings.Contains(log, "runtime error") || strings.Contains(log, "nil pointer") {
			t.Errorf("truncated to %d of %d bytes: exit %d, want 1 with the damaged-file error and its fix; log:\n%s", n, len(intact), code, tail(log, 10))
			continue
		}
		if b, err := os.ReadFile(path); err != nil || len(b) != n {
			t.Errorf("truncated to %d bytes: the refused start left %d bytes (%v), want the file untouched", n, len(b), err)
		}
		t.Logf("truncated to %d of %d bytes: refused: %s", n, len(intact), strings.TrimSpace(tail(log, 1)))
	}
	if err := os.WriteFile(path, intact, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("file %d bytes, %d in use (page size %d)", len(intact), used, ps)
	storageResume(t, tp, w, broker, "checkpoint file truncated while stopped (then restored)")
}
