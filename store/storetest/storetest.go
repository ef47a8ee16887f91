package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

// Opener opens the store under test at one location. Every call of one
// Opener opens the same location (the same file, the same disk), so a test
// can close and reopen it.
type Opener func(id store.Identity) (store.Store, error)

// Task is the identity the suite opens stores with.
var Task = store.Identity{Task: "orders-to-kafka", TopologyHash: "5f1e0c9a77d2", Topology: `{"sources":{"orders-db":{}}}`}

// Run runs the suite; newLocation returns an Opener on a fresh, empty
// location for each subtest.
func Run(t *testing.T, newLocation func(t *testing.T) Opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"CommitReadBack", testCommitReadBack},
		{"ReopenReadsBack", testReopenReadsBack},
		{"LastWriteWins", testLastWriteWins},
		{"ChunkResets", testChunkResets},
		{"SchemaAt", testSchemaAt},
		{"Skips", testSkips},
		{"CopiesInAndOut", testCopies},
		{"InvalidUpdateWritesNothing", testInvalidUpdate},
		{"Locked", testLocked},
		{"ForeignTask", testForeignTask},
		{"TopologyChanged", testTopologyChanged},
		{"RecordWithoutTopology", testRecordWithoutTopology},
		{"Closed", testClosed},
		{"ConcurrentReadsAndCommits", testConcurrent},
		{"RandomCommitsReopenProperty", testRandomProperty},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newLocation(t)) })
	}
}

// seedCheckpoint commits a checkpoint of source "src" at seq under Task
// and closes the store again.
func seedCheckpoint(t *testing.T, open Opener, seq uint64) {
	t.Helper()
	s := mustOpen(t, open)
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: seq})
	mustCommit(t, s, &u)
	closeStore(t, s)
}

func mustOpen(t *testing.T, open Opener) store.Store {
	t.Helper()
	s, err := open(Task)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func mustCommit(t *testing.T, s store.Store, u *store.Update) {
	t.Helper()
	if err := s.Commit(u); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func closeStore(t *testing.T, s store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

var (
	t0  = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pos = change.Position{File: "mysql-bin.000007", Pos: 4711, GTID: "0-1-42"}
)

func fullUpdate() *store.Update {
	var u store.Update
	u.SetCheckpoint("orders-db", store.Checkpoint{Pos: pos, GTIDSet: "0-1-42", Seq: 1001, ServerUUID: "1/0", CommittedAt: t0,
		Partitions: map[string]map[string]int{"kafka": {"shop.orders": 3, "shop.items": 1}}})
	u.SetSnapshot("orders-db", store.Snapshot{Started: true, StartedAt: t0, Pos: pos, GTIDSet: "0-1-40",
		Tables: []string{"shop.orders", "shop.items"}, Extra: []byte{1, 2}, Partitions: map[string]map[string]int{"kafka": {"shop.orders": 3}}})
	u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: 2, Low: []byte("k100"), High: nil, Rows: 17})
	u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: 0, Low: nil, High: []byte("k050"), Done: true, Rows: 50, Pos: pos})
	u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: 1, Low: []byte("k050"), High: []byte("k100"), Done: true, Rows: 50, Extra: []byte("x")})
	u.PutChunk("orders-db", "shop.items", store.Chunk{ID: 0, Done: false})
	u.PutSchema("orders-db", "shop.orders", store.PosKey(pos), []byte("def-v1"))
	u.SetCheckpoint("billing-db", store.Checkpoint{Pos: change.Position{File: "bin.000001", Pos: 4}, Seq: 1})
	return &u
}

