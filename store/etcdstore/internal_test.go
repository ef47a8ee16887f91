package etcdstore

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
)

func TestPiece_RoundTrip(t *testing.T) {
	ops := []clientv3.Op{
		clientv3.OpPut("/p/checkpoint/a", `{"seq":1}`),
		clientv3.OpPut("/p/source/a", ""),
		clientv3.OpDelete("/p/chunk/a/", clientv3.WithRange("/p/chunk/a0")),
		clientv3.OpPut("/p/schema/a/db.t/k", strings.Repeat("\x00\xff", 300)),
	}
	got, err := decodePiece(encodePiece(ops))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ops) {
		t.Fatalf("decoded %d operations, want %d", len(got), len(ops))
	}
	for i := range ops {
		if got[i].IsPut() != ops[i].IsPut() || string(got[i].KeyBytes()) != string(ops[i].KeyBytes()) ||
			string(got[i].ValueBytes()) != string(ops[i].ValueBytes()) || string(got[i].RangeBytes()) != string(ops[i].RangeBytes()) {
			t.Errorf("operation %d = %q %q %q, want %q %q %q", i, got[i].KeyBytes(), got[i].ValueBytes(), got[i].RangeBytes(),
				ops[i].KeyBytes(), ops[i].ValueBytes(), ops[i].RangeBytes())
		}
	}
	b := encodePiece(ops)
	for _, bad := range [][]byte{b[:len(b)-1], append([]byte{'x'}, b[1:]...)} {
		if _, err := decodePiece(bad); err == nil {
			t.Errorf("decodePiece(%q...) accepted a damaged piece", bad[:8])
		}
	}
}

// TestPlan_ResetDeletesAllButItsPuts applies a plan to a model key space:
// the reset table ends with exactly the Update's chunks, the other tables
// and sources keep theirs, and no put lies in a deleted range (etcd would
// refuse the transaction).
func TestPlan_ResetDeletesAllButItsPuts(t *testing.T) {
	k := keys{"/p/"}
	before := map[string]bool{}
	for _, tbl := range []string{"db.a", "db.a2", "db.b"} {
		for id := range uint32(5) {
			before[k.chunk("src", tbl, id)] = true
		}
	}
	before[k.chunk("other", "db.a", 1)] = true
	var u store.Update
	u.ResetChunks("src", "db.a")
	u.ResetChunks("src", "db.a") // twice: overlapping deletes are fine
	u.PutChunk("src", "db.a", store.Chunk{ID: 2})
	u.PutChunk("src", "db.a", store.Chunk{ID: 7})
	u.PutChunk("src", "db.a", store.Chunk{ID: 2, Done: true}) // the last one wins
	u.SetCheckpoint("src", store.Checkpoint{Seq: 3})
	ops, err := plan(k, &u)
	if err != nil {
		t.Fatal(err)
	}
	puts := map[string]string{}
	var dels [][2]string
	for _, op := range ops {
		if op.IsPut() {
			if _, dup := puts[string(op.KeyBytes())]; dup {
				t.Fatalf("key %s put twice", op.KeyBytes())
			}
			puts[string(op.KeyBytes())] = string(op.ValueBytes())
		} else {
			dels = append(dels, [2]string{string(op.KeyBytes()), string(op.RangeBytes())})
		}
	}
	after := map[string]bool{}
	for key := range before {
		after[key] = true
	}
	for _, d := range dels {
		for key := range puts {
			if d[0] <= key && key < d[1] {
				t.Fatalf("put %s lies in deleted range [%s, %s)", key, d[0], d[1])
			}
		}
		for key := range after {
			if d[0] <= key && key < d[1] {
				delete(after, key)
			}
		}
	}
	for key := range puts {
		after[key] = true
	}
	var got []string
	for key := range after {
		if strings.HasPrefix(key, k.tableChunks("src", "db.a")) {
			got = append(got, key)
		}
	}
	sort.Strings(got)
	if want := []string{k.chunk("src", "db.a", 2), k.chunk("src", "db.a", 7)}; !slices.Equal(got, want) {
		t.Fatalf("db.a after the reset = %q, want %q", got, want)
	}
	if !strings.Contains(puts[k.chunk("src", "db.a", 2)], `"done":true`) {
		t.Fatalf("chunk 2 = %s, want the later write", puts[k.chunk("src", "db.a", 2)])
	}
	for key := range before {
		if !strings.HasPrefix(key, k.tableChunks("src", "db.a")) && !after[key] {
			t.Fatalf("%s was deleted by a reset of another table", key)
		}
	}
	if _, ok := puts[k.source("src")]; !ok {
		t.Fatal("no source marker put")
	}
}

