package codecs_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// realTypesDDL has a column of every type family the formats render.
const realTypesDDL = `CREATE TABLE %s.all_types (
  id BIGINT UNSIGNED PRIMARY KEY,
  c_tiny TINYINT, c_tiny_u TINYINT UNSIGNED, c_small SMALLINT, c_medium MEDIUMINT UNSIGNED,
  c_int INT, c_big BIGINT, c_big_u BIGINT UNSIGNED,
  c_dec DECIMAL(65,30), c_dec2 DECIMAL(10,2), c_float FLOAT, c_double DOUBLE,
  c_bit1 BIT(1), c_bit64 BIT(64),
  c_date DATE, c_time TIME(6), c_time0 TIME, c_dt DATETIME, c_dt6 DATETIME(6), c_ts3 TIMESTAMP(3) NULL, c_year YEAR,
  c_char CHAR(4), c_varchar VARCHAR(32), c_latin1 VARCHAR(16) CHARACTER SET latin1, c_text TEXT,
  c_binary BINARY(4), c_varbinary VARBINARY(16), c_blob BLOB,
  c_json JSON, c_enum ENUM('small','large'), c_set SET('a','b','c'),
  c_geo POINT
)`

// The rows: extremes, then NULLs in every nullable column.
var realTypesRows = []string{
	`(18446744073709551615, -128, 255, -32768, 16777215, -2147483648, -9223372036854775808, 18446744073709551615,
	  '-12345678901234567890123456789012345.123456789012345678901234567890', 12.50, 1.5, 2.25,
	  b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
	  '2024-02-29', '-838:59:59.000000', '12:34:56', '9999-12-31 23:59:59', '2024-05-06 07:08:09.654321', '2038-01-19 03:14:07.999', 2155,
	  'ab', 'héllo wörld ✓', 'café', 'some text',
	  'ab', x'00ff10', x'000102', '{"k": [1, "x", null]}', 'large', 'a,c',
	  ST_GeomFromText('POINT(1 2)'))`,
	`(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
}

// TestEncode_Golden_RealBinlogEvents encodes changes read from the real
// MariaDB — binlog inserts, an update, a delete, and the snapshot read of the
// same rows — with every format, and compares the records with golden files
// (testdata/real_*.golden; -update rewrites them, to be reviewed by hand).
// Positions and times are pinned so that the files are stable.
func TestEncode_Golden_RealBinlogEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, fmt.Sprintf(realTypesDDL, "`"+db+"`"))
	changes := bedChanges(t, db, "all_types", 4,
		fmt.Sprintf("INSERT INTO `%s`.all_types VALUES %s", db, strings.Join(realTypesRows, ",")),
		fmt.Sprintf("UPDATE `%s`.all_types SET c_varchar = 'changed', c_enum = 'small', c_dec2 = -0.05 WHERE id = 18446744073709551615", db),
		fmt.Sprintf("DELETE FROM `%s`.all_types WHERE id = 1", db))
	if len(changes) != 5 {
		t.Fatalf("%d changes with the snapshot row, want 2 inserts, 1 update, 1 delete and the snapshot row", len(changes))
	}
	// The canal flavour's gtid: binlog changes carry the GTID set executed
	// with their transaction (Canal's FlatMessage gtid): their own GTID in
	// their domain, and every domain the server has; snapshot rows none.
	binlogPos, err := testbed.AdminExec(t, "SELECT @@global.gtid_binlog_pos")[0].GetString(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	domains := map[string]bool{}
	for _, g := range strings.Split(binlogPos, ",") {
		domains[strings.SplitN(g, "-", 2)[0]] = true
	}
	for i, c := range changes {
		if c.Op == change.OpSnapshot {
			if c.GTIDSet != "" {
				t.Errorf("snapshot row %d: GTID set %q, want none", i, c.GTIDSet)
			}
			continue
		}
		elems := strings.Split(c.GTIDSet, ",")
		if c.Pos.GTID == "" || !slices.Contains(elems, c.Pos.GTID) || len(elems) != len(domains) {
			t.Errorf("change %d (%s, GTID %q): GTID set %q, want its GTID in it and the server's domains (%s)", i, c.Op, c.Pos.GTID, c.GTIDSet, binlogPos)
		}
	}
	// The canal flavour writes that set as the gtid key, as Canal does in GTID
	// mode ("" for snapshot rows, which Canal's stream does not have).
	canal, err := codecs.New(topology.FormatCanalJSON, codecs.Options{CanalFlavor: "canal", Now: codectest.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range changes {
		var rec codecs.Record
		if err := canal.Encode(&changes[i], &rec); err != nil {
			t.Fatal(err)
		}
		var msg struct {
			GTID *string `json:"gtid"`
		}
		if err := json.Unmarshal(rec.Value, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.GTID == nil || *msg.GTID != changes[i].GTIDSet {
			t.Errorf("canal flavour, change %d (%s): gtid %v, want %q", i, changes[i].Op, msg.GTID, changes[i].GTIDSet)
		}
	}
	if changes[0].GTIDSet != changes[1].GTIDSet || changes[0].Op != change.OpInsert || changes[1].Op != change.OpInsert {
		t.Errorf("the two rows of one INSERT carry GTID sets %q and %q", changes[0].GTIDSet, changes[1].GTIDSet)
	}
	// Pin what differs from run to run: the database name, positions, times.
	tables := map[*change.Table]*change.Table{}
	for i := range changes {
		c := &changes[i]
		pinned, ok := tables[c.Table]
		if !ok {
			cp := *c.Table
			cp.Schema = "shop"
			pinned = &cp
			tables[c.Table] = pinned
		}
		c.Table, c.Seq = pinned, uint64(i+1)
		if (c.ServerID == 0) != (c.Op == change.OpSnapshot) {
			t.Fatalf("change %d (%s) has server id %d: binlog changes carry the event header's, snapshot rows 0", i, c.Op, c.ServerID)
		}
		if c.ServerID != 0 {
			c.ServerID = 1
		}
		if c.CommitTime == 0 {
			t.Fatalf("change %d (%s) has no time: binlog changes carry the commit time, snapshot rows the read time", i, c.Op)
		}
		c.CommitTime = 1_700_000_000
		c.Pos = change.Position{File: "mariadb-bin.000001", Pos: uint32(1000 + 100*i), GTID: "0-1-42"}
		if c.GTIDSet != "" {
			c.GTIDSet = "0-1-42"
		}
		c.Topic = "shop"
	}

	for _, f := range []struct {
		name   string
		format topology.Format
		opts   codecs.Options
		binary bool
	}{
		{"canal_dts", topology.FormatCanalJSON, codecs.Options{CanalFlavor: "dts"}, false},
		{"canal_canal", topology.FormatCanalJSON, codecs.Options{CanalFlavor: "canal"}, false},
		{"debezium", topology.FormatDebeziumJSON, codecs.Options{SourceName: "bed", Tombstones: true}, false},
		{"dts_avro", topology.FormatDTSAvro, codecs.Options{}, true},
	} {
		t.Run(f.name, func(t *testing.T) {
			f.opts.Now = codectest.Now
			enc, err := codecs.New(f.format, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			for i := range changes {
				var rec codecs.Record
				if err := enc.Encode(&changes[i], &rec); err != nil {
					t.Fatalf("change %d (%s): %v", i, changes[i].Op, err)
				}
				fmt.Fprintf(&out, "# %s\nkey: %s\n", changes[i].Op, rec.Key)
				if f.binary {
					fmt.Fprintf(&out, "value:\n%s", hex.Dump(rec.Value))
				} else {
					fmt.Fprintf(&out, "value: %s\n", rec.Value)
				}
			}
			codectest.Golden(t, "real_"+f.name+".golden", []byte(out.String()))
		})
	}
}

// bedChanges runs stmts on the bed and returns the n row changes they wrote
// to the binlog of db.table, then the snapshot read of the table's rows.
func bedChanges(t *testing.T, db, table string, n int, stmts ...string) []change.Change {
	t.Helper()
	pos := testbed.BinlogPosition(t)
	testbed.AdminExec(t, stmts...)

	src := testbed.Source(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := binlogreader.Open(ctx, binlogreader.Config{Source: src,
		Select: func(d, tb string) bool { return d == db && tb == table }},
		binlogreader.Resume{Pos: change.Position{File: pos.Name, Pos: pos.Pos}, NextSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	var changes []change.Change
	for len(changes) < n && ctx.Err() == nil {
		b, err := stream.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range b.Changes {
			// Other tests' DDL about users on the shared server passes
			// every selection: keep only this table's rows.
			if c.Op != change.OpDDL {
				changes = append(changes, c)
			}
		}
	}
	if len(changes) != n {
		t.Fatalf("binlog gave %d row changes, want %d", len(changes), n)
	}

	conn, err := sourcedb.Dial(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tbl, err := sourcedb.Describe(ctx, conn, db, table)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := snapshot.ReadChunk(ctx, conn, tbl, snapshot.Chunk{}, func(b *change.Batch) error {
		changes = append(changes, b.Changes...)
		return nil
	}, 1<<20, nil); err != nil {
		t.Fatal(err)
	}
	return changes
}
