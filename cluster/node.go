package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// RunTask runs one owned task until ctx ends (then drains) and returns
// Run's error. The node gives it the task's name and spec, its epoch and a
// status registry; the engine wiring (etcd store, fenced sink) lives with
// the caller, so that this package does not import the engine.
type RunTask func(ctx context.Context, t Owned) error

// Owned is a task this node owns.
type Owned struct {
	Name     string
	DAG      *topology.DAG
	OwnerKey string
	Epoch    int64
	// StatePrefix is where the task's checkpoints live in etcd.
	StatePrefix string
	Status      *status.Registry
	// Snapshot reaches the running task's online snapshots (sluice
	// snapshot --task); RunTask sets it.
	Snapshot *SnapshotHook
}

// Node runs the tasks the plan gives it while it is a member.
type Node struct {
	cfg NodeConfig
	cli *clientv3.Client
	k   keys
	run RunTask
	log *slog.Logger

	mu      sync.Mutex
	running map[string]*running
	// retryAt holds tasks that failed here back until then, so that a task
	// that fails at once (a source down past its retry window) is not
	// restarted four times a second.
	retryAt map[string]time.Time
}

// failedTaskDelay is how long a task that failed waits before this node
// takes it again.
const failedTaskDelay = 10 * time.Second

type running struct {
	owned    Owned
	cancel   context.CancelFunc
	done     chan struct{}
	err      error
	reported *Progress // the last progress put in etcd
}

// NewNode makes a node of cfg over cli.
func NewNode(cfg NodeConfig, cli *clientv3.Client, run RunTask, log *slog.Logger) *Node {
	return &Node{cfg: cfg, cli: cli, k: keys{prefix: cfg.Prefix}, run: run, log: log.With("node", cfg.Name), running: map[string]*running{}, retryAt: map[string]time.Time{}}
}

// reconcileEvery bounds how long a change waits when no watch event came.
const reconcileEvery = 250 * time.Millisecond

// Run is the node's life: join, run the planned tasks, rejoin after a lost
// membership, and when ctx ends drain every task, give them up and leave.
// While etcd does not answer the node runs no task and tries to join again
// every quarter TTL; only a name held by another live node ends Run.
func (n *Node) Run(ctx context.Context) error {
	var lost *Member
	for {
		if lost != nil {
			// The old lease must go before the node joins again: etcd
			// renews every lease when it restarts, so a lease of a node
			// that lost etcd can outlive the outage and keep the node's
			// name and its old owner keys.
			if err := n.bounded(ctx, lost.Leave); err != nil {
				if n.pause(ctx) {
					return nil
				}
				continue
			}
			lost = nil
		}
		var m *Member
		err := n.bounded(ctx, func(ctx context.Context) (err error) {
			m, err = Join(ctx, n.cli, n.cfg.Prefix, n.cfg.Name, n.cfg.Advertise, n.cfg.LeaseTTL)
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, ErrNameInUse) {
				return err
			}
			n.log.Warn("joining the cluster; trying again", "err", err, "in", n.cfg.LeaseTTL/4)
			if n.pause(ctx) {
				return nil
			}
			continue
		}
		n.log.Info("joined the cluster", "advertise", n.cfg.Advertise, "lease_ttl", n.cfg.LeaseTTL)
		if !n.serve(ctx, m) {
			n.stopAll(false)
			_ = m.Leave(context.Background()) // deletes the owner keys with the lease
			n.log.Info("left the cluster")
			return nil
		}
		// Another node may own our tasks by now: stop them at once.
		n.stopAll(true)
		n.log.Warn("membership lost (etcd unreachable or the lease expired); tasks stopped, joining again")
		lost = m
		if n.pause(ctx) {
			return nil
		}
	}
}

// bounded runs an etcd call under ctx for at most a lease TTL.
func (n *Node) bounded(ctx context.Context, call func(context.Context) error) error {
	bctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL)
	defer cancel()
	return call(bctx)
}

// pause waits a quarter TTL before the next try; true when ctx ended.
func (n *Node) pause(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-time.After(n.cfg.LeaseTTL / 4):
		return false
	}
}

// serve reconciles until ctx ends (false) or the membership is lost (true).
func (n *Node) serve(ctx context.Context, m *Member) (lost bool) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Any change under the prefix triggers a reconcile at once; the ticker
	// covers a watch that broke.
	changes := n.cli.Watch(wctx, n.cfg.Prefix+"/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
	tick := time.NewTicker(reconcileEvery)
	defer tick.Stop()
	progress := time.NewTicker(progressEvery)
	defer progress.Stop()
	// A lost membership also ends the round under way, so that the tasks
	// stop at once rather than after the round's deadline.
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	go func() {
		select {
		case <-m.Lost():
			lcancel()
		case <-lctx.Done():
		}
	}()
	for {
		// Each round's etcd calls are bounded by the lease TTL: a node cut
		// off from etcd must come back here to see its membership lost and
		// stop its tasks, not wait in a call until etcd answers again.
		rctx, cancel := context.WithTimeout(lctx, n.cfg.LeaseTTL)
		n.reconcile(rctx, m)
		cancel()
		select {
		case <-ctx.Done():
			return false
		case <-m.Lost():
			return true
		case _, ok := <-changes:
			if !ok {
				changes = nil
			}
		case <-tick.C:
		case <-progress.C:
			rctx, cancel := context.WithTimeout(lctx, n.cfg.LeaseTTL)
			n.report(rctx)
			cancel()
		}
	}
}