func TestLimits_Split(t *testing.T) {
	l := newLimits(3, 4096+200+len("owner"), "owner")
	var ops []clientv3.Op
	for range 7 {
		ops = append(ops, clientv3.OpPut("k", strings.Repeat("v", 50))) // 67 bytes each
	}
	groups, err := l.split(ops, l.bytes)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, g := range groups {
		sizes = append(sizes, len(g))
	}
	// Three fit by count, but only two by bytes (200).
	if !slices.Equal(sizes, []int{2, 2, 2, 1}) {
		t.Fatalf("group sizes = %v, want [2 2 2 1]", sizes)
	}
	if _, err := l.split([]clientv3.Op{clientv3.OpPut("k", strings.Repeat("v", 300))}, l.bytes); err == nil ||
		!strings.Contains(err.Error(), "--max-request-bytes") {
		t.Fatalf("split of an operation larger than a request = %v", err)
	}
}

func TestNames_UnescapesAndSorts(t *testing.T) {
	k := keys{"/p/"}
	ks := [][]byte{[]byte(k.chunk("s", "a/b", 1)), []byte(k.chunk("s", "a/b", 2)), []byte(k.chunk("s", "a", 1)), []byte(k.chunk("s", "a%", 0))}
	sort.Slice(ks, func(i, j int) bool { return string(ks[i]) < string(ks[j]) })
	got, err := names(ks, k.chunks("s"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "a%", "a/b"}; !slices.Equal(got, want) {
		t.Fatalf("names = %q, want %q", got, want)
	}
}

// bigUpdate needs several transactions under MaxTxnOps 4.
func bigUpdate() *store.Update {
	var u store.Update
	for id := range uint32(10) {
		u.PutChunk("src", "db.t", store.Chunk{ID: id, Done: true, Rows: 100})
	}
	u.SetCheckpoint("src", store.Checkpoint{Seq: 42})
	return &u
}

func ownFor(t *testing.T, cli *clientv3.Client, key, node string) (Owner, clientv3.LeaseID) {
	t.Helper()
	epoch, lease := testbed.EtcdLeasedKey(t, cli, key, node)
	return Owner{Key: key, Epoch: epoch}, lease
}

// crashAfterJournal opens a store for node-a, records bigUpdate in the
// journal without applying it (as a process that dies there), drops
// node-a's ownership and returns a store the new owner node-b opened.
func crashAfterJournal(t *testing.T, keepMark bool) (*Store, *clientv3.Client, string) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed's etcd")
	}
	cli := testbed.EtcdClient(t)
	prefix := testbed.NewEtcdPrefix(t)
	opts := Options{MaxTxnOps: 4}
	a, leaseA := ownFor(t, cli, prefix+"owner", "node-a")
	sa, err := Open(cli, prefix+"task/", a, store.Identity{Task: "t"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := sa.groups(bigUpdate())
	if err != nil || len(groups) < 3 {
		t.Fatalf("groups: %d, %v; want several", len(groups), err)
	}
	if err := sa.writeJournal(groups); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !keepMark {
		if _, err := cli.Delete(ctx, sa.k.committed()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.Revoke(ctx, leaseA); err != nil {
		t.Fatal(err)
	}
	b, _ := ownFor(t, cli, prefix+"owner", "node-b")
	sb, err := Open(cli, prefix+"task/", b, store.Identity{Task: "t"}, opts)
	if err != nil {
		t.Fatalf("open by the next owner: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb, cli, prefix
}

func journalKeys(t *testing.T, cli *clientv3.Client, s *Store) int64 {
	t.Helper()
	resp, err := cli.Get(context.Background(), s.k.p+"journal", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

func TestJournal_RecordedCommitCompletedByNextOwner(t *testing.T) {
	sb, cli, _ := crashAfterJournal(t, true)
	cp, ok, err := sb.Checkpoint("src")
	if err != nil || !ok || cp.Seq != 42 {
		t.Fatalf("checkpoint after the next owner's Open = %+v, %v, %v; want seq 42", cp, ok, err)
	}
	if c, err := sb.Chunks("src", "db.t"); err != nil || len(c) != 10 {
		t.Fatalf("chunks = %d, %v; want 10", len(c), err)
	}
	if n := journalKeys(t, cli, sb); n != 0 {
		t.Fatalf("%d journal keys left", n)
	}
}

func TestJournal_UnrecordedCommitDiscardedByNextOwner(t *testing.T) {
	sb, cli, _ := crashAfterJournal(t, false)
	if _, ok, err := sb.Checkpoint("src"); ok || err != nil {
		t.Fatalf("an unrecorded commit's checkpoint is visible (%v, %v)", ok, err)
	}
	if c, err := sb.Chunks("src", "db.t"); err != nil || len(c) != 0 {
		t.Fatalf("chunks = %d, %v; want none", len(c), err)
	}
	if n := journalKeys(t, cli, sb); n != 0 {
		t.Fatalf("%d journal keys left", n)
	}
}

// TestAudit_FindsADeposedOwnersCheckpoint: node-a commits, node-b takes the
// task over and commits; node-a's late commit is refused by the epoch
// guard, and the audit of etcd's history finds every write by its owner.
// Then node-a's guard is disabled (its fence compares a key that does not
// exist): its late commit lands, and the audit finds it, written by
// node-a's epoch while node-b owned the task.
func TestAudit_FindsADeposedOwnersCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed's etcd")
	}
	cli := testbed.EtcdClient(t)
	prefix := testbed.NewEtcdPrefix(t)
	ctx := context.Background()
	ownerKey, taskPrefix := prefix+"owner", prefix+"task/"
	start, err := cli.Get(ctx, ownerKey)
	if err != nil {
		t.Fatal(err)
	}
	from := start.Header.Revision + 1
	commit := func(s *Store, seq uint64) error {
		var u store.Update
		u.SetCheckpoint("src", store.Checkpoint{Seq: seq})
		return s.Commit(&u)
	}
	a, leaseA := ownFor(t, cli, ownerKey, "node-a")
	sa, err := Open(cli, taskPrefix, a, store.Identity{Task: "t"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := commit(sa, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Revoke(ctx, leaseA); err != nil {
		t.Fatal(err)
	}
	b, _ := ownFor(t, cli, ownerKey, "node-b")
	sb, err := Open(cli, taskPrefix, b, store.Identity{Task: "t"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := commit(sb, 2); err != nil {
		t.Fatal(err)
	}
	if err := commit(sa, 3); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the deposed owner's commit: %v, want store.ErrFenced", err)
	}
	writes, err := Audit(ctx, cli, taskPrefix, ownerKey, from)
	if err != nil {
		t.Fatal(err)
	}
	if len(writes) != 2 || writes[0].Writer != a.Epoch || writes[1].Writer != b.Epoch {
		t.Fatalf("audit with the guard = %+v, want a commit by epoch %d, then one by %d", writes, a.Epoch, b.Epoch)
	}
	for _, w := range writes {
		if w.Deposed() {
			t.Errorf("with the guard, a deposed write: %+v", w)
		}
	}

	sa.owner.Key = prefix + "no-such-key" // the guard off: CreateRevision 0 …
	sa.owner.Epoch = 0                    // … equals 0; the mark stays node-a's epoch
	if err := commit(sa, 4); err != nil {
		t.Fatalf("the unguarded commit: %v", err)
	}
	writes, err = Audit(ctx, cli, taskPrefix, ownerKey, from)
	if err != nil {
		t.Fatal(err)
	}
	last := writes[len(writes)-1]
	if len(writes) != 3 || !last.Deposed() || last.Writer != a.Epoch || last.Owner != b.Epoch || !slices.Contains(last.Keys, "checkpoint/src") {
		t.Fatalf("audit without the guard = %+v, want its last write deposed: by epoch %d while %d owned the task", writes, a.Epoch, b.Epoch)
	}
	t.Logf("the audit found %+v", last)
}
