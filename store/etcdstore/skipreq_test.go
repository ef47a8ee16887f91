package etcdstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

// An operator's skip request is written beside the owner's state, never
// into it: the owner's checkpoint stays as it was, and the next Open by
// the owner adopts the request as the source's skip decision, in a fenced
// transaction the audit attributes to the owner.
func TestEtcdstore_SkipRequestAdoptedByTheNextOpen(t *testing.T) {
	cli := bed(t)
	ctx := context.Background()
	prefix := testbed.NewEtcdPrefix(t)
	sk := store.Skip{Pos: change.Position{File: "mysql-bin.000003", Pos: 4711}, Digest: "d1", Statement: "ALTER TABLE t ADD INDEX i (v) IGNORED",
		Reason: "index only", Who: "ops", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := etcdstore.RequestSkip(ctx, cli, prefix+"task/", "orders-db", sk); err == nil || !strings.Contains(err.Error(), "has not run") {
		t.Fatalf("a request for a task with no state = %v; want a refusal saying it has not run", err)
	}
	owner, _ := own(t, cli, prefix+"owner", "node-a")
	s, err := etcdstore.Open(cli, prefix+"task/", owner, storetest.Task, etcdstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, checkpointAt(100))
	if err := etcdstore.RequestSkip(ctx, cli, prefix+"task/", "orders-db", sk); err != nil {
		t.Fatal(err)
	}
	// The running owner does not see it before its next start, and its
	// commits go on.
	mustCommit(t, s, checkpointAt(200))
	if got, err := s.Skips("orders-db"); err != nil || len(got) != 0 {
		t.Fatalf("skips before the next Open: %v, %v; want none", got, err)
	}
	list, err := etcdstore.ListSkips(ctx, cli, prefix+"task/")
	if err != nil || len(list) != 1 || list[0].Source != "orders-db" || len(list[0].Requested) != 1 || len(list[0].Recorded) != 0 {
		t.Fatalf("ListSkips before adoption: %+v, %v; want one request", list, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = etcdstore.Open(cli, prefix+"task/", owner, storetest.Task, etcdstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Skips("orders-db")
	if err != nil || len(got) != 1 || got[0].Pos != sk.Pos || got[0].Reason != "index only" || got[0].Who != "ops" || !got[0].At.Equal(sk.At) {
		t.Fatalf("skips after the next Open: %+v, %v; want the request", got, err)
	}
	if cp, ok, err := s.Checkpoint("orders-db"); err != nil || !ok || cp.Seq != 200 {
		t.Fatalf("checkpoint after adoption: %+v %v %v; want seq 200 as the owner committed it", cp, ok, err)
	}
	list, err = etcdstore.ListSkips(ctx, cli, prefix+"task/")
	if err != nil || len(list) != 1 || len(list[0].Requested) != 0 || len(list[0].Recorded) != 1 {
		t.Fatalf("ListSkips after adoption: %+v, %v; want one recorded decision and no request", list, err)
	}
	writes, err := etcdstore.Audit(ctx, cli, prefix+"task/", prefix+"owner", 1)
	if err != nil {
		t.Fatal(err)
	}
	adopted := false
	for _, w := range writes {
		if w.Deposed() {
			t.Errorf("revision %d wrote %v by %d while the owner was %d", w.Revision, w.Keys, w.Writer, w.Owner)
		}
		for _, k := range w.Keys {
			adopted = adopted || strings.HasPrefix(k, "skip/orders-db/")
		}
	}
	if !adopted {
		t.Errorf("the audit has no write of the skip decision: %+v", writes)
	}
}
