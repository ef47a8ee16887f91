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

// Replay applies messages (in partition, then offset order, as
// testbed.ReadTopic returns them) as upserts by the key columns of each
// table.
func Replay(msgs []kafka.Message, keyCols map[string][]string) (*State, error) {
	st := &State{Tables: map[string]map[string]Row{}}
	maxSeq := map[int]uint64{}
	keyPart := map[string]int{}
	for _, m := range msgs {
		recs, err := DecodeCanal(m)
		if err != nil {
			return nil, err
		}
		// Snapshot rows are state read at or after the snapshot point and
		// always precede the binlog's records: applying one again is
		// harmless, and their sequence numbers ascend within a chunk only.
		if len(recs) > 0 && recs[0].Type != "INIT" && recs[0].Seq <= maxSeq[m.Partition] {
			st.Duplicates += len(recs)
			continue
		}
		for _, r := range recs {
			cols, ok := keyCols[r.Table]
			if !ok {
				st.Problems = append(st.Problems, fmt.Sprintf("record of unselected table %s (seq %d)", r.Table, r.Seq))
				continue
			}
			k := Key(r.Row, cols)
			id := r.Table + "/" + k
			if p, seen := keyPart[id]; seen && p != r.Partition {
				st.Problems = append(st.Problems, fmt.Sprintf("key %s in partitions %d and %d", id, p, r.Partition))
			}
			keyPart[id] = r.Partition
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
				}
				rows[k] = r.Row
			default:
				rows[k] = r.Row
			}
			st.Applied++
			maxSeq[m.Partition] = max(maxSeq[m.Partition], r.Seq)
		}
	}
	return st, nil
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
	for c, w := range want {
		g, ok := got[c]
		switch {
		case !ok:
			d = append(d, c+" missing")
		case (w == nil) != (g == nil):
			d = append(d, fmt.Sprintf("%s = %s, want %s", c, show(g), show(w)))
		case w != nil && *w != *g:
			d = append(d, fmt.Sprintf("%s = %s, want %s", c, show(g), show(w)))
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
