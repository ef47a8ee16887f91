package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

// bed returns a client of the test bed's etcd; short mode skips.
func bed(t testing.TB) *clientv3.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: needs the test bed's etcd")
	}
	return testbed.EtcdClient(t)
}

// own takes ownership of key for node, as a cluster node does: the key is
// created under a lease of the node, and its create revision is the epoch.
func own(t testing.TB, cli *clientv3.Client, key, node string) (etcdstore.Owner, clientv3.LeaseID) {
	t.Helper()
	epoch, lease := testbed.EtcdLeasedKey(t, cli, key, node)
	return etcdstore.Owner{Key: key, Epoch: epoch}, lease
}

// openOwned opens a store for node-a on a prefix of its own (the store's
// keys under prefix+"task/"); it is closed in t.Cleanup.
func openOwned(t testing.TB) (*etcdstore.Store, string) {
	t.Helper()
	cli := bed(t)
	prefix := testbed.NewEtcdPrefix(t)
	owner, _ := own(t, cli, prefix+"owner", "node-a")
	s, err := etcdstore.Open(cli, prefix+"task/", owner, storetest.Task, etcdstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, prefix
}

func conformance(t *testing.T, opts etcdstore.Options) {
	cli := bed(t)
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		prefix := testbed.NewEtcdPrefix(t)
		owner, _ := own(t, cli, prefix+"owner", "node-a")
		return func(id store.Identity) (store.Store, error) {
			return etcdstore.Open(cli, prefix+"task/", owner, id, opts)
		}
	})
}

func TestEtcdstore_Conformance(t *testing.T) { conformance(t, etcdstore.Options{}) }

// TestEtcdstore_Conformance_Journaled runs the suite with limits so small
// that every Update of more than two writes goes through the journal.
func TestEtcdstore_Conformance_Journaled(t *testing.T) {
	conformance(t, etcdstore.Options{MaxTxnOps: 2, MaxRequestBytes: 8 << 10})
}

