package cluster

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

func TestJoin_TwoLiveNodesCannotShareAName(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the bed's etcd")
	}
	cli, prefix := testbed.EtcdClient(t), testbed.NewEtcdPrefix(t)
	ctx := context.Background()
	a, err := Join(ctx, cli, prefix, "n1", "10.0.0.1:7000", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Leave(ctx)
	_, err = Join(ctx, cli, prefix, "n1", "10.0.0.2:7000", 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), `node name "n1" is in use`) || !strings.Contains(err.Error(), "10.0.0.1:7000") {
		t.Fatalf("second n1: err = %v, want a refusal naming the live node", err)
	}
	if err := a.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := Join(ctx, cli, prefix, "n1", "10.0.0.2:7000", 2*time.Second)
	if err != nil {
		t.Fatalf("n1 after the first left: %v", err)
	}
	b.Leave(ctx)
}

func TestAcquire_EpochsFenceAndLeaseLossFreesTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the bed's etcd")
	}
	cli, prefix := testbed.EtcdClient(t), testbed.NewEtcdPrefix(t)
	ctx := context.Background()
	a, err := Join(ctx, cli, prefix, "a", "a:1", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Join(ctx, cli, prefix, "b", "b:1", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Leave(ctx)
	if err := Submit(ctx, cli, prefix, "t1", []byte("spec")); err != nil {
		t.Fatal(err)
	}
	e1, err := a.Acquire(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(ctx, "t1"); !errors.Is(err, ErrOwned) {
		t.Fatalf("b took an owned task: %v", err)
	}
	v, err := Read(ctx, cli, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Tasks["t1"]; got == nil || got.Owner != "a" || got.Epoch != e1 {
		t.Fatalf("view: %+v, want t1 owned by a at epoch %d", got, e1)
	}
	// a's lease ends (as when it is killed): its task is free, and the
	// next owner's epoch is newer.
	start := time.Now()
	if _, err := cli.Revoke(ctx, a.lease); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("a did not notice that its lease ended")
	}
	t.Logf("lease loss noticed after %s", time.Since(start).Round(time.Millisecond))
	e2, err := b.Acquire(ctx, "t1")
	if err != nil {
		t.Fatalf("b could not take a's task after a's lease ended: %v", err)
	}
	if e2 <= e1 {
		t.Fatalf("epoch %d after %d: a new owner must have a newer epoch", e2, e1)
	}
	// a's release with its old epoch must not free b's ownership.
	if err := a.Release(ctx, "t1", e1); err != nil {
		t.Fatal(err)
	}
	if v, _ := Read(ctx, cli, prefix); v.Tasks["t1"].Owner != "b" {
		t.Fatal("a stale release freed the new owner's task")
	}
}

func TestTasks_SubmitRemovePurge(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the bed's etcd")
	}
	cli, prefix := testbed.EtcdClient(t), testbed.NewEtcdPrefix(t)
	ctx := context.Background()
	if err := Submit(ctx, cli, prefix, "t1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := Submit(ctx, cli, prefix, "t1", []byte("y")); err == nil || !strings.Contains(err.Error(), "sluice remove t1") {
		t.Fatalf("duplicate submit: %v", err)
	}
	if err := Remove(ctx, cli, prefix, "nope"); err == nil {
		t.Fatal("removing an unknown task succeeded")
	}
	m, err := Join(ctx, cli, prefix, "a", "a:1", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Leave(ctx)
	epoch, err := m.Acquire(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if err := Remove(ctx, cli, prefix, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := Purge(ctx, cli, prefix, "t1"); err == nil {
		t.Fatal("purged a task its owner still holds")
	}
	if err := m.Release(ctx, "t1", epoch); err != nil {
		t.Fatal(err)
	}
	if err := Purge(ctx, cli, prefix, "t1"); err != nil {
		t.Fatal(err)
	}
	if v, _ := Read(ctx, cli, prefix); len(v.Tasks) != 0 {
		t.Fatalf("tasks after purge: %v", v.Tasks)
	}
}