func checkFull(t *testing.T, s store.Store) {
	t.Helper()
	cp, ok, err := s.Checkpoint("orders-db")
	if err != nil || !ok {
		t.Fatalf("Checkpoint = %v, %v", ok, err)
	}
	want := store.Checkpoint{Pos: pos, GTIDSet: "0-1-42", Seq: 1001, ServerUUID: "1/0", CommittedAt: t0,
		Partitions: map[string]map[string]int{"kafka": {"shop.orders": 3, "shop.items": 1}}}
	if !equalCheckpoint(cp, want) {
		t.Fatalf("Checkpoint = %+v, want %+v", cp, want)
	}
	sn, ok, err := s.Snapshot("orders-db")
	if err != nil || !ok {
		t.Fatalf("Snapshot = %v, %v", ok, err)
	}
	if !sn.Started || !sn.StartedAt.Equal(t0) || sn.Pos != pos || sn.GTIDSet != "0-1-40" || sn.Finished ||
		!slices.Equal(sn.Tables, []string{"shop.orders", "shop.items"}) || !bytes.Equal(sn.Extra, []byte{1, 2}) ||
		!maps.EqualFunc(sn.Partitions, map[string]map[string]int{"kafka": {"shop.orders": 3}}, maps.Equal) {
		t.Fatalf("Snapshot = %+v", sn)
	}
	chunks, err := s.Chunks("orders-db", "shop.orders")
	if err != nil {
		t.Fatal(err)
	}
	wantChunks := []store.Chunk{
		{ID: 0, High: []byte("k050"), Done: true, Rows: 50, Pos: pos},
		{ID: 1, Low: []byte("k050"), High: []byte("k100"), Done: true, Rows: 50, Extra: []byte("x")},
		{ID: 2, Low: []byte("k100"), Rows: 17},
	}
	checkChunks(t, chunks, wantChunks)
	tables, err := s.Tables("orders-db")
	if err != nil || !slices.Equal(tables, []string{"shop.items", "shop.orders"}) {
		t.Fatalf("Tables = %q, %v", tables, err)
	}
	sources, err := s.Sources()
	if err != nil || !slices.Equal(sources, []string{"billing-db", "orders-db"}) {
		t.Fatalf("Sources = %q, %v", sources, err)
	}
	e, ok, err := s.SchemaAt("orders-db", "shop.orders", store.PosKey(change.Position{File: "mysql-bin.000008", Pos: 4}))
	if err != nil || !ok || string(e.Def) != "def-v1" || e.PosKey != store.PosKey(pos) {
		t.Fatalf("SchemaAt = %+v, %v, %v", e, ok, err)
	}
}

func equalCheckpoint(a, b store.Checkpoint) bool {
	return a.Pos == b.Pos && a.GTIDSet == b.GTIDSet && a.Seq == b.Seq && a.ServerUUID == b.ServerUUID &&
		a.CommittedAt.Equal(b.CommittedAt) && maps.EqualFunc(a.Partitions, b.Partitions, maps.Equal)
}

func equalChunk(a, b store.Chunk) bool {
	return a.ID == b.ID && bytes.Equal(a.Low, b.Low) && bytes.Equal(a.High, b.High) && a.Done == b.Done &&
		a.Rows == b.Rows && a.Pos == b.Pos && bytes.Equal(a.Extra, b.Extra)
}

