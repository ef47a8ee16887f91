package cluster

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A snapshot asked of a task's owner over remote: queued by the task's
// hook, refused with the hook's error, and refused by the node for a task
// it does not run, at another epoch, or without a hook; the node answers
// status questions while a snapshot question is being answered.
func TestPeers_SnapshotAskedOfTheOwner(t *testing.T) {
	p, cfg := peerNode(t, "n1", "a", "b")
	n := p.local.(*Node)
	release := make(chan struct{})
	hook := &SnapshotHook{}
	hook.Set(func(ctx context.Context, table, source string) (string, int, error) {
		if table == "shop.busy" {
			return "", 0, errors.New("a snapshot of shop.busy already runs on source \"src\"")
		}
		if table == "shop.slow" {
			<-release
		}
		return "src", 7, nil
	})
	n.running["a"].owned.Snapshot = hook
	tool, err := DialPeers("127.0.0.1:0", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	ctx := context.Background()

	q, err := tool.Snapshot(ctx, cfg.Advertise, SnapshotRequest{Task: "a", Epoch: 100, Table: "shop.orders"})
	if err != nil || q != (SnapshotQueued{Node: "n1", Task: "a", Source: "src", Table: "shop.orders", Chunks: 7}) {
		t.Errorf("queued: %+v, %v", q, err)
	}
	for _, c := range []struct {
		r    SnapshotRequest
		want string
	}{
		{SnapshotRequest{Task: "a", Epoch: 100, Table: "shop.busy"}, "already runs"},
		{SnapshotRequest{Task: "a", Epoch: 99, Table: "shop.orders"}, `task "a" is not running on node n1 at epoch 99`},
		{SnapshotRequest{Task: "zz", Epoch: 100, Table: "shop.orders"}, `task "zz" is not running on node n1`},
		{SnapshotRequest{Task: "b", Epoch: 101, Table: "shop.orders"}, "takes no snapshot requests"},
	} {
		if _, err := tool.Snapshot(ctx, cfg.Advertise, c.r); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.r, err, c.want)
		}
	}

	slow := make(chan error, 1)
	go func() {
		_, err := tool.Snapshot(ctx, cfg.Advertise, SnapshotRequest{Task: "a", Epoch: 100, Table: "shop.slow"})
		slow <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if s, err := tool.Status(ctx, cfg.Advertise); err != nil || len(s.Tasks) != 2 {
		t.Errorf("status while a snapshot question waits: %+v, %v", s, err)
	}
	close(release)
	if err := <-slow; err != nil {
		t.Errorf("the slow snapshot: %v", err)
	}
}
