package boltstore_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
)

var task = store.Identity{Task: "orders-to-kafka", TopologyHash: "abc123"}

func openT(t *testing.T, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(dir, task, boltstore.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// commitSome writes a checkpoint and a few chunks so the file has data pages.
func commitSome(t *testing.T, s *boltstore.Store) {
	t.Helper()
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000001", Pos: 4}, Seq: 10})
	for i := range uint32(200) {
		u.PutChunk("src", "db.t", store.Chunk{ID: i, Low: bytes.Repeat([]byte{byte(i)}, 64), Done: true})
	}
	if err := s.Commit(&u); err != nil {
		t.Fatal(err)
	}
}

// writtenFile makes a closed checkpoint file with data pages and returns
// its directory, path and bytes.
func writtenFile(t *testing.T) (dir, path string, b []byte) {
	t.Helper()
	dir = t.TempDir()
	s := openT(t, dir)
	commitSome(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, boltstore.FileName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, path, b
}

// refused asserts that opening dir fails with want and leaves the file's
// bytes exactly as they were.
func refused(t *testing.T, dir string, want error) {
	t.Helper()
	path := filepath.Join(dir, boltstore.FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = boltstore.Open(dir, task, boltstore.Options{})
	if !errors.Is(err, want) {
		t.Fatalf("Open = %v, want %v", err, want)
	}
	t.Logf("Open: %v", err)
	if want == store.ErrCorrupt {
		damaged(t, err, path)
	} else if !strings.Contains(err.Error(), path) {
		t.Errorf("error does not name the file %s", path)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("refused file was modified (%d bytes before, %d after)", len(before), len(after))
	}
}

func TestOpen_Corrupt_Garbage(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short text", []byte("not a checkpoint file\n")},
		{"64 KiB of noise", bytes.Repeat([]byte("sluice-noise-"), 5000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, boltstore.FileName), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, dir, store.ErrCorrupt)
		})
	}
}

func TestOpen_Corrupt_DamagedMetaPages(t *testing.T) {
	dir, path, b := writtenFile(t)
	// Flip bytes inside both meta pages (pages 0 and 1, checksummed).
	ps := os.Getpagesize()
	b[40] ^= 0xff
	b[ps+40] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, store.ErrCorrupt)
}

// Regression: with only one meta page damaged, bbolt opens the file at the
// other, older meta page without a word, and an older tree may hold no
// checkpoint: the task started over from its configured start position.
func TestOpen_Corrupt_OneDamagedMetaPage(t *testing.T) {
	for _, page := range []int{0, 1} {
		dir, path, b := writtenFile(t)
		b[page*os.Getpagesize()+40] ^= 0xff
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, dir, store.ErrCorrupt)
	}
}

func TestOpen_Corrupt_DamagedDataPage(t *testing.T) {
	dir, path, b := writtenFile(t)
	// Overwrite the headers of every page past the metas with an invalid
	// page type: the freelist rebuild walks them on open.
	ps := os.Getpagesize()
	for off := 2 * ps; off+16 <= len(b); off += ps {
		b[off+8] = 0x7f // page flags
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, store.ErrCorrupt)
}

// damaged asserts the ErrCorrupt message a user sees: it names the file and
// the fix, and carries none of Go's runtime text.
func damaged(t *testing.T, err error, path string) {
	t.Helper()
	msg := err.Error()
	for _, want := range []string{"checkpoint file " + path + " is damaged: ", "restore it from a backup", "move it away"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	for _, bad := range []string{"runtime error", "out of range", "nil pointer", "invalid memory", "goroutine", "panic"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error %q carries Go's runtime text %q", msg, bad)
		}
	}
}

