package etcdstore

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/internal/record"
)

// etcd's defaults for --max-txn-ops and --max-request-bytes.
const (
	defaultMaxTxnOps       = 128
	defaultMaxRequestBytes = 1536 * 1024
)

const (
	// requestReserve is the room kept in every request for the fence, a
	// journal key and the request's framing.
	requestReserve = 4096
	// opOverhead bounds the framing of one operation in a request; it is
	// also more than a journal piece spends on one operation.
	opOverhead = 16
)

// limits are what one etcd transaction may carry.
type limits struct {
	ops      int // operations
	bytes    int // bytes of the operations
	maxBytes int // the members' --max-request-bytes, for messages
}

func newLimits(maxOps, maxBytes int, ownerKey string) limits {
	if maxOps <= 0 {
		maxOps = defaultMaxTxnOps
	}
	if maxBytes <= 0 {
		maxBytes = defaultMaxRequestBytes
	}
	// Every transaction also carries the writer mark: one operation less.
	return limits{ops: max(maxOps-1, 1), bytes: maxBytes - requestReserve - len(ownerKey), maxBytes: maxBytes}
}

func opSize(op clientv3.Op) int {
	return len(op.KeyBytes()) + len(op.ValueBytes()) + len(op.RangeBytes()) + opOverhead
}