func checkChunks(t *testing.T, got, want []store.Chunk) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Chunks = %+v, want %+v", got, want)
	}
	for i := range want {
		if !equalChunk(got[i], want[i]) {
			t.Fatalf("chunk %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testEmpty(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	if id := s.Identity(); id.Accept != nil || !sameIdentity(id, Task) {
		t.Fatalf("Identity = %+v, want %+v", id, Task)
	}
	if _, ok, err := s.Checkpoint("orders-db"); ok || err != nil {
		t.Fatalf("Checkpoint on empty store = %v, %v", ok, err)
	}
	if _, ok, err := s.Snapshot("orders-db"); ok || err != nil {
		t.Fatalf("Snapshot on empty store = %v, %v", ok, err)
	}
	if c, err := s.Chunks("orders-db", "shop.orders"); len(c) != 0 || err != nil {
		t.Fatalf("Chunks on empty store = %v, %v", c, err)
	}
	if tb, err := s.Tables("orders-db"); len(tb) != 0 || err != nil {
		t.Fatalf("Tables on empty store = %v, %v", tb, err)
	}
	if src, err := s.Sources(); len(src) != 0 || err != nil {
		t.Fatalf("Sources on empty store = %v, %v", src, err)
	}
	if _, ok, err := s.SchemaAt("orders-db", "shop.orders", "zzz"); ok || err != nil {
		t.Fatalf("SchemaAt on empty store = %v, %v", ok, err)
	}
	if h, err := s.Schemas("orders-db", "shop.orders"); len(h) != 0 || err != nil {
		t.Fatalf("Schemas on empty store = %v, %v", h, err)
	}
	if err := s.Commit(&store.Update{}); err != nil {
		t.Fatalf("empty Commit: %v", err)
	}
}

func testCommitReadBack(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	mustCommit(t, s, fullUpdate())
	checkFull(t, s)
}

func testReopenReadsBack(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	mustCommit(t, s, fullUpdate())
	closeStore(t, s)
	s = mustOpen(t, open)
	defer closeStore(t, s)
	checkFull(t, s)
	// A later commit after reopening updates in place.
	var u store.Update
	u.SetCheckpoint("orders-db", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000008", Pos: 4}, Seq: 2000})
	u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: 2, Low: []byte("k100"), Done: true, Rows: 30})
	mustCommit(t, s, &u)
	cp, _, _ := s.Checkpoint("orders-db")
	if cp.Seq != 2000 {
		t.Fatalf("Seq after second commit = %d", cp.Seq)
	}
	chunks, _ := s.Chunks("orders-db", "shop.orders")
	if len(chunks) != 3 || !chunks[2].Done || chunks[2].Rows != 30 {
		t.Fatalf("chunks after second commit = %+v", chunks)
	}
}

func testLastWriteWins(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	var u store.Update
	u.PutChunk("src", "db.t", store.Chunk{ID: 5, Rows: 1})
	u.PutChunk("src", "db.t", store.Chunk{ID: 5, Rows: 2, Done: true})
	u.PutSchema("src", "db.t", "k1", []byte("a"))
	u.PutSchema("src", "db.t", "k1", []byte("b"))
	u.SetCheckpoint("src", store.Checkpoint{Seq: 1})
	u.SetCheckpoint("src", store.Checkpoint{Seq: 9})
	mustCommit(t, s, &u)
	c, _ := s.Chunks("src", "db.t")
	if len(c) != 1 || c[0].Rows != 2 || !c[0].Done {
		t.Fatalf("chunks = %+v", c)
	}
	h, _ := s.Schemas("src", "db.t")
	if len(h) != 1 || string(h[0].Def) != "b" {
		t.Fatalf("schemas = %+v", h)
	}
	if cp, _, _ := s.Checkpoint("src"); cp.Seq != 9 {
		t.Fatalf("checkpoint = %+v", cp)
	}
}

func testChunkResets(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	var u store.Update
	for _, tbl := range []string{"db.a", "db.b", "db.c"} {
		for id := uint32(0); id < 3; id++ {
			u.PutChunk("src", tbl, store.Chunk{ID: id, Done: true})
		}
	}
	mustCommit(t, s, &u)

	// Reset one table and write its first chunk again, in one Update.
	u.Reset()
	u.PutChunk("src", "db.a", store.Chunk{ID: 0, Rows: 7})
	u.ResetChunks("src", "db.a")
	u.ResetChunks("src", "db.missing")
	u.ResetChunks("nosuchsource", "")
	mustCommit(t, s, &u)
	a, _ := s.Chunks("src", "db.a")
	checkChunks(t, a, []store.Chunk{{ID: 0, Rows: 7}})
	b, _ := s.Chunks("src", "db.b")
	if len(b) != 3 {
		t.Fatalf("db.b chunks after resetting db.a = %+v", b)
	}

	// Reset every table of the source.
	u.Reset()
	u.ResetChunks("src", "")
	u.PutChunk("src", "db.c", store.Chunk{ID: 1})
	mustCommit(t, s, &u)
	tables, _ := s.Tables("src")
	if !slices.Equal(tables, []string{"db.c"}) {
		t.Fatalf("Tables after reset all = %q", tables)
	}
	c, _ := s.Chunks("src", "db.c")
	checkChunks(t, c, []store.Chunk{{ID: 1}})
}