// TestOpen_Corrupt_GarbagePage overwrites one page past the metas at a time
// with pseudo-random bytes, as a bad disk block or a stray write would: the
// whole page, and the page's body behind an intact header (bbolt then follows
// garbage offsets). Each is refused as damaged, never with a crash or Go's
// runtime error text.
func TestOpen_Corrupt_GarbagePage(t *testing.T) {
	dir, path, good := writtenFile(t)
	ps := os.Getpagesize()
	if len(good) < 4*ps {
		t.Fatalf("file has %d bytes, want data pages past the metas", len(good))
	}
	var refusedPages int
	const pageHeader = 16
	for at := 2 * ps; at+ps <= 2*len(good); at += ps {
		off, from := at, at // first pass: whole pages; second: bodies only
		if at >= len(good) {
			off = at - len(good) + 2*ps
			from = off + pageHeader
		}
		if off+ps > len(good) {
			break
		}
		b := bytes.Clone(good)
		rnd := rand.New(rand.NewPCG(uint64(at), 17))
		for i := from; i < off+ps; i++ {
			b[i] = byte(rnd.Uint32())
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := boltstore.Open(dir, task, boltstore.Options{})
		if err == nil {
			// A page that is free (no longer reachable) may hold anything.
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("page at %d (garbage from %d): Open = %v, want ErrCorrupt", off, from, err)
		}
		damaged(t, err, path)
		refusedPages++
	}
	if refusedPages == 0 {
		t.Fatal("no damaged page was refused")
	}
	t.Logf("%d of %d damaged pages refused", refusedPages, 2*(len(good)/ps-2))
}

func TestOpen_Corrupt_Truncated(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	commitSome(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, boltstore.FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file after its meta pages and a little more: the metas are
	// valid, the pages they point to are gone.
	if err := os.Truncate(path, int64(3*os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	t.Logf("truncated %d → %d bytes", fi.Size(), 3*os.Getpagesize())
	refused(t, dir, store.ErrCorrupt)
}

func TestOpen_NotASluiceFile(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, boltstore.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("someone-else"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, store.ErrCorrupt)
}

func TestOpen_NewerFormat(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, boltstore.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("META")).Put([]byte("format"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	refused(t, dir, store.ErrNewerFormat)
}

func TestOpen_ForeignTask_FileUntouched(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	commitSome(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, boltstore.FileName)
	before, _ := os.ReadFile(path)
	_, err := boltstore.Open(dir, store.Identity{Task: "other", TopologyHash: task.TopologyHash}, boltstore.Options{})
	if !errors.Is(err, store.ErrForeignTask) {
		t.Fatalf("Open = %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("file modified by a refused open")
	}
}

func TestOpen_CreatesNoTemporaryLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, filepath.Join(dir, "nested", "ckpt"))
	defer s.Close()
	entries, err := os.ReadDir(filepath.Join(dir, "nested", "ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "checkpoints.db,checkpoints.db.owner" {
		t.Fatalf("checkpoint dir holds %q", names)
	}
}

// The helper process: opens the store given in SLUICE_STORE_HELPER_DIR and,
// depending on SLUICE_STORE_HELPER_MODE, holds it ("hold") or commits
// checkpoints forever, printing each committed seq ("commit").
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("SLUICE_STORE_HELPER_DIR")
	if dir == "" {
		return // not a helper run
	}
	s, err := boltstore.Open(dir, task, boltstore.Options{})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	switch os.Getenv("SLUICE_STORE_HELPER_MODE") {
	case "hold":
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "commit":
		// Go on from the last durable commit, as a restarted task does: a
		// round that started again at 1 would leave the schema entries of a
		// previous round's later seqs above its own.
		var u store.Update
		cp, _, err := s.Checkpoint("src")
		if err != nil {
			fmt.Println("reading the checkpoint failed:", err)
			os.Exit(2)
		}
		for seq := cp.Seq + 1; ; seq++ {
			u.Reset()
			u.SetCheckpoint("src", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000001", Pos: uint32(seq)}, Seq: seq})
			u.PutChunk("src", "db.t", store.Chunk{ID: uint32(seq % 1000), Done: true, Rows: seq})
			u.PutSchema("src", "db.t", fmt.Sprintf("k%012d", seq), []byte(strconv.FormatUint(seq, 10)))
			if err := s.Commit(&u); err != nil {
				fmt.Println("commit failed:", err)
				os.Exit(3)
			}
			fmt.Println(seq)
		}
	}
	os.Exit(0)
}

func startHelper(t *testing.T, dir, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "SLUICE_STORE_HELPER_DIR="+dir, "SLUICE_STORE_HELPER_MODE="+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(out)
}

func TestOpen_LockedByAnotherProcess_NamesPid(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startHelper(t, dir, "hold")
	if !out.Scan() || out.Text() != "ready" {
		t.Fatalf("helper said %q", out.Text())
	}
	start := time.Now()
	_, err := boltstore.Open(dir, task, boltstore.Options{LockTimeout: 300 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open took %v to fail", d)
	}
	if want := fmt.Sprintf("pid %d", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %s", err, want)
	}
	t.Log(err)
	// Once the holder dies (kill -9), the lock is free again.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	s, err := boltstore.Open(dir, task, boltstore.Options{})
	if err != nil {
		t.Fatalf("Open after the holder died: %v", err)
	}
	_ = s.Close()
}

// TestCommit_SurvivesKill9 kills a process that commits in a loop at a random
// moment and checks that every commit it reported is there, whole.
func TestCommit_SurvivesKill9(t *testing.T) {
	rounds := 5
	if testing.Short() {
		rounds = 2
	}
	dir := t.TempDir()
	var last uint64
	for round := range rounds {
		cmd, out := startHelper(t, dir, "commit")
		// Let it commit a varying number of times, then kill it mid-loop.
		target := last + uint64(20+37*round)
		var reported uint64
		for out.Scan() {
			n, err := strconv.ParseUint(out.Text(), 10, 64)
			if err != nil {
				t.Fatalf("helper: %s", out.Text())
			}
			reported = n
			if n >= target {
				break
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		s := openT(t, dir)
		cp, ok, err := s.Checkpoint("src")
		if err != nil || !ok {
			t.Fatalf("round %d: checkpoint = %v, %v", round, ok, err)
		}
		if cp.Seq < reported {
			t.Fatalf("round %d: checkpoint seq %d, but the killed process reported commit %d", round, cp.Seq, reported)
		}
		// The commit is whole: chunk and schema of the same seq are there.
		chunks, err := s.Chunks("src", "db.t")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range chunks {
			if c.ID == uint32(cp.Seq%1000) && c.Rows == cp.Seq {
				found = true
			}
		}
		e, ok, err := s.SchemaAt("src", "db.t", "k999999999999")
		if !found || err != nil || !ok || string(e.Def) != strconv.FormatUint(cp.Seq, 10) {
			t.Fatalf("round %d: commit %d not whole: chunk found %v, last schema %q (%v)", round, cp.Seq, found, e.Def, err)
		}
		last = cp.Seq
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills, last durable seq %d", rounds, last)
}

// A file cut between its meta pages and the end of its last page in use
// could pass the read-only check and then panic in the goroutine bbolt
// rebuilds the freelist in, or hang (faults'
// TestStorage_CheckpointTruncatedWhileStopped, on a file the task wrote).
// Every length either opens with the checkpoint intact (the cut removed
// only pages past the high-water mark) or is refused as damaged.
func TestOpen_Corrupt_TruncatedAtEveryLength(t *testing.T) {
	// Many commits, as a running task makes: freed and reused pages.
	src := t.TempDir()
	s := openT(t, src)
	for range 50 {
		commitSome(t, s)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(src, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	refusedN := 0
	for n := 0; n < len(b); n += 512 {
		dir := t.TempDir()
		path := filepath.Join(dir, boltstore.FileName)
		if err := os.WriteFile(path, b[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := boltstore.Open(dir, task, boltstore.Options{})
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("cut to %d of %d bytes: %v, want ErrCorrupt", n, len(b), err)
			}
			refusedN++
			continue
		}
		cp, ok, err := s.Checkpoint("src")
		if err != nil || !ok || cp.Seq != 10 {
			t.Errorf("cut to %d of %d bytes: opened, checkpoint %+v %v %v", n, len(b), cp, ok, err)
		}
		_ = s.Close()
	}
	if refusedN == 0 {
		t.Fatal("no length was refused")
	}
}
