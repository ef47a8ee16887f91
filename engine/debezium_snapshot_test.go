package engine

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestRun_DebeziumJSON_SnapshotRecordsCarryReadTimeAndPosition pins the
// snapshot's source fields on the real bed: snapshot rows had source.ts_ms
// 0 (Debezium: the time the row was read), and the schema-sync DDL had
// snapshot "false", ts_ms 0, an empty file and pos 0 (Debezium: "true" and
// the snapshot's position).
func TestRun_DebeziumJSON_SnapshotRecordsCarryReadTimeAndPosition(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 1, policy: "pk_hash", start: "initial",
		// The schema-sync DDL goes to a topic named for the source unless
		// ddl_topic says otherwise: here, the table's topic, to read both.
		sinkExtra: "    format: debezium-json\n    ddl_topic: $topic",
		ddl:       []string{"CREATE TABLE $db.orders (id INT PRIMARY KEY)"}})
	exec(t, h.db, "INSERT INTO $db.orders VALUES (1)")
	before := time.Now().Add(-time.Second).UnixMilli() // the times have 1 s resolution
	stop := h.start()
	msgs := testbed.ReadTopic(t, h.topic, 2, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	var sawDDL, sawRow bool
	for i, m := range msgs {
		var v struct {
			Op     string
			DDL    string
			Source struct {
				TsMs     int64 `json:"ts_ms"`
				Snapshot string
				File     string
				Pos      int64
				ServerID int64 `json:"server_id"`
			}
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, m.Value)
		}
		s := v.Source
		if s.TsMs < before || s.TsMs > after || s.Snapshot != "true" || s.File == "" || s.Pos < 4 || s.ServerID != 0 {
			t.Errorf("record %d (op %q, ddl %q): source %+v, want snapshot \"true\", ts_ms in [%d, %d], a binlog position, server_id 0",
				i, v.Op, v.DDL, s, before, after)
		}
		sawDDL = sawDDL || (v.Op == "" && v.DDL != "")
		sawRow = sawRow || v.Op == "r"
	}
	if !sawDDL || !sawRow {
		t.Errorf("records %d: schema-sync DDL %v, snapshot row %v; want both", len(msgs), sawDDL, sawRow)
	}
}
