package verify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
	"github.com/sluicecdc/sluice/verify"
)

// typesDDL is a table with a column of each kind the comparison reduces
// differently, and a second one with a composite key.
var typesDDL = []string{
	"CREATE TABLE `$db`.t1 (id INT PRIMARY KEY, name VARCHAR(40), l VARCHAR(20) CHARACTER SET latin1, " +
		"g VARCHAR(20) CHARACTER SET gbk, amount DECIMAL(12,3), f FLOAT, d DOUBLE, dt DATETIME(3), ts TIMESTAMP(6) NULL, " +
		"day DATE, tm TIME(2), y YEAR, b VARBINARY(16), bl BLOB, e ENUM('small','large'), s SET('a','b','c'), " +
		"bits BIT(5), flag BIT(1), j JSON, txt TEXT, n INT NULL)",
	"CREATE TABLE `$db`.t2 (a INT, k VARCHAR(10), v BIGINT UNSIGNED, PRIMARY KEY (a, k))",
}

var logSink io.Writer = os.Stderr

func t1Row(id int) string {
	return fmt.Sprintf("(%d, 'héllo %d 😀', 'café €%d', '你好%d', %d.125, %d.5, %d.25e10, '2024-02-29 12:34:56.%03d', "+
		"'2038-01-19 03:14:07.%06d', '1999-12-31', '-12:34:56.%02d', %d, X'00FF%02X', X'CAFE%02X', '%s', 'a,c', b'10101', b'1', "+
		"'{\"k\": [%d, true]}', 'text %d', NULL)",
		id, id, id, id, id, id, id, id%1000, id, id%100, 1990+id%100, id%256, id%256, []string{"small", "large"}[id%2], id, id)
}

func t2Row(a int) string {
	return fmt.Sprintf("(%d, 'k%d', %d)", a, a, uint64(18446744073709551615)-uint64(a))
}