// reconcile makes the running tasks what the plan says.
func (n *Node) reconcile(ctx context.Context, m *Member) {
	v, err := Read(ctx, n.cli, n.cfg.Prefix)
	if err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) { // not when the node stops
			n.log.Warn("reading the cluster", "err", err)
		}
		return
	}
	plan := v.Plan()
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, r := range n.running {
		t := v.Tasks[name]
		select {
		case <-r.done:
			// Ended by itself (failed): give it up so that another try,
			// here or elsewhere, starts from its checkpoint.
			n.log.Error("task stopped; trying again later", "task", name, "err", r.err, "in", failedTaskDelay)
			_ = m.Release(ctx, name, r.owned.Epoch)
			delete(n.running, name)
			n.retryAt[name] = time.Now().Add(failedTaskDelay)
			continue
		default:
		}
		switch {
		case t == nil || t.Owner != n.cfg.Name || t.Epoch != r.owned.Epoch:
			n.log.Warn("task no longer owned here; stopping it", "task", name)
			n.stop(name, r, true)
		case t.Removed || plan[name] != n.cfg.Name:
			n.log.Info("task moves away or was removed; draining it", "task", name)
			n.stop(name, r, false)
			// The drain may outlast the round's deadline: the release gets
			// its own, or the task would stay owned here by nobody running it.
			if err := n.bounded(context.Background(), func(ctx context.Context) error { return m.Release(ctx, name, r.owned.Epoch) }); err != nil {
				n.log.Warn("giving up a drained task; trying again next round", "task", name, "err", err)
			}
			n.log.Info("task drained and given up", "task", name)
		}
	}
	for name, t := range v.Tasks {
		if t.Owner == n.cfg.Name && n.running[name] == nil {
			// Owned here by nobody running it: a release after a drain
			// that etcd did not answer. The epoch guard keeps a newer
			// owner's key.
			_ = m.Release(ctx, name, t.Epoch)
			continue
		}
		if t.Removed || plan[name] != n.cfg.Name || t.Owner != "" || n.running[name] != nil || time.Now().Before(n.retryAt[name]) {
			continue
		}
		n.start(ctx, m, t)
	}
}

func (n *Node) start(ctx context.Context, m *Member, t *Task) {
	dag, diags := parseTask(t.Name, t.Spec)
	if dag == nil {
		n.log.Error("submitted topology no longer valid; not starting it", "task", t.Name, "diagnostics", diags.String())
		return
	}
	epoch, err := m.Acquire(ctx, t.Name)
	if errors.Is(err, ErrOwned) {
		return
	}
	if err != nil {
		n.log.Warn("taking a task", "task", t.Name, "err", err)
		return
	}
	dag.Engine.HTTPAddr = "" // the node serves every task's status
	owned := Owned{Name: t.Name, DAG: dag, OwnerKey: n.k.owner(t.Name), Epoch: epoch, StatePrefix: n.k.state(t.Name), Status: status.NewRegistry(), Snapshot: &SnapshotHook{}}
	rctx, cancel := context.WithCancel(context.Background())
	r := &running{owned: owned, cancel: cancel, done: make(chan struct{})}
	n.running[t.Name] = r
	n.log.Info("task starting", "task", t.Name, "epoch", epoch)
	go func() {
		r.err = n.run(rctx, owned)
		close(r.done)
	}()
}

// stop ends a task. A planned stop waits for its drain, so that the next
// owner starts from its final checkpoint; a stop after the ownership is gone
// does not wait: whatever the task still commits or writes is refused by
// the fences (the owner epoch in etcd, the Kafka transactional id).
func (n *Node) stop(name string, r *running, hard bool) {
	r.cancel()
	if !hard {
		<-r.done
	}
	delete(n.running, name)
}

func (n *Node) stopAll(hard bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for name, r := range n.running {
		n.stop(name, r, hard)
	}
}

// TaskStatus is what a node tells about one task it runs.
type TaskStatus struct {
	Task  string          `json:"task"`
	Node  string          `json:"node"`
	Epoch int64           `json:"epoch"`
	View  status.TaskView `json:"status"`
}

// Statuses is the live state of the tasks this node runs.
func (n *Node) Statuses() []TaskStatus {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []TaskStatus
	now := time.Now()
	for name, r := range n.running {
		out = append(out, TaskStatus{Task: name, Node: n.cfg.Name, Epoch: r.owned.Epoch, View: r.owned.Status.View(now)})
	}
	return out
}
