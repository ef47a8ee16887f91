package verify

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/segmentio/kafka-go"
)

// Audit is what AuditTopic finds in a topic's records beyond the replayed
// state: where partitions re-sent records, whether the re-sent copies equal
// the first ones, and whether each key's changes arrived in order and
// without a gap.
type Audit struct {
	// Records counts row records read (re-sent ones included).
	Records int
	// Resent counts records whose sequence was not above the highest one
	// already seen in their partition: re-sends after a restart.
	Resent int
	// Rewinds lists where a partition's sequence went back, in partition
	// then offset order.
	Rewinds []Rewind
	// Orphans counts keys whose first record is neither an INSERT nor a
	// snapshot record, and whose last record is not a DELETE: changes of
	// live rows whose insert is not in the topic. When the topic should hold
	// a table's whole history (its snapshot, or the binlog from before its
	// first row), any orphan is a lost insert.
	Orphans int
	// OrphanKeys names the first orphans ("db.table/key").
	OrphanKeys []string
	// DeletedBeforeRead counts keys whose history starts with an UPDATE or
	// DELETE and ends deleted: rows that existed when the snapshot started
	// and were deleted before their chunk was read. The snapshot cannot
	// see them, and the binlog replay from the snapshot's start position
	// brings their last changes and their delete: legitimate, not a loss
	// (see docs/snapshot.md).
	DeletedBeforeRead int
	// Problems lists broken guarantees: a re-sent record that differs from
	// its first copy, a key in two partitions, a change out of order or
	// missing between two others (see AuditTopic).
	Problems []string
}

// Rewind is one place where a partition's records start over from an
// older sequence.
type Rewind struct {
	Partition int
	Offset    int64  // of the first re-sent record
	From      uint64 // the highest sequence seen before it in the partition
	To        uint64 // the first re-sent sequence
}

// maxProblems bounds Audit.Problems so that a broken run stays readable.
const maxProblems = 50

type keyState struct {
	partition int
	op        string // the last binlog change: INSERT, UPDATE, DELETE; "" none yet
	counter   int64
}