func testSchemaAt(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	at := func(file string, p uint32) string { return store.PosKey(change.Position{File: file, Pos: p}) }
	var u store.Update
	u.PutSchema("src", "db.t", at("bin.000002", 100), []byte("v1"))
	u.PutSchema("src", "db.t", at("bin.000002", 900), []byte("v2"))
	u.PutSchema("src", "db.t", at("bin.000010", 4), []byte("v3"))
	u.PutSchema("src", "db.other", at("bin.000001", 4), []byte("o1"))
	mustCommit(t, s, &u)
	for _, tc := range []struct {
		key  string
		want string // "" = none
	}{
		{at("bin.000001", 999), ""},
		{at("bin.000002", 99), ""},
		{at("bin.000002", 100), "v1"},
		{at("bin.000002", 899), "v1"},
		{at("bin.000002", 900), "v2"},
		{at("bin.000009", 1<<30), "v2"},
		{at("bin.000010", 4), "v3"},
		{at("bin.100000", 4), "v3"},
	} {
		e, ok, err := s.SchemaAt("src", "db.t", tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(e.Def); ok != (tc.want != "") || got != tc.want {
			t.Errorf("SchemaAt(%s) = %q, %v; want %q", tc.key, got, ok, tc.want)
		}
	}
	if _, ok, _ := s.SchemaAt("src", "db.none", at("bin.000010", 4)); ok {
		t.Error("SchemaAt of a table with no history found an entry")
	}
	h, _ := s.Schemas("src", "db.t")
	if len(h) != 3 || string(h[0].Def) != "v1" || string(h[2].Def) != "v3" {
		t.Fatalf("Schemas = %+v", h)
	}
}

func testCopies(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	low, def := []byte("low"), []byte("def")
	var u store.Update
	u.PutChunk("src", "db.t", store.Chunk{ID: 1, Low: low})
	u.PutSchema("src", "db.t", "k", def)
	mustCommit(t, s, &u)
	low[0], def[0] = 'X', 'X'
	c, _ := s.Chunks("src", "db.t")
	if string(c[0].Low) != "low" {
		t.Fatalf("stored chunk bound changed with the caller's slice: %q", c[0].Low)
	}
	c[0].Low[0] = 'Y'
	c, _ = s.Chunks("src", "db.t")
	if string(c[0].Low) != "low" {
		t.Fatalf("stored chunk bound changed with a returned slice: %q", c[0].Low)
	}
	e, _, _ := s.SchemaAt("src", "db.t", "k")
	if string(e.Def) != "def" {
		t.Fatalf("stored schema changed with the caller's slice: %q", e.Def)
	}
	e.Def[0] = 'Y'
	e, _, _ = s.SchemaAt("src", "db.t", "k")
	if string(e.Def) != "def" {
		t.Fatalf("stored schema changed with a returned slice: %q", e.Def)
	}
}

// testSkips: skip decisions read back per source in binlog order (file
// index, then offset), a later one at the same position wins, they survive
// a reopen, and one without a reason is refused whole.
func testSkips(t *testing.T, open Opener) {
	at := time.Date(2026, 12, 4, 1, 2, 3, 0, time.UTC)
	sk := func(file string, pos uint32, reason string) store.Skip {
		return store.Skip{Pos: change.Position{File: file, Pos: pos}, Digest: "d-" + file, Statement: "ALTER TABLE t ADD COLUMN x INET6",
			Reason: reason, Who: "ops", At: at}
	}
	s := mustOpen(t, open)
	var u store.Update
	u.PutSkip("src", sk("bin.000010", 4, "c"))
	u.PutSkip("src", sk("bin.000009", 900, "b"))
	u.PutSkip("src", sk("bin.000009", 120, "a"))
	u.PutSkip("src", sk("bin.000009", 900, "b2"))
	u.PutSkip("other", sk("bin.000001", 4, "o"))
	mustCommit(t, s, &u)
	closeStore(t, s)

	s = mustOpen(t, open)
	defer closeStore(t, s)
	got, err := s.Skips("src")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Skip{sk("bin.000009", 120, "a"), sk("bin.000009", 900, "b2"), sk("bin.000010", 4, "c")}
	if len(got) != len(want) {
		t.Fatalf("Skips = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Pos != w.Pos || g.Digest != w.Digest || g.Statement != w.Statement || g.Reason != w.Reason || g.Who != w.Who || !g.At.Equal(w.At) {
			t.Errorf("Skips[%d] = %+v, want %+v", i, g, w)
		}
	}
	if o, _ := s.Skips("other"); len(o) != 1 || o[0].Reason != "o" {
		t.Errorf("Skips(other) = %+v", o)
	}
	if n, err := s.Skips("none"); len(n) != 0 || err != nil {
		t.Errorf("Skips of a source without any = %v, %v", n, err)
	}

	var bad store.Update
	bad.SetCheckpoint("src", store.Checkpoint{Seq: 9})
	bad.PutSkip("src", sk("bin.000011", 4, ""))
	if err := s.Commit(&bad); !errors.Is(err, store.ErrInvalidUpdate) {
		t.Fatalf("Commit of a skip without reason = %v, want ErrInvalidUpdate", err)
	}
	if _, ok, _ := s.Checkpoint("src"); ok {
		t.Fatal("a refused Update wrote its checkpoint")
	}
	if got, _ := s.Skips("src"); len(got) != 3 {
		t.Fatalf("a refused Update wrote its skip: %+v", got)
	}
}

func testInvalidUpdate(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: 5})
	u.PutChunk("src", "", store.Chunk{ID: 1})
	if err := s.Commit(&u); !errors.Is(err, store.ErrInvalidUpdate) {
		t.Fatalf("Commit of a chunk without table = %v, want ErrInvalidUpdate", err)
	}
	if _, ok, _ := s.Checkpoint("src"); ok {
		t.Fatal("a refused Update wrote its checkpoint")
	}
}

