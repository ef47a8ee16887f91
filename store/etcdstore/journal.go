package etcdstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// commitJournaled commits groups, an Update too large for one transaction,
// in two steps: it records them in the journal (writeJournal), then applies
// each group and deletes the journal. Every transaction is fenced. A failure
// leaves the store broken: reads in this process could see part of the
// groups, so it refuses every call, and the next Open completes the commit
// if it was recorded, else discards it.
func (s *Store) commitJournaled(groups [][]clientv3.Op) error {
	if err := s.writeJournal(groups); err != nil {
		s.broken = fmt.Errorf("a commit of %d transactions stopped while it was recorded (%v); "+
			"reopen the store: Open discards it or, if it was recorded after all, completes it", len(groups), err)
		return err
	}
	if err := s.apply(len(groups), func(i int) ([]clientv3.Op, error) { return groups[i], nil }); err != nil {
		s.broken = fmt.Errorf("a commit of %d transactions is recorded but not applied (%v); "+
			"reopen the store: Open completes it", len(groups), err)
		return fmt.Errorf("commit to etcd prefix %s is recorded but not applied; the next Open completes it: %w", s.k.p, err)
	}
	return nil
}

// writeJournal writes each group as a piece of the journal; the transaction
// that writes the last pieces also writes the commit mark, the commit point.
func (s *Store) writeJournal(groups [][]clientv3.Op) error {
	journal := make([]clientv3.Op, 0, len(groups)+1)
	for i, g := range groups {
		journal = append(journal, clientv3.OpPut(s.k.piece(i), string(encodePiece(g))))
	}
	journal = append(journal, clientv3.OpPut(s.k.committed(), strconv.Itoa(len(groups))))
	writes, err := s.limits.split(journal, s.limits.bytes)
	if err != nil {
		return fmt.Errorf("commit to etcd prefix %s: journal: %w", s.k.p, err) // Commit sized the groups for this
	}
	for i, w := range writes {
		if err := s.fenced(fmt.Sprintf("commit (journal, transaction %d of %d)", i+1, len(writes)), w); err != nil {
			return err
		}
	}
	return nil
}

// apply applies the n groups of a recorded commit, then deletes the
// journal. Applying a group twice has the effect of applying it once.
func (s *Store) apply(n int, group func(i int) ([]clientv3.Op, error)) error {
	for i := range n {
		g, err := group(i)
		if err != nil {
			return err
		}
		if err := s.fenced(fmt.Sprintf("commit (applying transaction %d of %d)", i+1, n), g); err != nil {
			return err
		}
	}
	return s.fenced("commit (deleting the journal)", []clientv3.Op{
		clientv3.OpDelete(s.k.journal(), clientv3.WithPrefix()), clientv3.OpDelete(s.k.committed())})
}

// settle completes a commit that an earlier Store recorded but did not
// apply, or discards one it did not finish recording.
func (s *Store) settle() error {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.k.committed()),
		clientv3.OpGet(s.k.journal(), clientv3.WithPrefix(), clientv3.WithCountOnly())).Commit()
	if err != nil {
		return fmt.Errorf("open checkpoint store at etcd prefix %s: reading its journal: %w", s.k.p, err)
	}
	mark, pieces := first(resp, 0), resp.Responses[1].GetResponseRange().GetCount()
	if mark == nil {
		if pieces == 0 {
			return nil
		}
		s.log.Warn("discarding a commit an earlier owner did not finish recording", "prefix", s.k.p, "pieces", pieces)
		return s.fenced("discard an unfinished commit", []clientv3.Op{clientv3.OpDelete(s.k.journal(), clientv3.WithPrefix())})
	}
	n, err := strconv.Atoi(string(mark.Value))
	if err != nil || int64(n) != pieces {
		return s.corrupt(fmt.Errorf("the journal's commit mark %q does not match its %d pieces", mark.Value, pieces))
	}
	s.log.Warn("completing a commit an earlier owner recorded but did not apply", "prefix", s.k.p, "transactions", n)
	return s.apply(n, func(i int) ([]clientv3.Op, error) {
		what := fmt.Sprintf("journal piece %d of %d", i+1, n)
		kvs, err := s.get(what, s.k.piece(i))
		if err != nil {
			return nil, err
		}
		if len(kvs) == 0 {
			return nil, s.corrupt(fmt.Errorf("%s is missing", what))
		}
		ops, err := decodePiece(kvs[0].Value)
		if err != nil {
			return nil, s.corrupt(fmt.Errorf("%s: %w", what, err))
		}
		return ops, nil
	})
}

// A journal piece is a list of operations: 'p' key value (a put) or 'd' key
// end (a delete of [key, end)), each field a uvarint length and its bytes.

func encodePiece(ops []clientv3.Op) []byte {
	var b []byte
	for _, op := range ops {
		kind, second := byte('p'), op.ValueBytes()
		if op.IsDelete() {
			kind, second = 'd', op.RangeBytes()
		}
		b = append(b, kind)
		b = appendField(b, op.KeyBytes())
		b = appendField(b, second)
	}
	return b
}

func appendField(b, f []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(f))), f...)
}

func decodePiece(b []byte) ([]clientv3.Op, error) {
	var ops []clientv3.Op
	for len(b) > 0 {
		kind := b[0]
		key, rest, ok := cutField(b[1:])
		if !ok {
			return nil, errors.New("truncated operation")
		}
		second, rest, ok := cutField(rest)
		if !ok {
			return nil, errors.New("truncated operation")
		}
		b = rest
		switch kind {
		case 'p':
			ops = append(ops, clientv3.OpPut(string(key), string(second)))
		case 'd':
			ops = append(ops, clientv3.OpDelete(string(key), clientv3.WithRange(string(second))))
		default:
			return nil, fmt.Errorf("operation kind %q", kind)
		}
	}
	return ops, nil
}

func cutField(b []byte) (field, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}