// runTask streams db.t* to a new topic in the given sink format until stop.
func runTask(t *testing.T, db, sinkYAML string) (dag *topology.DAG, stop func()) {
	t.Helper()
	topic := testbed.NewTopic(t, 3)
	cfg := testbed.MySQL(t)
	host, port, _ := strings.Cut(cfg.Addr, ":")
	src := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %s
  checkpoint_interval: 100ms
  http_addr: %s
sources:
  - name: bed
    flavor: mariadb
    host: %s
    port: %s
    user: %s
    password: %s
    server_id: %d
    start: initial
    objects:
      tables: ["%s.t*"]
routers:
  - name: r
    from: bed
    policy: pk_hash
sinks:
  - name: k
    from: r
    brokers: [%s]
    topic: %s
    linger: 2ms
%s
`, t.TempDir(), freeAddr(t), host, port, cfg.User, cfg.Password, testbed.ServerID(), db, testbed.Kafka(t)[0], topic, sinkYAML)
	dag, diags := topology.Parse("verify.yaml", []byte(src))
	if dag == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- engine.Run(ctx, dag, engine.Options{Task: "verify-test", Logger: slog.New(slog.NewTextHandler(logSink, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	}()
	return dag, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("engine: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("engine did not stop within 60s")
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitClean runs verify until both tables are clean and t1 has rows rows.
func waitClean(t *testing.T, dag *topology.DAG, opts verify.TaskOptions, rows int) *verify.Report {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		rep, err := verify.Task(context.Background(), dag, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Clean() && len(rep.Tables) == 2 && rep.Tables[0].SourceRows == rows {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("the topic never verified clean with %d rows in t1:\n%s", rows, rep)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// TestTask_EveryFormat runs a task in each format over a snapshot and
// binlog changes (a key change among them), checks that verify finds the
// topic equal to the tables, then changes the tables behind the task's
// back (sql_log_bin=0) and checks that verify names exactly the missing,
// the extra and the differing row.
func TestTask_EveryFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, tc := range []struct{ name, sink string }{
		{"canal-json/dts", "    format: canal-json"},
		{"canal-json/canal", "    format: canal-json\n    canal_flavor: canal"},
		{"debezium-json", "    format: debezium-json\n    debezium: {schemas: true, tombstones: true}"},
		{"debezium-json/string", "    format: debezium-json\n    debezium: {tombstones: false, decimal_handling: string, bigint_unsigned_handling: precise}"},
		{"dts-avro", "    format: dts-avro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testbed.NewDatabase(t)
			var stmts []string
			for _, d := range typesDDL {
				stmts = append(stmts, strings.ReplaceAll(d, "$db", db))
			}
			var r1, r2 []string
			for i := 1; i <= 30; i++ {
				r1 = append(r1, t1Row(i))
			}
			for i := 1; i <= 12; i++ {
				r2 = append(r2, t2Row(i))
			}
			stmts = append(stmts, "INSERT INTO `"+db+"`.t1 VALUES "+strings.Join(r1, ", "),
				"INSERT INTO `"+db+"`.t2 VALUES "+strings.Join(r2, ", "))
			testbed.AdminExec(t, stmts...)
			dag, stop := runTask(t, db, tc.sink)
			stopped := false
			defer func() {
				if !stopped {
					stop()
				}
			}()
			opts := verify.TaskOptions{Options: verify.Options{ChunkSize: 8}}
			waitClean(t, dag, opts, 30) // the snapshot
			var live []string
			for i := 31; i <= 40; i++ {
				live = append(live, "INSERT INTO `"+db+"`.t1 VALUES "+t1Row(i))
			}
			testbed.AdminExec(t, live...)
			testbed.AdminExec(t,
				"UPDATE `"+db+"`.t1 SET name = 'updated', amount = -1.5, f = 0.1, d = 1e-5, ts = NULL, n = 7 WHERE id IN (3, 33)",
				"UPDATE `"+db+"`.t1 SET id = 105 WHERE id = 5", // the key changes
				"DELETE FROM `"+db+"`.t1 WHERE id IN (4, 34)",
				"UPDATE `"+db+"`.t2 SET v = 1 WHERE a = 2",
				"DELETE FROM `"+db+"`.t2 WHERE a = 3")

			rep := waitClean(t, dag, opts, 38) // the binlog changes
			if len(rep.Skipped) > 0 {
				t.Errorf("skipped: %v", rep.Skipped)
			}
			if rep.Tables[0].Chunks != 5 || rep.Tables[0].Checked != 5 {
				t.Errorf("t1: %d chunks, %d checked; want 5 and 5 (38 keys by 8)", rep.Tables[0].Chunks, rep.Tables[0].Checked)
			}
			stop()
			stopped = true

			// Behind the task's back: a row the topic lacks, a row only the
			// topic has, a row whose value differs.
			testbed.AdminExec(t, "SET SESSION sql_log_bin = 0",
				"INSERT INTO `"+db+"`.t1 VALUES "+t1Row(500),
				"DELETE FROM `"+db+"`.t1 WHERE id = 9",
				"UPDATE `"+db+"`.t1 SET name = 'changed', d = 2.5 WHERE id = 17",
				"UPDATE `"+db+"`.t2 SET v = 42 WHERE a = 7 AND k = 'k7'")
			rep, err := verify.Task(context.Background(), dag, opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Clean() {
				t.Fatalf("verify found no difference:\n%s", rep)
			}
			t1, t2 := rep.Tables[0], rep.Tables[1]
			if t1.Missing != 1 || t1.Extra != 1 || t1.Changed != 1 ||
				fmt.Sprint(t1.MissingKeys) != "[500]" || fmt.Sprint(t1.ExtraKeys) != "[9]" ||
				len(t1.ChangedKeys) != 1 || !strings.HasPrefix(t1.ChangedKeys[0], "17: ") ||
				!strings.Contains(t1.ChangedKeys[0], `name = "héllo 17 😀", want "changed"`) ||
				!strings.Contains(t1.ChangedKeys[0], `d = `) {
				t.Errorf("t1: want 500 missing, 9 extra, 17 differing in name and d; got\n%s", rep)
			}
			// Only the chunks holding 500 (a count off) and 17 were read row
			// by row; the one that lost 9 has fewer keys, all equal.
			if t1.Differing != 2 {
				t.Errorf("t1: %d chunks differ, want 2", t1.Differing)
			}
			if t2.Missing != 0 || t2.Extra != 0 || t2.Changed != 1 || !strings.HasPrefix(fmt.Sprint(t2.ChangedKeys), "[7|k7: v = ") {
				t.Errorf("t2: want 7|k7 differing in v; got\n%s", rep)
			}
			// Sampled: the values of one chunk only, but every key.
			opts.Sample = 1
			rep, err = verify.Task(context.Background(), dag, opts)
			if err != nil {
				t.Fatal(err)
			}
			if t1 := rep.Tables[0]; t1.Checked != 1 || t1.Missing != 1 || t1.Extra != 1 {
				t.Errorf("sampled: want 1 chunk checked, 1 missing, 1 extra; got\n%s", rep)
			}
			// One table alone.
			rep, err = verify.Task(context.Background(), dag, verify.TaskOptions{Table: db + ".t2"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Tables) != 1 || rep.Tables[0].Changed != 1 {
				t.Errorf("--table %s.t2: got\n%s", db, rep)
			}
		})
	}
}
