package etcdstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Write is one revision of etcd's history in which a task's state changed:
// who wrote it (the writer mark of the same transaction) and who owned the
// task then (the owner key's epoch at that revision).
type Write struct {
	Revision int64
	Keys     []string // the state keys written (checkpoint, snapshot, chunk, schema, skip), relative to the prefix
	Writer   int64    // the writer mark: the epoch the writing store was opened under; 0 when the revision has none
	Owner    int64    // the owner key's epoch at that revision; 0 when it did not exist
}

// Deposed reports whether the write was made by anything but the owner of
// its revision: a deposed owner, or a writer without a mark.
func (w Write) Deposed() bool { return w.Writer == 0 || w.Writer != w.Owner }

// Audit reads etcd's history of the task state at prefix from revision
// from up to now, and returns every revision that wrote a state key that
// exists now, with its writer and the owner key's epoch at that revision,
// in revision order. It proves the epoch guard after the fact: with the
// guard, no Write is Deposed. It walks each key's versions backwards (a
// read at the revision before each version's), so it costs three reads
// per version. The history must not be compacted past from (etcd answers
// "required revision has been compacted"; audit sooner, or keep a longer
// --auto-compaction-retention).
func Audit(ctx context.Context, cli *clientv3.Client, prefix, ownerKey string, from int64) ([]Write, error) {
	k := keys{prefix}
	now, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", prefix, err)
	}
	byRev := map[int64]*Write{}
	for _, kv := range now.Kvs {
		key := strings.TrimPrefix(string(kv.Key), prefix)
		if !isStateKey(key) {
			continue
		}
		for rev := now.Header.Revision; rev >= from; {
			v, err := cli.Get(ctx, string(kv.Key), clientv3.WithRev(rev), clientv3.WithKeysOnly())
			if err != nil {
				return nil, fmt.Errorf("audit of %s at revision %d: %w", kv.Key, rev, err)
			}
			if len(v.Kvs) == 0 || v.Kvs[0].ModRevision < from {
				break
			}
			m := v.Kvs[0].ModRevision
			w := byRev[m]
			if w == nil {
				if w, err = audited(ctx, cli, k.writer(), ownerKey, m); err != nil {
					return nil, err
				}
				byRev[m] = w
			}
			w.Keys = append(w.Keys, key)
			rev = m - 1
		}
	}
	out := make([]Write, 0, len(byRev))
	for _, w := range byRev {
		slices.Sort(w.Keys)
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b Write) int { return cmp.Compare(a.Revision, b.Revision) })
	return out, nil
}

// audited is the writer and owner of revision rev.
func audited(ctx context.Context, cli *clientv3.Client, writerKey, ownerKey string, rev int64) (*Write, error) {
	w := &Write{Revision: rev}
	resp, err := cli.Txn(ctx).Then(clientv3.OpGet(writerKey, clientv3.WithRev(rev)), clientv3.OpGet(ownerKey, clientv3.WithRev(rev))).Commit()
	if err != nil {
		return nil, fmt.Errorf("audit at revision %d: %w", rev, err)
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 && kvs[0].ModRevision == rev {
		w.Writer, _ = strconv.ParseInt(string(kvs[0].Value), 10, 64)
	}
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		w.Owner = kvs[0].CreateRevision
	}
	return w, nil
}

// isStateKey reports whether key (relative to the prefix) holds a task's
// progress: what a deposed owner must never write.
func isStateKey(key string) bool {
	for _, p := range []string{"checkpoint/", "snapshot/", "chunk/", "schema/", "skip/"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
