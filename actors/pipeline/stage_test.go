package pipeline

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/topology"
)

func testPipeline(t *testing.T, yaml string) *topology.Pipeline {
	t.Helper()
	g, diags := topology.Parse("stage.yaml", []byte(yaml))
	if g == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	return g.Pipelines[0]
}

const stageTopology = `version: 1
sources:
  - name: db
    flavor: mariadb
    host: 127.0.0.1
    user: u
    password: p
    server_id: 9
    start: latest
    objects:
      tables:
        - pattern: shop.orders
          filter: "amount > 10"
          columns: {exclude: [secret]}
        - pattern: shop.audit
          topic: audit
routers:
  - {name: r, from: db, policy: pk_hash}
sinks:
  - name: k
    from: r
    brokers: [127.0.0.1:9092]
    topic: shop
`

var orders = &change.Table{Schema: "shop", Name: "orders", PrimaryKey: []int{0}, Columns: []change.Column{
	{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
	{Name: "secret", Type: change.TypeVarchar, ColumnType: "varchar(8)", Charset: "utf8mb4"},
	{Name: "amount", Type: change.TypeLong, ColumnType: "int(11)"},
}}

var audit = &change.Table{Schema: "shop", Name: "audit", PrimaryKey: []int{0}, Columns: []change.Column{
	{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
}}

func row(c change.Change) change.Change {
	c.Pos = change.Position{File: "b.000001", Pos: 100 + uint32(c.Seq)}
	c.Size = 64
	return c
}

func TestStage_Run_TransformsRoutesAndEncodes(t *testing.T) {
	st, err := NewStage(testPipeline(t, stageTopology), map[string]int{"shop": 4, "audit": 1}, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &change.Batch{Source: "db"}
	b.Add(row(change.Change{Seq: 1, Op: change.OpInsert, Table: orders, After: []any{int32(1), "s1", int32(50)}}))
	b.Add(row(change.Change{Seq: 2, Op: change.OpInsert, Table: orders, After: []any{int32(2), "s2", int32(5)}})) // filtered out
	b.Add(row(change.Change{Seq: 3, Op: change.OpInsert, Table: audit, After: []any{int32(9)}}))
	b.Add(row(change.Change{Seq: 4, Op: change.OpDDL, Table: orders, SQL: "ALTER TABLE orders ADD x INT", Schema: "shop"}))
	msgs, err := st.Run(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 (one filtered, DDL ignored by default)", len(msgs))
	}
	m := msgs[0]
	// "1".hashCode() = 49; 49 % 4 = 1 (docs/partitioning.md).
	if m.Topic != "shop" || m.Partition != 1 || m.Seq != 1 {
		t.Errorf("orders message %s/%d seq %d, want shop/1 seq 1", m.Topic, m.Partition, m.Seq)
	}
	var v struct {
		Data []map[string]*string `json:"data"`
	}
	if err := json.Unmarshal(m.Value, &v); err != nil {
		t.Fatal(err)
	}
	if _, leaked := v.Data[0]["secret"]; leaked || *v.Data[0]["amount"] != "50" {
		t.Errorf("projected row = %v, want no secret and amount 50", v.Data[0])
	}
	if msgs[1].Topic != "audit" || msgs[1].Partition != 0 {
		t.Errorf("audit message %s/%d, want audit/0", msgs[1].Topic, msgs[1].Partition)
	}
	headers := map[string]string{}
	for _, h := range m.Headers {
		headers[h.Key] = string(h.Value)
	}
	if headers["sluice.pos"] != "b.000001:101" || headers["sluice.seq"] != "1" {
		t.Errorf("headers = %v", headers)
	}
}

func TestStage_Run_MessagesOwnTheirBytes(t *testing.T) {
	st, err := NewStage(testPipeline(t, stageTopology), map[string]int{"shop": 4, "audit": 1}, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(from int) *change.Batch {
		b := &change.Batch{Source: "db"}
		for i := from; i < from+500; i++ {
			b.Add(row(change.Change{Seq: uint64(i), Op: change.OpInsert, Table: orders, After: []any{int32(i), strings.Repeat("x", i%7), int32(100 + i)}}))
		}
		return b
	}
	first, err := st.Run(mk(1), false)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := make([]string, len(first))
	for i, m := range first {
		snapshot[i] = string(m.Value)
	}
	// A second batch must not write over the first one's bytes (the sink
	// may still be sending them).
	if _, err := st.Run(mk(1000), false); err != nil {
		t.Fatal(err)
	}
	for i, m := range first {
		if string(m.Value) != snapshot[i] {
			t.Fatalf("message %d changed after the next batch", i)
		}
		if !strings.Contains(snapshot[i], `"id":"`+strconv.Itoa(i+1)+`"`) {
			t.Fatalf("message %d holds another row: %s", i, snapshot[i])
		}
	}
}

func TestStage_Run_SnapshotKeepsSchemaSyncDDL(t *testing.T) {
	st, err := NewStage(testPipeline(t, stageTopology), map[string]int{"shop": 4, "audit": 1}, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &change.Batch{Source: "db"}
	b.Add(change.Change{Seq: 1, Op: change.OpDDL, Table: orders, SQL: "CREATE TABLE orders (id INT PRIMARY KEY)", Schema: "shop", Size: 40})
	msgs, err := st.Run(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Value), `"isDdl":true`) {
		t.Fatalf("schema-sync DDL not written: %d messages", len(msgs))
	}
}

func TestStage_Run_UnknownTopicIsTerminal(t *testing.T) {
	st, err := NewStage(testPipeline(t, stageTopology), map[string]int{"audit": 1}, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &change.Batch{Source: "db"}
	b.Add(row(change.Change{Seq: 1, Op: change.OpInsert, Table: orders, After: []any{int32(1), "s", int32(50)}}))
	if _, err := st.Run(b, false); err == nil || !strings.Contains(err.Error(), `topic "shop"`) {
		t.Fatalf("err = %v, want an error naming the topic", err)
	}
}

// debeziumStage is stageTopology's pipeline writing debezium-json with
// tombstones.
func debeziumStage(t *testing.T) *Stage {
	t.Helper()
	yaml := strings.Replace(stageTopology, "    topic: shop\n", "    topic: shop\n    format: debezium-json\n    debezium: {tombstones: true}\n", 1)
	p := testPipeline(t, yaml)
	st, err := NewStage(p, map[string]int{"shop": 4, "audit": 1}, codecs.OptionsFor(p.Sink, p.Source))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStage_Run_DebeziumKeyChangeIsDeleteTombstoneCreate pins the key-change
// bug: an update of the primary key was one "u" under the new key, which
// left the old key alive on compacted topics. Debezium writes a "d" and a
// tombstone under the old key, in its partition, then a "c" under the new.
func TestStage_Run_DebeziumKeyChangeIsDeleteTombstoneCreate(t *testing.T) {
	st := debeziumStage(t)
	b := &change.Batch{Source: "db"}
	b.Add(row(change.Change{Seq: 1, Op: change.OpUpdate, Table: orders,
		Before: []any{int32(1), "s", int32(50)}, After: []any{int32(2), "s", int32(50)}}))
	b.Add(row(change.Change{Seq: 2, Op: change.OpUpdate, Table: orders,
		Before: []any{int32(2), "s", int32(50)}, After: []any{int32(2), "s", int32(60)}}))
	msgs, err := st.Run(b, false)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		key, op  string
		part     int32
		seq      uint64
		hasAfter bool
	}
	var got []rec
	for _, m := range msgs {
		r := rec{key: string(m.Key), part: m.Partition, seq: m.Seq, op: "tombstone"}
		if m.Value != nil {
			var v struct {
				Op     string          `json:"op"`
				Before json.RawMessage `json:"before"`
				After  json.RawMessage `json:"after"`
			}
			if err := json.Unmarshal(m.Value, &v); err != nil {
				t.Fatalf("%v: %s", err, m.Value)
			}
			r.op, r.hasAfter = v.Op, string(v.After) != "null"
			if (v.Op == "c") != (string(v.Before) == "null") {
				t.Errorf("%s record: before = %s", v.Op, v.Before)
			}
		}
		got = append(got, r)
	}
	// "1".hashCode() % 4 = 1, "2".hashCode() % 4 = 2 (docs/partitioning.md).
	want := []rec{
		{key: `{"id":1}`, op: "d", part: 1, seq: 1},
		{key: `{"id":1}`, op: "tombstone", part: 1, seq: 1},
		{key: `{"id":2}`, op: "c", part: 2, seq: 1, hasAfter: true},
		{key: `{"id":2}`, op: "u", part: 2, seq: 2, hasAfter: true},
	}
	if len(got) != len(want) {
		t.Fatalf("records = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestStage_Run_CanalKeyChangeIsOneUpdate: formats whose reference writes a
// key change as one UPDATE keep it one record, routed by the new row.
func TestStage_Run_CanalKeyChangeIsOneUpdate(t *testing.T) {
	st, err := NewStage(testPipeline(t, stageTopology), map[string]int{"shop": 4, "audit": 1}, codecs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := &change.Batch{Source: "db"}
	b.Add(row(change.Change{Seq: 1, Op: change.OpUpdate, Table: orders,
		Before: []any{int32(1), "s", int32(50)}, After: []any{int32(2), "s", int32(50)}}))
	msgs, err := st.Run(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Partition != 2 || !strings.Contains(string(msgs[0].Value), `"type":"UPDATE"`) {
		t.Fatalf("%d messages (%+v), want one UPDATE in the new key's partition 2", len(msgs), msgs)
	}
}

// TestStage_Run_KeyChangesAllocateNothingPerRow: splitting key changes
// allocates per batch (its messages, arena and headers), never per row.
func TestStage_Run_KeyChangesAllocateNothingPerRow(t *testing.T) {
	st := debeziumStage(t)
	batch := func(n int) *change.Batch {
		b := &change.Batch{Source: "db"}
		for i := range n {
			b.Add(row(change.Change{Seq: uint64(i + 1), Op: change.OpUpdate, Table: orders,
				Before: []any{int32(i), "s", int32(50)}, After: []any{int32(i + 1000), "s", int32(50)}}))
		}
		return b
	}
	allocs := func(n int) float64 {
		b := batch(n)
		if _, err := st.Run(b, false); err != nil { // sizes the arena
			t.Fatal(err)
		}
		return testing.AllocsPerRun(20, func() {
			if _, err := st.Run(b, false); err != nil {
				t.Fatal(err)
			}
		})
	}
	if one, many := allocs(1), allocs(200); many != one {
		t.Errorf("allocations per batch: %v for 1 key change, %v for 200: some are per row", one, many)
	}
}