func mustCommit(t *testing.T, s store.Store, u *store.Update) {
	t.Helper()
	if err := s.Commit(u); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func checkpointAt(seq uint64) *store.Update {
	var u store.Update
	u.SetCheckpoint("orders-db", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000003", Pos: uint32(seq)}, Seq: seq})
	return &u
}

func wantFenced(t *testing.T, err error, says string) {
	t.Helper()
	if !errors.Is(err, store.ErrFenced) || !errkind.IsTerminal(err) {
		t.Fatalf("commit by a fenced owner = %v; want a terminal store.ErrFenced", err)
	}
	if !strings.Contains(err.Error(), says) {
		t.Fatalf("fenced error %q does not say %q", err, says)
	}
}

// TestEtcdstore_Commit_FencedOnceOwnershipMoves: a store opened under an
// epoch commits nothing once its owner key is gone or created again, and the
// new owner's store commits.
func TestEtcdstore_Commit_FencedOnceOwnershipMoves(t *testing.T) {
	cli := bed(t)
	prefix := testbed.NewEtcdPrefix(t)
	ownerKey, taskPrefix := prefix+"owner", prefix+"task/"
	ctx := context.Background()
	a, leaseA := own(t, cli, ownerKey, "node-a")
	sa, err := etcdstore.Open(cli, taskPrefix, a, storetest.Task, etcdstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, sa, checkpointAt(1))

	// node-a's lease ends (it was partitioned away or paused).
	if _, err := cli.Revoke(ctx, leaseA); err != nil {
		t.Fatal(err)
	}
	err = sa.Commit(checkpointAt(2))
	wantFenced(t, err, "no longer exists")
	t.Logf("commit without the owner key: %v", err)

	// node-b takes the task: a new epoch.
	b, _ := own(t, cli, ownerKey, "node-b")
	if b.Epoch <= a.Epoch {
		t.Fatalf("new epoch %d is not above the old one %d", b.Epoch, a.Epoch)
	}
	wantFenced(t, sa.Commit(checkpointAt(3)), fmt.Sprintf("now held at epoch %d", b.Epoch))
	if _, err := etcdstore.Open(cli, taskPrefix, a, storetest.Task, etcdstore.Options{}); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("open under the old epoch = %v, want store.ErrFenced", err)
	}

	// node-b opens without waiting for node-a (which never closed) and
	// resumes from node-a's last commit.
	sb, err := etcdstore.Open(cli, taskPrefix, b, storetest.Task, etcdstore.Options{})
	if err != nil {
		t.Fatalf("open by the new owner: %v", err)
	}
	defer sb.Close()
	if cp, ok, err := sb.Checkpoint("orders-db"); err != nil || !ok || cp.Seq != 1 {
		t.Fatalf("new owner reads checkpoint %+v, %v, %v; want seq 1", cp, ok, err)
	}
	mustCommit(t, sb, checkpointAt(4))

	// The old store's Close leaves the new owner's lock alone.
	if err := sa.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := etcdstore.Open(cli, taskPrefix, b, storetest.Task, etcdstore.Options{}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open under the new epoch = %v, want store.ErrLocked", err)
	}
	// Read by an independent client: what the new owner committed is there.
	out := testbed.Etcdctl(t, "get", "--print-value-only", taskPrefix+"checkpoint/orders-db")
	if !strings.Contains(out, `"seq":4`) {
		t.Fatalf("etcdctl reads checkpoint %q, want seq 4", out)
	}
}

// TestEtcdstore_Open_NotOwned: without the owner key there is no store.
func TestEtcdstore_Open_NotOwned(t *testing.T) {
	cli := bed(t)
	prefix := testbed.NewEtcdPrefix(t)
	_, err := etcdstore.Open(cli, prefix+"task/", etcdstore.Owner{Key: prefix + "owner", Epoch: 7}, storetest.Task, etcdstore.Options{})
	if !errors.Is(err, store.ErrFenced) || !strings.Contains(err.Error(), "no longer exists") {
		t.Fatalf("open without the owner key = %v, want store.ErrFenced", err)
	}
	if out := testbed.Etcdctl(t, "get", "--prefix", "--keys-only", prefix); strings.TrimSpace(out) != "" {
		t.Fatalf("a refused open wrote keys: %q", out)
	}
}

// TestEtcdstore_Commit_LargerThanOneTransaction commits an Update beyond
// both of etcd's limits (1,001 operations; 2.4 MB): all of it lands, and
// the journal is gone afterwards.
func TestEtcdstore_Commit_LargerThanOneTransaction(t *testing.T) {
	s, prefix := openOwned(t)
	var u store.Update
	for id := range uint32(20) {
		u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: id + 1000, Done: true}) // reset below
	}
	mustCommit(t, s, &u)
	u.Reset()
	u.ResetChunks("orders-db", "shop.orders")
	for id := range uint32(900) {
		u.PutChunk("orders-db", "shop.orders", store.Chunk{ID: id, Low: []byte(strconv.Itoa(int(id) * 100)), High: []byte(strconv.Itoa(int(id+1) * 100))})
	}
	def := []byte(strings.Repeat("x", 24<<10))
	for i := range 100 {
		u.PutSchema("orders-db", fmt.Sprintf("shop.t%03d", i), store.PosKey(change.Position{File: "mysql-bin.000003", Pos: 4}), def)
	}
	u.SetSnapshot("orders-db", store.Snapshot{Started: true, Tables: []string{"shop.orders"}})
	mustCommit(t, s, &u)

	chunks, err := s.Chunks("orders-db", "shop.orders")
	if err != nil || len(chunks) != 900 || chunks[899].ID != 899 {
		t.Fatalf("chunks after a large commit: %d, %v (want 900, the 20 before it reset)", len(chunks), err)
	}
	for i := range 100 {
		if h, err := s.Schemas("orders-db", fmt.Sprintf("shop.t%03d", i)); err != nil || len(h) != 1 || len(h[0].Def) != len(def) {
			t.Fatalf("schema of shop.t%03d: %d entries, %v", i, len(h), err)
		}
	}
	if sn, ok, err := s.Snapshot("orders-db"); err != nil || !ok || !sn.Started {
		t.Fatalf("snapshot after a large commit: %+v, %v, %v", sn, ok, err)
	}
	if out := testbed.Etcdctl(t, "get", "--prefix", "--keys-only", prefix+"task/journal"); strings.TrimSpace(out) != "" {
		t.Fatalf("journal left after the commit: %q", out)
	}
}

// TestEtcdstore_Commit_ValueTooLarge: a value no etcd request can carry
// fails the whole Update, terminally, before anything is written.
func TestEtcdstore_Commit_ValueTooLarge(t *testing.T) {
	s, _ := openOwned(t)
	u := checkpointAt(9)
	u.PutSchema("orders-db", "shop.wide", "k", make([]byte, 2<<20))
	err := s.Commit(u)
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "--max-request-bytes") {
		t.Fatalf("commit of a 2 MiB value = %v; want a terminal error naming --max-request-bytes", err)
	}
	t.Logf("commit of a 2 MiB value: %v", err)
	if _, ok, err := s.Checkpoint("orders-db"); ok || err != nil {
		t.Fatalf("the refused Update wrote its checkpoint (%v, %v)", ok, err)
	}
}
