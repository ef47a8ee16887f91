package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Progress is what a task's owner last reported of it, kept in etcd so that
// any node's tools show it: per source, the phase and the last committed
// checkpoint position with the time this node first saw it, and the lag.
type Progress struct {
	Node    string           `json:"node"`
	Epoch   int64            `json:"epoch"`
	Sources []SourceProgress `json:"sources"`
}

// SourceProgress is one source of a Progress.
type SourceProgress struct {
	Name       string    `json:"name"`
	Phase      string    `json:"phase"`
	Checkpoint string    `json:"checkpoint,omitempty"`
	At         time.Time `json:"checkpointed_at,omitzero"`
	// LagSeconds is the age of the last transaction read, in whole
	// seconds, so that a steady lag is not put again every second.
	LagSeconds float64 `json:"lag_seconds"`
}

// progressEvery is how often a node looks for new checkpoints of its tasks
// to report; the age of a reported checkpoint is exact to about this.
const progressEvery = time.Second

// report puts the progress of every running task that changed since the
// last report. A put is guarded by the owner's epoch, so that a deposed
// owner cannot overwrite its successor's report.
func (n *Node) report(ctx context.Context) {
	now := time.Now()
	type put struct {
		name     string
		epoch    int64
		progress []byte
		r        *running
	}
	var puts []put
	n.mu.Lock()
	for name, r := range n.running {
		p := Progress{Node: n.cfg.Name, Epoch: r.owned.Epoch}
		var prev []SourceProgress
		if r.reported != nil {
			prev = r.reported.Sources
		}
		for _, s := range r.owned.Status.View(now).Sources {
			sp := SourceProgress{Name: s.Name, Phase: s.Phase, Checkpoint: s.Checkpoint, LagSeconds: math.Round(s.LagSeconds)}
			if i := slices.IndexFunc(prev, func(o SourceProgress) bool { return o.Name == s.Name }); i >= 0 && prev[i].Checkpoint == s.Checkpoint {
				sp.At = prev[i].At
			} else if s.Checkpoint != "" {
				sp.At = now
			}
			p.Sources = append(p.Sources, sp)
		}
		if r.reported != nil && slices.Equal(p.Sources, prev) {
			continue
		}
		b, err := json.Marshal(p)
		if err != nil {
			continue
		}
		r.reported = &p
		puts = append(puts, put{name, r.owned.Epoch, b, r})
	}
	n.mu.Unlock()
	for _, p := range puts {
		_, err := n.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(n.k.owner(p.name)), "=", p.epoch)).
			Then(clientv3.OpPut(n.k.progress(p.name), string(p.progress))).
			Commit()
		if err != nil {
			n.mu.Lock()
			p.r.reported = nil // report again next time
			n.mu.Unlock()
			return
		}
	}
}

// ReadProgress reads every task's last reported progress.
func ReadProgress(ctx context.Context, cli *clientv3.Client, prefix string) (map[string]Progress, error) {
	k := keys{prefix: prefix}
	resp, err := cli.Get(ctx, k.progresses(), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("reading the tasks' progress from etcd: %w", err)
	}
	out := make(map[string]Progress, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var p Progress
		if err := json.Unmarshal(kv.Value, &p); err != nil {
			return nil, fmt.Errorf("progress of task %q in etcd (%s): %w", name(kv.Key, k.progresses()), kv.Key, err)
		}
		out[name(kv.Key, k.progresses())] = p
	}
	return out, nil
}
