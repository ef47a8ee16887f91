package verify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/segmentio/kafka-go"
)

// Row maps column names to value text; nil is SQL NULL.
type Row map[string]*string

// Record is one decoded row record.
type Record struct {
	Partition int
	Seq       uint64
	Table     string // db.table
	Type      string // INSERT, UPDATE, DELETE, INIT
	Row       Row    // the row's image after the change (before, for DELETE)
	// Old holds the before values of the columns an UPDATE changed (Canal's
	// "old"; the dts flavour repeats every column).
	Old Row
}

type canalMessage struct {
	Database string               `json:"database"`
	Table    string               `json:"table"`
	Type     string               `json:"type"`
	IsDdl    bool                 `json:"isDdl"`
	Data     []map[string]*string `json:"data"`
	Old      []map[string]*string `json:"old"`
}

// DecodeCanal decodes one Canal JSON message (either flavour) into its rows.
// DDL records decode to no rows.
func DecodeCanal(m kafka.Message) ([]Record, error) {
	var cm canalMessage
	if err := json.Unmarshal(m.Value, &cm); err != nil {
		return nil, fmt.Errorf("partition %d offset %d: not Canal JSON: %w", m.Partition, m.Offset, err)
	}
	if cm.IsDdl {
		return nil, nil
	}
	seq, err := header(m, "sluice.seq")
	if err != nil {
		return nil, err
	}
	recs := make([]Record, 0, len(cm.Data))
	for i, d := range cm.Data {
		r := Record{Partition: m.Partition, Seq: seq, Table: cm.Database + "." + cm.Table, Type: cm.Type, Row: d}
		if i < len(cm.Old) {
			r.Old = cm.Old[i]
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func header(m kafka.Message, key string) (uint64, error) {
	for _, h := range m.Headers {
		if h.Key == key {
			return strconv.ParseUint(string(h.Value), 10, 64)
		}
	}
	return 0, fmt.Errorf("partition %d offset %d: no %s header", m.Partition, m.Offset, key)
}

// State is the result of a replay.
type State struct {
	// Tables maps db.table → key → row.
	Tables map[string]map[string]Row
	// Applied and Duplicates count records applied and dropped as re-sends.
	Applied, Duplicates int
	// Problems lists broken guarantees (a key in two partitions).
	Problems []string
}

// Replay applies Canal JSON messages (in partition, then offset order, as
// ReadAll returns them) as upserts by the key columns of each table.
func Replay(msgs []kafka.Message, keyCols map[string][]string) (*State, error) {
	return ReplayWith(msgs, keyCols, DecodeCanal)
}

// ReplayWith is Replay for records that decode decodes.
func ReplayWith(msgs []kafka.Message, keyCols map[string][]string, decode Decoder) (*State, error) {
	r := NewReplayer(keyCols, decode)
	for _, m := range msgs {
		if err := r.Apply(m); err != nil {
			return nil, err
		}
	}
	return r.State, nil
}

// Replayer applies records one at a time, so that a topic need not be held
// in memory: only the replayed rows are. Records of one partition must come
// in offset order; partitions may interleave.
type Replayer struct {
	State *State
	// ApplyResends applies re-sent records instead of dropping them (they
	// are still counted as Duplicates). A re-send repeats a partition's
	// changes in order, so applying it leaves the same rows; it is the
	// safe choice when snapshot records cannot be told from binlog
	// inserts (the canal flavour writes both as INSERT, and snapshot
	// chunks number their rows from blocks of their own).
	ApplyResends bool
	keyCols      map[string][]string
	decode       Decoder
	maxSeq       map[int]uint64
	atMax        map[int]map[string]bool // partition → table/key/type applied at maxSeq
	keyPart      map[string]int
	// movedAt holds, for each key an UPDATE moved away from, that UPDATE's
	// sequence: the moved key's earlier records may sit in another
	// partition and be read after it (Canal JSON and DTS Avro place the
	// UPDATE by its new key), and must not bring the old key back.
	movedAt map[string]uint64
}

// NewReplayer returns a replayer over the tables of keyCols (db.table →
// key columns).
func NewReplayer(keyCols map[string][]string, decode Decoder) *Replayer {
	return &Replayer{State: &State{Tables: map[string]map[string]Row{}}, keyCols: keyCols, decode: decode,
		maxSeq: map[int]uint64{}, atMax: map[int]map[string]bool{}, keyPart: map[string]int{},
		movedAt: map[string]uint64{}}
}

// Apply decodes m and applies its rows. A record whose sequence is below
// its partition's highest, or equal to it with a key and type already
// applied at that sequence, is a re-send, counted and not applied (one
// change split into a delete and an insert, as Debezium writes a key
// change, shares one sequence).
func (rp *Replayer) Apply(m kafka.Message) error {
	recs, err := rp.decode(m)
	if err != nil {
		return err
	}
	rp.ApplyDecoded(m.Partition, recs)
	return nil
}

// ApplyDecoded applies the records decoded from one message of partition.
func (rp *Replayer) ApplyDecoded(partition int, recs []Record) {
	st := rp.State
	for _, r := range recs {
		cols, ok := rp.keyCols[r.Table]
		if !ok {
			if len(st.Problems) < maxProblems {
				st.Problems = append(st.Problems, fmt.Sprintf("record of unselected table %s (seq %d)", r.Table, r.Seq))
			}
			continue
		}
		k := Key(r.Row, cols)
		id := r.Table + "/" + k
		// Snapshot rows are state read at or after the snapshot point and
		// always precede the binlog's records: applying one again is
		// harmless, and their sequence numbers ascend within a chunk only.
		if r.Type != "INIT" {
			p := partition
			if r.Seq < rp.maxSeq[p] || r.Seq == rp.maxSeq[p] && rp.atMax[p][id+"/"+r.Type] {
				st.Duplicates++
				if !rp.ApplyResends {
					continue
				}
			}
			if r.Seq > rp.maxSeq[p] || rp.atMax[p] == nil {
				rp.maxSeq[p], rp.atMax[p] = r.Seq, map[string]bool{}
			}
			rp.atMax[p][id+"/"+r.Type] = true
		}
		if moved, ok := rp.movedAt[id]; ok {
			if r.Seq < moved || r.Type == "INIT" {
				continue // a record from before the key moved away
			}
			delete(rp.movedAt, id)
		}
		if p, seen := rp.keyPart[id]; seen && p != r.Partition && len(st.Problems) < maxProblems {
			st.Problems = append(st.Problems, fmt.Sprintf("key %s in partitions %d and %d", id, p, r.Partition))
		}
		rp.keyPart[id] = r.Partition
		rows := st.Tables[r.Table]
		if rows == nil {
			rows = map[string]Row{}
			st.Tables[r.Table] = rows
		}
		switch r.Type {
		case "DELETE":
			delete(rows, k)
		case "UPDATE":
			if before := Key(merge(r.Row, r.Old), cols); before != k {
				delete(rows, before) // the key itself changed
				rp.movedAt[r.Table+"/"+before] = r.Seq
			}
			rows[k] = r.Row
		default:
			rows[k] = r.Row
		}
		st.Applied++
	}
}

// merge returns row with the columns of old overriding it: an UPDATE's
// before image.
func merge(row, old Row) Row {
	out := make(Row, len(row))
	for c, v := range row {
		out[c] = v
	}
	for c, v := range old {
		out[c] = v
	}
	return out
}

// Key renders the key columns of row as "v1|v2".
func Key(row Row, cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if v := row[c]; v != nil {
			parts[i] = *v
		} else {
			parts[i] = "NULL"
		}
	}
	return strings.Join(parts, "|")
}

// SourceRows reads a whole table through conn (text protocol), keyed like
// Replay's output.
func SourceRows(conn *client.Conn, table string, keyCols []string) (map[string]Row, error) {
	r, err := conn.Execute("SELECT * FROM " + table)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	rows := make(map[string]Row, r.RowNumber())
	for i := range r.RowNumber() {
		row := Row{}
		for name, j := range r.FieldNames {
			if v, _ := r.IsNull(i, j); v {
				row[name] = nil
				continue
			}
			s, err := r.GetString(i, j)
			if err != nil {
				return nil, err
			}
			row[name] = &s
		}
		rows[Key(row, keyCols)] = row
	}
	return rows, nil
}

// Diff lists the differences between the source rows (want) and the
// replayed rows (got), at most max of them.
func Diff(want, got map[string]Row, max int) []string {
	var out []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			out = append(out, "missing row "+k)
		} else if d := diffRow(want[k], g); d != "" {
			out = append(out, "row "+k+": "+d)
		}
		if len(out) >= max {
			return out
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "extra row "+k+" (deleted or never in the source)")
			if len(out) >= max {
				return out
			}
		}
	}
	return out
}

func diffRow(want, got Row) string {
	var d []string
	for c := range want {
		if x := diffValue(&Column{Name: c, Kind: KindText}, want, got); x != "" {
			d = append(d, x)
		}
	}
	sort.Strings(d)
	return strings.Join(d, "; ")
}

func show(v *string) string {
	if v == nil {
		return "NULL"
	}
	return strconv.Quote(*v)
}
