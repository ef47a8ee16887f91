package etcdstore

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/internal/record"
)

// Skip decisions from outside the owner. An operator who decides that a
// stopped task may pass over a DDL statement (sluice skip) is not the
// task's owner and must not write its state: every state write is fenced
// on the owner's epoch, and the audit holds any other writer for a deposed
// owner. So the operator's tool writes a request,
//
//	P skip-request/<source>/<pos key>    JSON skip decision, as asked
//
// in a transaction that puts that key alone (it cannot touch the owner's
// checkpoint or anything else the owner writes), and the next owner to
// Open the store adopts every request: one fenced transaction records it as
// the source's skip decision (skip/…) and deletes the request. A request
// written while an owner runs applies at that owner's next start; a task
// stopped by the statement is retried by its node and starts again.

func (k keys) skipRequests() string { return k.p + "skip-request/" }
func (k keys) skipRequest(src, posKey string) string {
	return k.skipRequests() + esc(src) + "/" + posKey
}

// RequestSkip records, for the owner of the task whose state is at prefix,
// the decision to skip one DDL statement of source. The task must have
// state already (it has run, and stopped at the statement); a request at
// the same position replaces an earlier one not yet adopted.
func RequestSkip(ctx context.Context, cli *clientv3.Client, prefix, source string, sk store.Skip) error {
	k := keys{prefix}
	v, err := record.EncodeSkip(sk)
	if err != nil {
		return fmt.Errorf("skip decision of source %q at %s: %w", source, sk.Pos, err)
	}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k.identity()), ">", 0)).
		Then(clientv3.OpPut(k.skipRequest(source, store.PosKey(sk.Pos)), string(v))).
		Commit()
	if err != nil {
		return fmt.Errorf("recording the skip decision at etcd prefix %s: %w", prefix, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("the task has no state in etcd yet (%s): it has not run, so no statement stopped it; "+
			"sluice tasks shows whether it runs", prefix)
	}
	return nil
}

// SourceSkips are one source's skip decisions, as sluice tasks lists them.
type SourceSkips struct {
	Source string `json:"source"`
	// Recorded are the decisions the task's owner adopted; its binlog
	// reader applies them.
	Recorded []store.Skip `json:"recorded,omitempty"`
	// Requested are decisions not adopted yet: the owner takes them at its
	// next start.
	Requested []store.Skip `json:"requested,omitempty"`
}

// ListSkips reads the skip decisions and the requests under prefix, at one
// revision, by source in name order.
func ListSkips(ctx context.Context, cli *clientv3.Client, prefix string) ([]SourceSkips, error) {
	k := keys{prefix}
	resp, err := cli.Txn(ctx).Then(
		clientv3.OpGet(k.p+"skip/", clientv3.WithPrefix()),
		clientv3.OpGet(k.skipRequests(), clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("reading the skip decisions at etcd prefix %s: %w", prefix, err)
	}
	var out []SourceSkips
	at := func(src string) *SourceSkips {
		for i := range out {
			if out[i].Source == src {
				return &out[i]
			}
		}
		out = append(out, SourceSkips{Source: src})
		return &out[len(out)-1]
	}
	for i, dir := range []string{k.p + "skip/", k.skipRequests()} {
		for _, kv := range resp.Responses[i].GetResponseRange().Kvs {
			src, sk, err := decodeSkipKV(kv.Key, kv.Value, dir)
			if err != nil {
				return nil, err
			}
			s := at(src)
			if i == 0 {
				s.Recorded = append(s.Recorded, sk)
			} else {
				s.Requested = append(s.Requested, sk)
			}
		}
	}
	slices.SortFunc(out, func(a, b SourceSkips) int { return strings.Compare(a.Source, b.Source) })
	return out, nil
}

// decodeSkipKV reads a skip or request key under dir: its source and the
// decision.
func decodeSkipKV(key, value []byte, dir string) (string, store.Skip, error) {
	esrc, _, ok := strings.Cut(strings.TrimPrefix(string(key), dir), "/")
	src, err := url.PathUnescape(esrc)
	if !ok || err != nil {
		return "", store.Skip{}, fmt.Errorf("skip key %q: not <source>/<position>", key)
	}
	sk, err := record.DecodeSkip(value)
	if err != nil {
		return "", store.Skip{}, fmt.Errorf("skip key %q: %w", key, err)
	}
	return src, sk, nil
}

// adoptSkipRequests records every pending request as its source's skip
// decision and deletes it, in fenced transactions of at most 40 requests.
func (s *Store) adoptSkipRequests() error {
	kvs, err := s.get("skip decision requests", s.k.skipRequests(), clientv3.WithPrefix())
	if err != nil {
		return err
	}
	for len(kvs) > 0 {
		n := min(len(kvs), 40)
		var u store.Update
		var dels []clientv3.Op
		for _, kv := range kvs[:n] {
			src, sk, err := decodeSkipKV(kv.Key, kv.Value, s.k.skipRequests())
			if err != nil {
				return s.corrupt(err)
			}
			u.PutSkip(src, sk)
			dels = append(dels, clientv3.OpDelete(string(kv.Key)))
			s.log.Warn("skip decision adopted", "source", src, "pos", sk.Pos.String(), "digest", sk.Digest, "reason", sk.Reason, "who", sk.Who)
		}
		ops, err := plan(s.k, &u)
		if err != nil {
			return err
		}
		if err := s.fenced("adopt skip decisions", append(ops, dels...)); err != nil {
			return err
		}
		kvs = kvs[n:]
	}
	return nil
}