func testLocked(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	start := time.Now()
	_, err := open(Task)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("second open took %v to fail; it must fail fast", d)
	}
	t.Logf("second open: %v", err)
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: 3})
	mustCommit(t, s, &u) // the holder is unaffected
	closeStore(t, s)
	s = mustOpen(t, open)
	defer closeStore(t, s)
	if cp, ok, _ := s.Checkpoint("src"); !ok || cp.Seq != 3 {
		t.Fatalf("after reopen: %+v, %v", cp, ok)
	}
}

func testForeignTask(t *testing.T, open Opener) {
	seedCheckpoint(t, open, 77)
	other := store.Identity{Task: "billing-to-kafka", TopologyHash: Task.TopologyHash, Topology: Task.Topology}
	accepting := other
	accepting.Accept = func(store.Identity, store.Location) error { return nil }
	for _, id := range []store.Identity{other, accepting} {
		if _, err := open(id); !errors.Is(err, store.ErrForeignTask) {
			t.Fatalf("open by another task (accepting topology changes: %v) = %v, want ErrForeignTask", id.Accept != nil, err)
		} else {
			t.Logf("open by another task: %v", err)
		}
	}
	s := mustOpen(t, open)
	defer closeStore(t, s)
	if cp, ok, _ := s.Checkpoint("src"); !ok || cp.Seq != 77 {
		t.Fatalf("checkpoint after a refused open = %+v, %v", cp, ok)
	}
}

func sameIdentity(a, b store.Identity) bool { return a.Task == b.Task && a.SameTopology(b) }

// A record written without a topology (by a Sluice before topologies were
// recorded) reaches Accept with an empty Topology; once accepted, the
// topology is recorded.
func testRecordWithoutTopology(t *testing.T, open Opener) {
	legacy := store.Identity{Task: Task.Task, TopologyHash: Task.TopologyHash}
	s, err := open(legacy)
	if err != nil {
		t.Fatal(err)
	}
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: 21})
	mustCommit(t, s, &u)
	closeStore(t, s)
	if _, err := open(Task); !errors.Is(err, store.ErrTopologyChanged) {
		t.Fatalf("open a record without topology, nothing accepting = %v, want ErrTopologyChanged", err)
	}
	var got store.Identity
	id := Task
	id.Accept = func(stored store.Identity, _ store.Location) error { got = stored; return nil }
	if s, err = open(id); err != nil {
		t.Fatalf("open accepting the record without topology: %v", err)
	}
	if got.Topology != "" || got.TopologyHash != Task.TopologyHash || got.Accept != nil {
		t.Errorf("Accept got %+v, want the stored hash and no topology", got)
	}
	if cp, ok, _ := s.Checkpoint("src"); !ok || cp.Seq != 21 {
		t.Fatalf("checkpoint after recording the topology = %+v, %v", cp, ok)
	}
	closeStore(t, s)
	s = mustOpen(t, open) // Task, nothing accepting: the topology was recorded
	if !sameIdentity(s.Identity(), Task) {
		t.Fatalf("Identity = %+v, want %+v", s.Identity(), Task)
	}
	closeStore(t, s)
}

