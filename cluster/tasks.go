package cluster

import (
	"context"
	"fmt"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/topology"
)

// View is the cluster as etcd has it at one revision.
type View struct {
	Revision int64
	Members  map[string]string // node → advertised address
	Tasks    map[string]*Task
}

// Task is one submitted task.
type Task struct {
	Name    string
	Spec    []byte
	Owner   string // "" while no node owns it
	Epoch   int64  // the owner key's create revision
	Removed bool
}

// MemberNames lists the live members, sorted.
func (v *View) MemberNames() []string {
	names := make([]string, 0, len(v.Members))
	for n := range v.Members {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Plan is the assignment of the view's tasks that are not removed.
func (v *View) Plan() map[string]string {
	var names []string
	owners := map[string]string{}
	for n, t := range v.Tasks {
		if !t.Removed {
			names = append(names, n)
			owners[n] = t.Owner
		}
	}
	return Plan(names, v.MemberNames(), owners)
}

// Read reads the view in one etcd transaction (one revision).
func Read(ctx context.Context, cli *clientv3.Client, prefix string) (*View, error) {
	k := keys{prefix: prefix}
	resp, err := cli.Txn(ctx).Then(
		clientv3.OpGet(k.members(), clientv3.WithPrefix()),
		clientv3.OpGet(k.specs(), clientv3.WithPrefix()),
		clientv3.OpGet(k.owners(), clientv3.WithPrefix()),
		clientv3.OpGet(k.removals(), clientv3.WithPrefix(), clientv3.WithKeysOnly()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("reading the cluster from etcd: %w", err)
	}
	v := &View{Revision: resp.Header.Revision, Members: map[string]string{}, Tasks: map[string]*Task{}}
	r := resp.Responses
	for _, kv := range r[0].GetResponseRange().Kvs {
		v.Members[name(kv.Key, k.members())] = string(kv.Value)
	}
	for _, kv := range r[1].GetResponseRange().Kvs {
		n := name(kv.Key, k.specs())
		v.Tasks[n] = &Task{Name: n, Spec: kv.Value}
	}
	for _, kv := range r[2].GetResponseRange().Kvs {
		if t := v.Tasks[name(kv.Key, k.owners())]; t != nil {
			t.Owner, t.Epoch = string(kv.Value), kv.CreateRevision
		}
	}
	for _, kv := range r[3].GetResponseRange().Kvs {
		if t := v.Tasks[name(kv.Key, k.removals())]; t != nil {
			t.Removed = true
		}
	}
	return v, nil
}

// Submit adds a task. The caller validates spec first; a task of that name
// must not exist.
func Submit(ctx context.Context, cli *clientv3.Client, prefix, task string, spec []byte) error {
	k := keys{prefix: prefix}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k.spec(task)), "=", 0)).
		Then(clientv3.OpPut(k.spec(task), string(spec))).
		Commit()
	if err != nil {
		return fmt.Errorf("submitting task %q: %w", task, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("task %q exists: remove it first (sluice remove %s), or submit this file under another name (--name)", task, task)
	}
	return nil
}

// TaskDAG reads a submitted task's topology from etcd.
func TaskDAG(ctx context.Context, cli *clientv3.Client, prefix, task string) (*topology.DAG, error) {
	k := keys{prefix: prefix}
	resp, err := cli.Get(ctx, k.spec(task))
	if err != nil {
		return nil, fmt.Errorf("reading task %q: %w", task, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("no task %q: sluice tasks lists the submitted ones", task)
	}
	dag, diags := parseTask(task, resp.Kvs[0].Value)
	if dag == nil {
		return nil, fmt.Errorf("task %q: its submitted topology is no longer valid:\n%s", task, diags.String())
	}
	return dag, nil
}

// parseTask parses a submitted topology, the file named after its task.
func parseTask(task string, spec []byte) (*topology.DAG, topology.Diagnostics) {
	return topology.Parse(task+".yaml", spec)
}

// Remove asks the cluster to stop a task: its owner drains it and lets it
// go; its checkpoints stay until Purge.
func Remove(ctx context.Context, cli *clientv3.Client, prefix, task string) error {
	k := keys{prefix: prefix}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k.spec(task)), ">", 0)).
		Then(clientv3.OpPut(k.removed(task), "")).
		Commit()
	if err != nil {
		return fmt.Errorf("removing task %q: %w", task, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("no task %q: sluice tasks lists the submitted ones", task)
	}
	return nil
}

// Purge deletes a removed task and its checkpoints. It is refused while a
// node still owns the task (the drain is not over).
func Purge(ctx context.Context, cli *clientv3.Client, prefix, task string) error {
	k := keys{prefix: prefix}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k.removed(task)), ">", 0),
			clientv3.Compare(clientv3.CreateRevision(k.owner(task)), "=", 0)).
		Then(clientv3.OpDelete(k.spec(task)), clientv3.OpDelete(k.removed(task)), clientv3.OpDelete(k.progress(task)),
			clientv3.OpDelete(k.state(task), clientv3.WithPrefix())).
		Commit()
	if err != nil {
		return fmt.Errorf("purging task %q: %w", task, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("task %q is not removed yet or still owned by a node that is draining it: run sluice remove %s, wait until sluice tasks shows no owner, then purge", task, task)
	}
	return nil
}
