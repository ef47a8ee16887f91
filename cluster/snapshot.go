package cluster

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/anypb"
)

// An online snapshot of a running task's table, asked of the task's owner
// (sluice snapshot -c NODE_FILE --task NAME): the tool finds the owner in
// etcd and asks its node actor over remote, as sluice tasks --live does;
// the owner queues it on the task as the task's own POST /snapshot would.

// SnapshotRequest asks a node to queue an online snapshot of Table on its
// task Task at owner epoch Epoch.
type SnapshotRequest struct {
	Task   string `json:"task"`
	Epoch  int64  `json:"epoch"`
	Table  string `json:"table"`
	Source string `json:"source,omitempty"`
}

// SnapshotQueued is a node's answer to a SnapshotRequest it accepted.
type SnapshotQueued struct {
	Node   string `json:"node"`
	Task   string `json:"task"`
	Source string `json:"source"`
	Table  string `json:"table"`
	Chunks int    `json:"chunks"`
}

// SnapshotFunc queues an online snapshot of table on a running task (the
// engine's Commands.Snapshot): the source and the number of chunks, or why
// not.
type SnapshotFunc func(ctx context.Context, table, source string) (src string, chunks int, err error)

// SnapshotHook is how the node reaches a task's online snapshots: the
// engine wiring sets it when it starts the task (Owned.Snapshot).
type SnapshotHook struct{ f atomic.Pointer[SnapshotFunc] }

// Set makes f the task's snapshot function.
func (h *SnapshotHook) Set(f SnapshotFunc) { h.f.Store(&f) }

// snapshotTimeout bounds a snapshot question: the owner connects to the
// source and plans the table's chunks before it answers.
const snapshotTimeout = 2 * time.Minute

// Snapshot queues an online snapshot on the task r names, if this node
// runs it at r's epoch.
func (n *Node) Snapshot(ctx context.Context, r SnapshotRequest) (SnapshotQueued, error) {
	n.mu.Lock()
	run := n.running[r.Task]
	n.mu.Unlock()
	if run == nil || run.owned.Epoch != r.Epoch {
		return SnapshotQueued{}, fmt.Errorf("task %q is not running on node %s at epoch %d (it is starting or moving); ask again when sluice tasks shows it running", r.Task, n.cfg.Name, r.Epoch)
	}
	var f *SnapshotFunc
	if run.owned.Snapshot != nil {
		f = run.owned.Snapshot.f.Load()
	}
	if f == nil {
		return SnapshotQueued{}, fmt.Errorf("task %q on node %s takes no snapshot requests", r.Task, n.cfg.Name)
	}
	src, chunks, err := (*f)(ctx, r.Table, r.Source)
	if err != nil {
		return SnapshotQueued{}, err
	}
	return SnapshotQueued{Node: n.cfg.Name, Task: r.Task, Source: src, Table: r.Table, Chunks: chunks}, nil
}

// Snapshot asks the node at addr to queue the online snapshot r.
func (p *Peers) Snapshot(ctx context.Context, addr string, r SnapshotRequest) (SnapshotQueued, error) {
	var q SnapshotQueued
	err := p.askWith(ctx, addr, mustEncode(kindSnapshot, r), kindSnapshotReply, snapshotTimeout, &q)
	return q, err
}

// answerSnapshot answers a snapshot question on its own goroutine: the
// owner reads the source before it answers, and the node actor must go on
// answering status questions meanwhile.
func (a *nodeActor) answerSnapshot(ctx actor.Context, m *anypb.Any) {
	to := ctx.Sender()
	go func() {
		reply := func() (reply *anypb.Any) {
			defer func() {
				if v := recover(); v != nil {
					reply = mustEncode(kindErrorReply, errorReply{Error: fmt.Sprintf("sluice node %s: answering %s: %v", a.p.name, m.GetTypeUrl(), v)})
				}
			}()
			var r SnapshotRequest
			if err := decode(m, &r); err != nil {
				return mustEncode(kindErrorReply, errorReply{Error: fmt.Sprintf("sluice node %s: %v", a.p.name, err)})
			}
			cctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
			defer cancel()
			q, err := a.p.local.Snapshot(cctx, r)
			if err != nil {
				return mustEncode(kindErrorReply, errorReply{Error: err.Error()})
			}
			return mustEncode(kindSnapshotReply, q)
		}()
		a.p.system.Root.Send(to, reply)
	}()
}
