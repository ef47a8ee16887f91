package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Member is one node's membership: an etcd lease and the member key under
// it. Owner keys of the node's tasks live under the same lease, so they
// vanish with it.
type Member struct {
	cli   *clientv3.Client
	k     keys
	name  string
	ttl   time.Duration
	lease clientv3.LeaseID

	mu   sync.Mutex
	last time.Time // the last keep-alive etcd answered
	lost chan struct{}
	once sync.Once
	stop context.CancelFunc
}

// Join makes the node a member under name, advertising addr, with a lease
// of ttl. A live member with the same name is an error: two nodes would
// fight over one identity.
func Join(ctx context.Context, cli *clientv3.Client, prefix, name, addr string, ttl time.Duration) (*Member, error) {
	k := keys{prefix: prefix}
	secs := max(int64(ttl/time.Second), 1)
	g, err := cli.Grant(ctx, secs)
	if err != nil {
		return nil, fmt.Errorf("node %q: etcd lease: %w", name, err)
	}
	key := k.member(name)
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, addr, clientv3.WithLease(g.ID))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		_, _ = cli.Revoke(ctx, g.ID) // if etcd does not answer, the lease expires by itself
		return nil, fmt.Errorf("node %q: joining the cluster: %w", name, err)
	}
	if !resp.Succeeded {
		_, _ = cli.Revoke(ctx, g.ID)
		other := ""
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			other = string(kvs[0].Value)
		}
		return nil, nameInUse(fmt.Sprintf("node name %q is in use by a live node (advertising %s): give each node its own name in its node file, "+
			"or, if that node is gone, wait %s for its lease to expire", name, other, time.Duration(secs)*time.Second))
	}
	m := &Member{cli: cli, k: k, name: name, ttl: time.Duration(secs) * time.Second, lease: g.ID, last: time.Now(), lost: make(chan struct{})}
	kctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	ch, err := cli.KeepAlive(kctx, g.ID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("node %q: keeping the etcd lease alive: %w", name, err)
	}
	go m.keepAlive(kctx, ch)
	return m, nil
}

// keepAlive records each answer and declares the membership lost when etcd
// has not answered for a whole TTL: by then the lease may have expired and
// another node may own this node's tasks. The node must stop at once; the
// fences (epochs in etcd, Kafka transactions) cover the moments until it
// has.
func (m *Member) keepAlive(ctx context.Context, ch <-chan *clientv3.LeaseKeepAliveResponse) {
	tick := time.NewTicker(m.ttl / 10)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-ch:
			if !ok || r == nil {
				m.setLost()
				return
			}
			m.mu.Lock()
			m.last = time.Now()
			m.mu.Unlock()
		case <-tick.C:
			m.mu.Lock()
			silent := time.Since(m.last)
			m.mu.Unlock()
			if silent >= m.ttl {
				m.setLost()
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func (m *Member) setLost() { m.once.Do(func() { close(m.lost) }) }

// Name is the node's name.
func (m *Member) Name() string { return m.name }

// Lost is closed when the membership is lost (the lease expired or etcd has
// not answered for a TTL).
func (m *Member) Lost() <-chan struct{} { return m.lost }

// Leave ends the membership: the lease is revoked, with every owner key
// under it. A lease etcd no longer has is left already.
func (m *Member) Leave(ctx context.Context) error {
	m.stop()
	_, err := m.cli.Revoke(ctx, m.lease)
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return nil
	}
	return err
}

// ErrNameInUse is returned by Join when a live member has the name (the
// error says which node has it and what to do).
var ErrNameInUse = errors.New("node name in use")

// nameInUse is Join's refusal: its text alone, matching ErrNameInUse.
type nameInUse string

func (e nameInUse) Error() string        { return string(e) }
func (e nameInUse) Is(target error) bool { return target == ErrNameInUse }

// ErrOwned is returned by Acquire when another node owns the task.
var ErrOwned = errors.New("task owned by another node")

// Acquire makes this node the task's owner. The owner key is created under
// the node's lease; its create revision is the owner's epoch, which every
// checkpoint commit of the task compares against.
func (m *Member) Acquire(ctx context.Context, task string) (epoch int64, err error) {
	key := m.k.owner(task)
	resp, err := m.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, m.name, clientv3.WithLease(m.lease))).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("task %q: taking ownership: %w", task, err)
	}
	if !resp.Succeeded {
		return 0, ErrOwned
	}
	return resp.Header.Revision, nil
}

// Release gives the task up, if this node still owns it at epoch.
func (m *Member) Release(ctx context.Context, task string, epoch int64) error {
	key := m.k.owner(task)
	_, err := m.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", epoch)).
		Then(clientv3.OpDelete(key)).
		Commit()
	return err
}