func testTopologyChanged(t *testing.T, open Opener) {
	seedCheckpoint(t, open, 12)
	changed := store.Identity{Task: Task.Task, TopologyHash: "0000deadbeef", Topology: `{"sources":{"billing-db":{}}}`}
	_, err := open(changed)
	if !errors.Is(err, store.ErrTopologyChanged) {
		t.Fatalf("open under another topology = %v, want ErrTopologyChanged", err)
	}
	t.Logf("open under another topology: %v", err)

	refusal := errors.New("source renamed")
	refusing := changed
	refusing.Accept = func(stored store.Identity, loc store.Location) error {
		if !sameIdentity(stored, Task) || loc.Name == "" || loc.Setting == "" || loc.Discard == "" {
			t.Errorf("Accept got %+v at %+v, want the stored identity and a location", stored, loc)
		}
		return refusal
	}
	if _, err := open(refusing); !errors.Is(err, refusal) {
		t.Fatalf("open refused by Accept = %v, want its error", err)
	}
	s := mustOpen(t, open) // a refusal recorded nothing
	closeStore(t, s)

	accepting := changed
	accepting.Accept = func(store.Identity, store.Location) error { return nil }
	s, err = open(accepting)
	if err != nil {
		t.Fatalf("open accepting the topology change: %v", err)
	}
	if id := s.Identity(); id.Accept != nil || !sameIdentity(id, changed) {
		t.Fatalf("Identity after accepting = %+v", id)
	}
	if cp, ok, _ := s.Checkpoint("src"); !ok || cp.Seq != 12 {
		t.Fatalf("checkpoint after accepting = %+v, %v", cp, ok)
	}
	closeStore(t, s)
	// The new topology is recorded: reopening under it needs no acceptance.
	s, err = open(changed)
	if err != nil {
		t.Fatalf("reopen under the accepted topology: %v", err)
	}
	closeStore(t, s)
	if _, err := open(Task); !errors.Is(err, store.ErrTopologyChanged) {
		t.Fatalf("open under the old topology after accepting = %v, want ErrTopologyChanged", err)
	}
}

func testClosed(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	closeStore(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: 1})
	if err := s.Commit(&u); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Commit after Close = %v", err)
	}
	if _, _, err := s.Checkpoint("src"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Checkpoint after Close = %v", err)
	}
	if _, err := s.Chunks("src", "db.t"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Chunks after Close = %v", err)
	}
}