// AuditTopic reads msgs (partition, then offset order) and checks, besides
// what Replay checks:
//
//   - re-sends: a change record whose sequence is not above its
//     partition's highest must carry the same rows as the first record with
//     that sequence (same table, type and values); a snapshot record whose
//     sequence was already seen in its partition is a chunk read again;
//   - partition affinity: every key of keyCols stays in one partition;
//   - per-key order without gaps, when counter names a column: for the
//     binlog changes of one key (snapshot records are not ordered against
//     them), an UPDATE's counter is the previous change's plus one, a
//     DELETE's equals the previous change's, and no change follows a
//     DELETE. Writers that add one to counter in every UPDATE of a row
//     (and never reuse a key) then show any lost, repeated or reordered
//     change.
//
// Tables not in keyCols are counted but not checked.
func AuditTopic(msgs []kafka.Message, keyCols map[string][]string, counter string) (*Audit, error) {
	a := &Audit{}
	maxSeq := map[int]uint64{}
	lastSeq := map[int]uint64{}
	first := map[int]map[uint64]uint64{} // partition → seq → digest of the rows
	keys := map[string]*keyState{}
	var orphans []string // keys whose first record is an UPDATE or DELETE
	problem := func(format string, args ...any) {
		if len(a.Problems) < maxProblems {
			a.Problems = append(a.Problems, fmt.Sprintf(format, args...))
		}
	}
	for _, m := range msgs {
		recs, err := DecodeCanal(m)
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			continue
		}
		a.Records += len(recs)
		seq, p := recs[0].Seq, m.Partition
		sum := digest(recs)
		if first[p] == nil {
			first[p] = map[uint64]uint64{}
		}
		if recs[0].Type == "INIT" {
			// A snapshot chunk numbers its rows from a block of its own:
			// sequences ascend within a chunk, not across the chunks that
			// shards read in parallel. A row read again (a chunk re-read
			// after a restart) may differ: it is a later state.
			if _, ok := first[p][seq]; ok {
				a.Resent += len(recs)
				continue
			}
			first[p][seq] = sum
			maxSeq[p] = max(maxSeq[p], seq)
		} else if last, ok := lastSeq[p]; ok && seq <= last {
			a.Rewinds = append(a.Rewinds, Rewind{Partition: p, Offset: m.Offset, From: maxSeq[p], To: seq})
		}
		if recs[0].Type != "INIT" {
			lastSeq[p] = seq
		}
		if seen, ok := maxSeq[p]; ok && seq <= seen && recs[0].Type != "INIT" {
			a.Resent += len(recs)
			if d, ok := first[p][seq]; ok && d != sum {
				problem("partition %d offset %d: re-sent seq %d differs from its first copy", p, m.Offset, seq)
			}
			continue
		}
		maxSeq[p] = max(maxSeq[p], seq)
		first[p][seq] = sum
		for _, r := range recs {
			cols, ok := keyCols[r.Table]
			if !ok {
				continue
			}
			id := r.Table + "/" + Key(r.Row, cols)
			if r.Type == "UPDATE" {
				if before := r.Table + "/" + Key(merge(r.Row, r.Old), cols); before != id {
					// A key change: the old key ends here, the new one starts.
					keys[before] = &keyState{partition: p, op: "DELETE"}
					keys[id] = &keyState{partition: p}
				}
			}
			ks := keys[id]
			if ks == nil {
				ks = &keyState{partition: p}
				keys[id] = ks
				if r.Type != "INSERT" && r.Type != "INIT" {
					orphans = append(orphans, id)
				}
			}
			if ks.partition != p {
				problem("key %s in partitions %d and %d (seq %d)", id, ks.partition, p, r.Seq)
			}
			if counter == "" || r.Type == "INIT" {
				if r.Type != "INIT" {
					ks.op = r.Type
				}
				continue
			}
			v := r.Row[counter]
			if v == nil {
				continue
			}
			n, err := strconv.ParseInt(*v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("partition %d offset %d: counter %s = %q is not an integer", p, m.Offset, counter, *v)
			}
			switch {
			case ks.op == "DELETE":
				problem("key %s: %s (seq %d) after its DELETE", id, r.Type, r.Seq)
			case ks.op == "":
			case r.Type == "UPDATE" && n != ks.counter+1:
				problem("key %s: UPDATE (seq %d) sets %s=%d after %d: a change is missing or out of order", id, r.Seq, counter, n, ks.counter)
			case r.Type == "DELETE" && n != ks.counter:
				problem("key %s: DELETE (seq %d) of %s=%d after %d: a change is missing or out of order", id, r.Seq, counter, n, ks.counter)
			case r.Type == "INSERT":
				problem("key %s: INSERT (seq %d) of a key that exists", id, r.Seq)
			}
			ks.op, ks.counter = r.Type, n
		}
	}
	for _, id := range orphans {
		if keys[id].op == "DELETE" {
			a.DeletedBeforeRead++
			continue
		}
		a.Orphans++
		if len(a.OrphanKeys) < 10 {
			a.OrphanKeys = append(a.OrphanKeys, id)
		}
	}
	return a, nil
}

// digest hashes the rows of one message: table, type and every value.
func digest(recs []Record) uint64 {
	h := fnv.New64a()
	for _, r := range recs {
		fmt.Fprintf(h, "%s\x00%s\x00", r.Table, r.Type)
		cols := make([]string, 0, len(r.Row))
		for c := range r.Row {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			h.Write([]byte(c))
			if v := r.Row[c]; v == nil {
				h.Write([]byte{0xff})
			} else {
				h.Write([]byte{0})
				h.Write([]byte(*v))
			}
			h.Write([]byte{0})
		}
	}
	return h.Sum64()
}
