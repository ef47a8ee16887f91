package engine

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestRun_DebeziumJSON_KeyChangeIsDeleteTombstoneCreate pins the key-change
// bug on the real bed: an UPDATE of a primary-key column (and, on a table
// without one, of its unique key) was one "u" under the new key, so the old
// key was never deleted on a compacted topic. Debezium writes a "d" and a
// tombstone under the old key, in the old key's partition, then a "c" under
// the new key in the new key's partition. Over 3 partitions, "10,x" and "k1"
// hash to partition 0, "10,y" to 1 and "k2" to 1 (docs/partitioning.md).
func TestRun_DebeziumJSON_KeyChangeIsDeleteTombstoneCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 3, policy: "pk_hash",
		sinkExtra: "    format: debezium-json\n    debezium: {tombstones: true}",
		ddl: []string{
			"CREATE TABLE $db.orders (a INT, b VARCHAR(8), v VARCHAR(8), PRIMARY KEY (a, b))",
			"CREATE TABLE $db.orders_uk (id INT NOT NULL, code VARCHAR(8) NOT NULL, UNIQUE KEY (code))",
		}})
	stop := h.start()
	exec(t, h.db,
		"INSERT INTO $db.orders VALUES (10, 'x', 'v')",
		"UPDATE $db.orders SET b = 'y' WHERE a = 10 AND b = 'x'",
		"UPDATE $db.orders SET v = 'w' WHERE a = 10",
		"INSERT INTO $db.orders_uk VALUES (1, 'k1')",
		"UPDATE $db.orders_uk SET code = 'k2' WHERE id = 1")
	msgs := testbed.ReadTopic(t, h.topic, 9, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	type record struct {
		part          int
		op            string
		before, after string
	}
	byKey := map[string][]record{}
	for i, m := range msgs {
		r := record{part: m.Partition, op: "tombstone"}
		if m.Value != nil {
			var v struct {
				Op            string
				Before, After json.RawMessage
			}
			if err := json.Unmarshal(m.Value, &v); err != nil {
				t.Fatalf("record %d: %v: %s", i, err, m.Value)
			}
			r.op, r.before, r.after = v.Op, string(v.Before), string(v.After)
		}
		byKey[string(m.Key)] = append(byKey[string(m.Key)], r)
	}
	for _, want := range []struct {
		key  string
		part int
		recs []record
	}{
		{`{"a":10,"b":"x"}`, 0, []record{
			{op: "c", before: "null", after: `{"a":10,"b":"x","v":"v"}`},
			{op: "d", before: `{"a":10,"b":"x","v":"v"}`, after: "null"},
			{op: "tombstone"}}},
		{`{"a":10,"b":"y"}`, 1, []record{
			{op: "c", before: "null", after: `{"a":10,"b":"y","v":"v"}`},
			{op: "u", before: `{"a":10,"b":"y","v":"v"}`, after: `{"a":10,"b":"y","v":"w"}`}}},
		{`{"code":"k1"}`, 0, []record{
			{op: "c", before: "null", after: `{"id":1,"code":"k1"}`},
			{op: "d", before: `{"id":1,"code":"k1"}`, after: "null"},
			{op: "tombstone"}}},
		{`{"code":"k2"}`, 1, []record{
			{op: "c", before: "null", after: `{"id":1,"code":"k2"}`}}},
	} {
		got := byKey[want.key]
		var ops []string
		for i, r := range got {
			ops = append(ops, r.op)
			if r.part != want.part {
				t.Errorf("key %s record %d (%s) in partition %d, want %d", want.key, i, r.op, r.part, want.part)
			}
			if i < len(want.recs) && (r.op != want.recs[i].op || r.before != want.recs[i].before || r.after != want.recs[i].after) {
				t.Errorf("key %s record %d = %+v, want %+v", want.key, i, r, want.recs[i])
			}
		}
		if len(got) != len(want.recs) {
			t.Errorf("key %s has records %s, want %d", want.key, strings.Join(ops, ","), len(want.recs))
		}
	}
	if len(byKey) != 4 {
		t.Errorf("keys = %d, want 4: %v", len(byKey), byKey)
	}
}
