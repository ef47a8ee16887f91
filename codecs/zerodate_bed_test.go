package codecs_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// TestEncode_Bed_ZeroDates writes zero dates and the zero YEAR the server
// stores under an empty sql_mode, in NOT NULL columns (two of them in the
// key) and nullable ones, and encodes the binlog insert and the snapshot
// read of the row. debezium-json writes the epoch for NOT NULL columns, in
// the key too, and null for nullable ones, as Debezium does (YEAR 0 is a
// year, 0, in both); canal-json
// writes the zero YEAR as "0000", as MySQL prints it and Canal writes it.
func TestEncode_Bed_ZeroDates(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, fmt.Sprintf("CREATE TABLE `%s`.zd (d DATE NOT NULL, y YEAR NOT NULL, "+
		"dt DATETIME(3) NOT NULL, ts TIMESTAMP NOT NULL DEFAULT 0, dn DATE NULL, dtn DATETIME NULL, yn YEAR NULL, "+
		"PRIMARY KEY (d, y))", db))
	changes := bedChanges(t, db, "zd", 1,
		"SET SESSION sql_mode = ''",
		fmt.Sprintf("INSERT INTO `%s`.zd VALUES ('0000-00-00', 0, '0000-00-00 00:00:00', 0, '0000-00-00', '0000-00-00 00:00:00', 0)", db))
	if len(changes) != 2 {
		t.Fatalf("%d changes, want the insert and the snapshot row", len(changes))
	}

	debezium, err := codecs.New(topology.FormatDebeziumJSON, codecs.Options{SourceName: "bed", Now: codectest.Now})
	if err != nil {
		t.Fatal(err)
	}
	canal, err := codecs.New(topology.FormatCanalJSON, codecs.Options{CanalFlavor: "canal", Now: codectest.Now})
	if err != nil {
		t.Fatal(err)
	}
	wantRow := map[string]any{"d": 0.0, "y": 0.0, "dt": 0.0, "ts": "1970-01-01T00:00:00Z", "dn": nil, "dtn": nil, "yn": 0.0}
	wantKey := map[string]any{"d": 0.0, "y": 0.0}
	for i := range changes {
		c := &changes[i]
		var rec codecs.Record
		if err := debezium.Encode(c, &rec); err != nil {
			t.Fatalf("%s: debezium-json: %v", c.Op, err)
		}
		var key map[string]any
		var value struct{ After map[string]any }
		if err := json.Unmarshal(rec.Key, &key); err != nil {
			t.Fatalf("%s: key %s: %v", c.Op, rec.Key, err)
		}
		if err := json.Unmarshal(rec.Value, &value); err != nil {
			t.Fatalf("%s: value %s: %v", c.Op, rec.Value, err)
		}
		if fmt.Sprint(key) != fmt.Sprint(wantKey) {
			t.Errorf("%s: debezium-json key %s, want %v", c.Op, rec.Key, wantKey)
		}
		if fmt.Sprint(value.After) != fmt.Sprint(wantRow) {
			t.Errorf("%s: debezium-json after %v, want %v", c.Op, value.After, wantRow)
		}

		rec = codecs.Record{}
		if err := canal.Encode(c, &rec); err != nil {
			t.Fatalf("%s: canal-json: %v", c.Op, err)
		}
		var msg struct{ Data []map[string]*string }
		if err := json.Unmarshal(rec.Value, &msg); err != nil || len(msg.Data) != 1 {
			t.Fatalf("%s: canal-json %s: %v", c.Op, rec.Value, err)
		}
		if y := msg.Data[0]["y"]; y == nil || *y != "0000" {
			t.Errorf("%s: canal-json y %v, want \"0000\"", c.Op, y)
		}
		if yn := msg.Data[0]["yn"]; yn == nil || *yn != "0000" {
			t.Errorf("%s: canal-json yn %v, want \"0000\"", c.Op, yn)
		}
		if c.Op != change.OpInsert && c.Op != change.OpSnapshot {
			t.Errorf("unexpected %s", c.Op)
		}
	}
}