// split cuts ops, in order, into transactions of at most l.ops operations
// and budget bytes. An operation larger than budget alone is an error:
// no transaction can carry it.
func (l limits) split(ops []clientv3.Op, budget int) ([][]clientv3.Op, error) {
	var groups [][]clientv3.Op
	start, size := 0, 0
	for i, op := range ops {
		n := opSize(op)
		if n > budget {
			return nil, fmt.Errorf("key %s carries %d bytes, more than one etcd request can (%d: --max-request-bytes %d "+
				"less room for the fence); raise --max-request-bytes on every etcd member and set "+
				"Options.MaxRequestBytes to match", op.KeyBytes(), n, budget, l.maxBytes)
		}
		if i > start && (i-start == l.ops || size+n > budget) {
			groups = append(groups, ops[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(ops) {
		groups = append(groups, ops[start:])
	}
	return groups, nil
}

// Commit implements store.Store. An Update that fits one etcd transaction
// is one fenced transaction; a larger one goes through the journal (see
// the package doc).
func (s *Store) Commit(u *store.Update) error {
	if u.Empty() {
		return nil
	}
	if err := u.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("commit: %w", store.ErrClosed)
	}
	if s.broken != nil {
		return fmt.Errorf("commit: %w", s.broken)
	}
	groups, err := s.groups(u)
	if err != nil {
		return err
	}
	if len(groups) == 1 {
		return s.fenced("commit", groups[0])
	}
	return s.commitJournaled(groups)
}

// groups plans u and cuts it into transactions.
func (s *Store) groups(u *store.Update) ([][]clientv3.Op, error) {
	ops, err := plan(s.k, u)
	if err != nil {
		return nil, fmt.Errorf("commit to etcd prefix %s: %w", s.k.p, err)
	}
	// Leave room for a group's journal key, so that any group also fits a
	// transaction as a journal piece.
	groups, err := s.limits.split(ops, s.limits.bytes-len(s.k.piece(0))-opOverhead)
	if err != nil {
		return nil, errkind.Terminal(fmt.Errorf("commit to etcd prefix %s: %w", s.k.p, err))
	}
	return groups, nil
}

// fenced runs ops in one transaction that succeeds only while the owner key
// is the one the store was opened under. The transaction also puts the
// writer mark, the owner's epoch, so that etcd's history tells which owner
// wrote each revision (Audit).
func (s *Store) fenced(what string, ops []clientv3.Op) error {
	ctx, cancel := s.ctx()
	defer cancel()
	ops = append(slices.Clip(ops), clientv3.OpPut(s.k.writer(), s.mark))
	resp, err := s.cli.Txn(ctx).If(s.fence()).Then(ops...).Else(clientv3.OpGet(s.owner.Key)).Commit()
	switch {
	case errors.Is(err, rpctypes.ErrTooManyOps), errors.Is(err, rpctypes.ErrRequestTooLarge):
		return errkind.Terminal(fmt.Errorf("%s at etcd prefix %s: %w: the etcd members allow less than "+
			"Options.MaxTxnOps (%d operations) or Options.MaxRequestBytes (%d bytes); set them to the members' "+
			"--max-txn-ops and --max-request-bytes", what, s.k.p, err, s.limits.ops, s.limits.maxBytes))
	case err != nil:
		// A timeout leaves the outcome unknown; the next Open reads
		// whichever state is there (see the package doc).
		return fmt.Errorf("%s at etcd prefix %s: %w", what, s.k.p, err)
	case !resp.Succeeded:
		return s.fencedErr(first(resp, 0))
	}
	return nil
}

// plan turns u into etcd operations that have the same effect in any order
// and any grouping: each key is put once, with the last value u gives it,
// and a chunk reset deletes only the keys that u does not put again (etcd
// refuses a transaction that puts a key inside a range it deletes).
func plan(k keys, u *store.Update) ([]clientv3.Op, error) {
	var ops []clientv3.Op
	at := map[string]int{}
	put := func(key string, v []byte) {
		if i, ok := at[key]; ok {
			ops[i] = clientv3.OpPut(key, string(v))
			return
		}
		at[key] = len(ops)
		ops = append(ops, clientv3.OpPut(key, string(v)))
	}
	sources := map[string]bool{}
	for i := range u.Chunks {
		c := &u.Chunks[i]
		v, err := record.EncodeChunk(c.Chunk)
		if err != nil {
			return nil, fmt.Errorf("chunk %d of %s table %s: %w", c.ID, c.Source, c.Table, err)
		}
		put(k.chunk(c.Source, c.Table, c.ID), v)
		sources[c.Source] = true
	}
	for i := range u.Snapshots {
		sn := &u.Snapshots[i]
		v, err := record.EncodeSnapshot(sn.Snapshot)
		if err != nil {
			return nil, fmt.Errorf("snapshot state of source %q: %w", sn.Source, err)
		}
		put(k.snapshot(sn.Source), v)
		sources[sn.Source] = true
	}
	for i := range u.Checkpoints {
		cp := &u.Checkpoints[i]
		v, err := record.EncodeCheckpoint(cp.Checkpoint)
		if err != nil {
			return nil, fmt.Errorf("checkpoint of source %q: %w", cp.Source, err)
		}
		put(k.checkpoint(cp.Source), v)
		sources[cp.Source] = true
	}
	for _, sc := range u.Schemas {
		put(k.schemas(sc.Source, sc.Table)+sc.PosKey, sc.Def)
		sources[sc.Source] = true
	}
	for i := range u.Skips {
		sk := &u.Skips[i]
		v, err := record.EncodeSkip(sk.Skip)
		if err != nil {
			return nil, fmt.Errorf("skip decision of source %q at %s: %w", sk.Source, sk.Pos, err)
		}
		put(k.skips(sk.Source)+store.PosKey(sk.Pos), v)
		sources[sk.Source] = true
	}
	for src := range sources {
		put(k.source(src), nil)
	}
	if len(u.ChunkResets) == 0 {
		return ops, nil
	}
	kept := make([]string, 0, len(at))
	for key := range at {
		kept = append(kept, key)
	}
	sort.Strings(kept)
	for _, r := range u.ChunkResets {
		start := k.chunks(r.Source)
		if r.Table != "" {
			start = k.tableChunks(r.Source, r.Table)
		}
		ops = appendGaps(ops, start, clientv3.GetPrefixRangeEnd(start), kept)
	}
	return ops, nil
}

// appendGaps appends deletes of [start, end) less the keys of kept (sorted).
func appendGaps(ops []clientv3.Op, start, end string, kept []string) []clientv3.Op {
	from := start
	for i := sort.SearchStrings(kept, start); i < len(kept) && kept[i] < end; i++ {
		if from < kept[i] {
			ops = append(ops, clientv3.OpDelete(from, clientv3.WithRange(kept[i])))
		}
		from = kept[i] + "\x00"
	}
	if from < end {
		ops = append(ops, clientv3.OpDelete(from, clientv3.WithRange(end)))
	}
	return ops
}