func testConcurrent(t *testing.T, open Opener) {
	s := mustOpen(t, open)
	defer closeStore(t, s)
	const commits = 50
	var wg sync.WaitGroup
	wg.Add(2)
	errc := make(chan error, 2)
	go func() {
		defer wg.Done()
		for i := 1; i <= commits; i++ {
			var u store.Update
			u.SetCheckpoint("src", store.Checkpoint{Seq: uint64(i)})
			u.PutChunk("src", "db.t", store.Chunk{ID: uint32(i), Done: true, Rows: uint64(i)})
			if err := s.Commit(&u); err != nil {
				errc <- err
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		last := uint64(0)
		for last < commits {
			cp, ok, err := s.Checkpoint("src")
			if err != nil {
				errc <- err
				return
			}
			if !ok {
				continue
			}
			if cp.Seq < last {
				errc <- fmt.Errorf("checkpoint went back from %d to %d", last, cp.Seq)
				return
			}
			last = cp.Seq
			// The chunk committed with this checkpoint (or later) is visible.
			c, err := s.Chunks("src", "db.t")
			if err != nil {
				errc <- err
				return
			}
			if uint64(len(c)) < last {
				errc <- fmt.Errorf("checkpoint %d visible with only %d chunks: a commit was split", last, len(c))
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// model is the reference the random property compares a store with.
type model struct {
	cps    map[string]store.Checkpoint
	snaps  map[string]store.Snapshot
	chunks map[string]map[string]map[uint32]store.Chunk // source → table → id
	schema map[string]map[string]map[string]string      // source → table → key
}

func newModel() *model {
	return &model{cps: map[string]store.Checkpoint{}, snaps: map[string]store.Snapshot{},
		chunks: map[string]map[string]map[uint32]store.Chunk{}, schema: map[string]map[string]map[string]string{}}
}

func (m *model) apply(u *store.Update) {
	for _, r := range u.ChunkResets {
		if r.Table == "" {
			delete(m.chunks, r.Source)
		} else if m.chunks[r.Source] != nil {
			delete(m.chunks[r.Source], r.Table)
		}
	}
	for _, c := range u.Chunks {
		if m.chunks[c.Source] == nil {
			m.chunks[c.Source] = map[string]map[uint32]store.Chunk{}
		}
		if m.chunks[c.Source][c.Table] == nil {
			m.chunks[c.Source][c.Table] = map[uint32]store.Chunk{}
		}
		m.chunks[c.Source][c.Table][c.ID] = c.Chunk
	}
	for _, s := range u.Snapshots {
		m.snaps[s.Source] = s.Snapshot
	}
	for _, c := range u.Checkpoints {
		m.cps[c.Source] = c.Checkpoint
	}
	for _, s := range u.Schemas {
		if m.schema[s.Source] == nil {
			m.schema[s.Source] = map[string]map[string]string{}
		}
		if m.schema[s.Source][s.Table] == nil {
			m.schema[s.Source][s.Table] = map[string]string{}
		}
		m.schema[s.Source][s.Table][s.PosKey] = string(s.Def)
	}
}

var (
	propSources = []string{"a", "b", "c"}
	propTables  = []string{"db.t1", "db.t2", "db.t3"}
)

func randBytes(r *rand.Rand) []byte {
	if r.IntN(4) == 0 {
		return nil
	}
	b := make([]byte, 1+r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func randUpdate(r *rand.Rand, u *store.Update, seq *uint64) {
	for range r.IntN(4) {
		*seq += uint64(r.IntN(1000))
		u.SetCheckpoint(propSources[r.IntN(3)], store.Checkpoint{
			Pos:     change.Position{File: fmt.Sprintf("bin.%06d", r.IntN(10)), Pos: r.Uint32(), GTID: fmt.Sprintf("0-1-%d", *seq)},
			GTIDSet: fmt.Sprintf("0-1-%d", *seq), Seq: *seq, ServerUUID: "1/0",
			CommittedAt: t0.Add(time.Duration(*seq) * time.Millisecond)})
	}
	if r.IntN(5) == 0 {
		u.SetSnapshot(propSources[r.IntN(3)], store.Snapshot{Started: true, StartedAt: t0, Finished: r.IntN(2) == 0,
			FinishedAt: t0.Add(time.Hour), Pos: change.Position{File: "bin.000001", Pos: r.Uint32()},
			Tables: propTables[:r.IntN(4)], Extra: randBytes(r)})
	}
	if r.IntN(10) == 0 {
		tbl := ""
		if r.IntN(2) == 0 {
			tbl = propTables[r.IntN(3)]
		}
		u.ResetChunks(propSources[r.IntN(3)], tbl)
	}
	for range r.IntN(6) {
		u.PutChunk(propSources[r.IntN(3)], propTables[r.IntN(3)], store.Chunk{ID: uint32(r.IntN(20)),
			Low: randBytes(r), High: randBytes(r), Done: r.IntN(2) == 0, Rows: r.Uint64N(1 << 40),
			Pos: change.Position{File: "bin.000002", Pos: r.Uint32()}, Extra: randBytes(r)})
	}
	for range r.IntN(3) {
		u.PutSchema(propSources[r.IntN(3)], propTables[r.IntN(3)], fmt.Sprintf("k%04d", r.IntN(50)), randBytes(r))
	}
}

func (m *model) check(t *testing.T, s store.Store, step int) {
	t.Helper()
	for _, src := range propSources {
		cp, ok, err := s.Checkpoint(src)
		want, wok := m.cps[src]
		if err != nil || ok != wok || (ok && !equalCheckpoint(cp, want)) {
			t.Fatalf("step %d: Checkpoint(%s) = %+v, %v, %v; want %+v, %v", step, src, cp, ok, err, want, wok)
		}
		sn, ok, err := s.Snapshot(src)
		wsn, wok := m.snaps[src]
		if err != nil || ok != wok || (ok && (sn.Started != wsn.Started || sn.Finished != wsn.Finished ||
			sn.Pos != wsn.Pos || !sn.FinishedAt.Equal(wsn.FinishedAt) || !bytes.Equal(sn.Extra, wsn.Extra) ||
			len(sn.Tables) != len(wsn.Tables))) {
			t.Fatalf("step %d: Snapshot(%s) = %+v, %v, %v; want %+v, %v", step, src, sn, ok, err, wsn, wok)
		}
		var wantTables []string
		for tbl, cs := range m.chunks[src] {
			if len(cs) > 0 {
				wantTables = append(wantTables, tbl)
			}
		}
		sort.Strings(wantTables)
		tables, err := s.Tables(src)
		if err != nil || !slices.Equal(tables, wantTables) {
			t.Fatalf("step %d: Tables(%s) = %q, %v; want %q", step, src, tables, err, wantTables)
		}
		for _, tbl := range propTables {
			var want []store.Chunk
			for _, c := range m.chunks[src][tbl] {
				want = append(want, c)
			}
			sort.Slice(want, func(i, j int) bool { return want[i].ID < want[j].ID })
			got, err := s.Chunks(src, tbl)
			if err != nil {
				t.Fatal(err)
			}
			checkChunks(t, got, want)
			hist, err := s.Schemas(src, tbl)
			if err != nil || len(hist) != len(m.schema[src][tbl]) {
				t.Fatalf("step %d: Schemas(%s, %s) = %d entries, %v; want %d", step, src, tbl, len(hist), err, len(m.schema[src][tbl]))
			}
			for _, e := range hist {
				if w, ok := m.schema[src][tbl][e.PosKey]; !ok || w != string(e.Def) {
					t.Fatalf("step %d: schema %s/%s/%s = %x, want %x", step, src, tbl, e.PosKey, e.Def, w)
				}
			}
		}
	}
}

// testRandomProperty commits random Updates, closing and reopening the store
// at random steps, and checks after each step that the store reads exactly
// what a model of the committed Updates holds.
func testRandomProperty(t *testing.T, open Opener) {
	r := rand.New(rand.NewPCG(1, 2))
	m := newModel()
	s := mustOpen(t, open)
	defer func() { _ = s.Close() }()
	var u store.Update
	var seq uint64
	steps := 150
	if testing.Short() {
		steps = 40
	}
	for step := range steps {
		u.Reset()
		randUpdate(r, &u, &seq)
		mustCommit(t, s, &u)
		m.apply(&u)
		if r.IntN(8) == 0 {
			closeStore(t, s)
			s = mustOpen(t, open)
		}
		m.check(t, s, step)
	}
}

// BenchCommit measures Commit on s of a checkpoint and chunks chunk states,
// new ones at each iteration: the shape of the checkpointer's commits.
func BenchCommit(b *testing.B, s store.Store, chunks int) {
	var u store.Update
	seq := uint64(0)
	for b.Loop() {
		u.Reset()
		seq++
		u.SetCheckpoint("src", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000001", Pos: uint32(seq)}, Seq: seq})
		for i := range chunks {
			u.PutChunk("src", "db.t", store.Chunk{ID: uint32(int(seq)*chunks + i), Low: []byte("0123456789"),
				High: []byte("0123456799"), Done: true, Rows: 8192})
		}
		if err := s.Commit(&u); err != nil {
			b.Fatal(err)
		}
	}
}
