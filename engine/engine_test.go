package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
	"github.com/sluicecdc/sluice/verify"
)

// harness runs the engine against the real test bed.
type harness struct {
	t     *testing.T
	addr  string // status endpoint
	db    string
	topic string
	dir   string
	dag   *topology.DAG
	// openStore is Options.OpenStore (nil: the bbolt file in dir).
	openStore func(store.Identity) (store.Store, error)
	// opts are the Options start runs with (Task, Logger and OpenStore set
	// by start).
	opts Options
	// src is the topology file; rules its table rules as written in it.
	src, rules string
	// logs, when set, receives the engine's log from level info up.
	logs io.Writer
}

// setup configures a harness.
type setup struct {
	partitions int
	policy     string
	// start is the source's start (YAML); empty means the binlog position
	// after the DDL ran.
	start string
	// sourceExtra is appended to the source's YAML (indented 4 spaces).
	sourceExtra string
	// rules replaces the table rules (a YAML list; $db and $topic are
	// substituted); empty selects db.orders*.
	rules string
	// sinkExtra is appended to the sink's YAML (indented 4 spaces); $topic
	// is the harness's topic.
	sinkExtra string
	ddl       []string
}

// newHarness creates a database with the given tables, a topic, and a
// topology that streams db.orders* to it.
func newHarness(t *testing.T, s setup) *harness {
	t.Helper()
	h := &harness{t: t, db: testbed.NewDatabase(t), topic: testbed.NewTopic(t, s.partitions), dir: t.TempDir(), addr: freeAddr(t)}
	for _, d := range s.ddl {
		testbed.AdminExec(t, strings.ReplaceAll(d, "$db", h.db))
	}
	rules := s.rules
	if rules == "" {
		rules = "- $db.orders*"
	}
	rules = strings.NewReplacer("$db", h.db, "$topic", h.topic).Replace(rules)
	s.sinkExtra = strings.ReplaceAll(s.sinkExtra, "$topic", h.topic)
	if s.start == "" {
		pos := testbed.BinlogPosition(t)
		s.start = fmt.Sprintf("{file: %s, pos: %d}", pos.Name, pos.Pos)
	}
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
    start: %s
    objects:
      tables:
%s
%s
routers:
  - name: r
    from: bed
    policy: %s
sinks:
  - name: k
    from: r
    brokers: [%s]
    topic: %s
    linger: 2ms
%s
`, h.dir, h.addr, host, port, cfg.User, cfg.Password, testbed.ServerID(), s.start, indent(rules, 8), s.sourceExtra, s.policy, testbed.Kafka(t)[0], h.topic, s.sinkExtra)
	h.src, h.rules = src, indent(rules, 8)
	h.parse(src)
	return h
}

func (h *harness) parse(src string) {
	h.t.Helper()
	dag, diags := topology.Parse("test.yaml", []byte(src))
	if dag == nil {
		h.t.Fatalf("topology: %s", diags.String())
	}
	h.dag = dag
}

// setRules edits the topology: rules (as in setup) replace the table rules.
func (h *harness) setRules(rules string) {
	h.t.Helper()
	rules = indent(strings.NewReplacer("$db", h.db, "$topic", h.topic).Replace(rules), 8)
	h.src, h.rules = strings.Replace(h.src, h.rules, rules, 1), rules
	h.parse(h.src)
}

// start runs the engine until the returned stop is called; stop returns
// Run's error.
func (h *harness) start() (stop func() error) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.logs != nil {
		log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	opts := h.opts
	opts.Task, opts.Logger, opts.OpenStore = "engine-test", log, h.openStore
	go func() { done <- Run(ctx, h.dag, opts) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			h.t.Fatal("engine did not stop within 60s of cancel")
			return nil
		}
	}
}

// converge reads the whole topic until, replayed, it equals the source
// tables, or fails after timeout with the last differences.
func (h *harness) converge(tables map[string][]string, timeout time.Duration) *verify.State {
	h.t.Helper()
	return h.convergeAlso(tables, nil, timeout)
}

// convergeAlso is converge, replaying the tables of also (db.table → key
// columns) too without comparing them with the source.
func (h *harness) convergeAlso(tables, also map[string][]string, timeout time.Duration) *verify.State {
	h.t.Helper()
	keys := maps.Clone(also)
	if keys == nil {
		keys = map[string][]string{}
	}
	for tbl, cols := range tables {
		keys[h.db+"."+tbl] = cols
	}
	conn := testbed.AdminConn(h.t)
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := verify.ReadAll(context.Background(), testbed.Kafka(h.t)[0], h.topic)
		if err != nil {
			h.t.Fatal(err)
		}
		st, err := verify.Replay(msgs, keys)
		if err != nil {
			h.t.Fatal(err)
		}
		var diffs []string
		for tbl, cols := range tables {
			want, err := verify.SourceRows(conn, h.db+"."+tbl, cols)
			if err != nil {
				h.t.Fatal(err)
			}
			for _, d := range verify.Diff(want, st.Tables[h.db+"."+tbl], 10) {
				diffs = append(diffs, tbl+": "+d)
			}
		}
		if len(diffs) == 0 {
			for _, p := range st.Problems {
				h.t.Error(p)
			}
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("topic never matched the source (%d records applied, %d duplicates); last differences:\n%s",
				st.Applied, st.Duplicates, strings.Join(diffs, "\n"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// check replays the topic (n records expected) and compares with the source.
func (h *harness) check(n int, tables map[string][]string) *verify.State {
	h.t.Helper()
	msgs := testbed.ReadTopic(h.t, h.topic, n, 60*time.Second)
	keys := map[string][]string{}
	for tbl, cols := range tables {
		keys[h.db+"."+tbl] = cols
	}
	st, err := verify.Replay(msgs, keys)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range st.Problems {
		h.t.Error(p)
	}
	conn := testbed.AdminConn(h.t)
	for tbl, cols := range tables {
		want, err := verify.SourceRows(conn, h.db+"."+tbl, cols)
		if err != nil {
			h.t.Fatal(err)
		}
		if d := verify.Diff(want, st.Tables[h.db+"."+tbl], 10); len(d) > 0 {
			h.t.Errorf("%s differs from the source:\n%s", tbl, strings.Join(d, "\n"))
		}
	}
	return st
}

func exec(t *testing.T, db string, stmts ...string) {
	t.Helper()
	for i := range stmts {
		stmts[i] = strings.ReplaceAll(stmts[i], "$db", db)
	}
	testbed.AdminExec(t, stmts...)
}

func TestRun_StreamsEveryChangeAndResumesAfterStop(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 3, policy: "pk_hash", ddl: []string{
		"CREATE TABLE $db.orders (id INT PRIMARY KEY, note VARCHAR(32), amount DECIMAL(10,2))",
		"CREATE TABLE $db.other (id INT PRIMARY KEY)"}})
	stop := h.start()
	exec(t, h.db,
		"INSERT INTO $db.orders VALUES (1,'a',1.50),(2,'b',NULL),(3,'c',3.00)",
		"INSERT INTO $db.other VALUES (1),(2)", // not selected: must not appear
		"UPDATE $db.orders SET note='a2', amount=10.25 WHERE id=1",
		"UPDATE $db.orders SET id=30 WHERE id=3", // primary-key change
		"DELETE FROM $db.orders WHERE id=2",
		"BEGIN", "INSERT INTO $db.orders VALUES (4,'d',4)", "UPDATE $db.orders SET note='d2' WHERE id=4", "COMMIT",
	)
	// 3 inserts + 1 update + 1 pk update + 1 delete + 2 in the transaction.
	st := h.check(8, map[string][]string{"orders": {"id"}})
	if st.Duplicates != 0 {
		t.Errorf("%d duplicates in an uninterrupted run", st.Duplicates)
	}
	h.checkStatus(8)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// Changes while Sluice is down arrive after the restart, nothing twice.
	exec(t, h.db, "INSERT INTO $db.orders VALUES (5,'e',5)", "DELETE FROM $db.orders WHERE id=1")
	stop = h.start()
	st = h.check(10, map[string][]string{"orders": {"id"}})
	if st.Duplicates != 0 {
		t.Errorf("%d duplicates after a graceful stop; the final checkpoint should prevent them", st.Duplicates)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
}

func TestRun_SnapshotWithConcurrentWritesThenBinlog(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 4, policy: "pk_hash", start: "initial",
		sourceExtra: "    snapshot: {chunk_size: 500, parallelism: 3}",
		ddl: []string{
			"CREATE TABLE $db.orders (id INT PRIMARY KEY, note VARCHAR(32), n INT)",
			"CREATE TABLE $db.orders_empty (id BIGINT UNSIGNED PRIMARY KEY)",
			"CREATE TABLE $db.orders_ck (a INT, b VARCHAR(8), v INT, PRIMARY KEY (a, b))",
		}})
	var rows []string
	for i := 1; i <= 10000; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'n%d',%d)", i, i, i))
	}
	exec(t, h.db, "INSERT INTO $db.orders VALUES "+strings.Join(rows, ","),
		"INSERT INTO $db.orders_ck VALUES (1,'x',1),(1,'y',2),(2,'x',3)")

	stop := h.start()
	// Writes during the snapshot, on rows in every chunk.
	for i := 0; i < 40; i++ {
		exec(t, h.db,
			fmt.Sprintf("UPDATE $db.orders SET n=n+1000 WHERE id %% 40 = %d", i),
			fmt.Sprintf("DELETE FROM $db.orders WHERE id = %d", 250*i+7),
			fmt.Sprintf("INSERT INTO $db.orders VALUES (%d,'late',0)", 20000+i),
			fmt.Sprintf("UPDATE $db.orders_ck SET v=v+1 WHERE a=%d", i%3))
	}
	st := h.converge(map[string][]string{"orders": {"id"}, "orders_empty": {"id"}, "orders_ck": {"a", "b"}}, 90*time.Second)
	t.Logf("snapshot + binlog: %d records applied, %d duplicates", st.Applied, st.Duplicates)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// checkStatus reads the task's /status and /metrics and checks that they
// report the records written.
func (h *harness) checkStatus(records uint64) {
	h.t.Helper()
	var v status.TaskView
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + h.addr + "/status")
		if err != nil {
			h.t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		if len(v.Sinks) == 1 && v.Sinks[0].Records >= records || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(v.Sources) != 1 || v.Sources[0].Phase != status.PhaseBinlog || v.Sources[0].Rows < records || v.Sources[0].Position == "" {
		h.t.Errorf("/status sources = %+v", v.Sources)
	}
	if len(v.Sinks) != 1 || v.Sinks[0].Records != records {
		h.t.Errorf("/status sinks = %+v, want %d records", v.Sinks, records)
	}
	resp, err := http.Get("http://" + h.addr + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := fmt.Sprintf("sluice_sink_records_total{sink=%q} %d", "k", records)
	if !strings.Contains(string(body), want) || !strings.Contains(string(body), "# TYPE sluice_freshness_seconds histogram") {
		h.t.Errorf("/metrics lacks %q:\n%s", want, body)
	}
}

// A checkpoint recorded as taken on another server (99/0) resumes on the
// bed's server by GTID when the bed has its GTID set, and is refused with a
// clear error when the checkpoint has no GTID set or one the bed never had.
func TestRun_CheckpointOfAnotherServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 1, policy: "partition0", ddl: []string{"CREATE TABLE $db.orders (id INT PRIMARY KEY)"}})
	tables := map[string][]string{"orders": {"id"}}
	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (1)")
	h.converge(tables, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	cp := h.checkpoint()
	if cp.ServerUUID == "" || cp.GTIDSet == "" {
		t.Fatalf("checkpoint %+v: want one with the server identity and a GTID set", cp)
	}
	bed := cp.ServerUUID

	for _, tc := range []struct {
		name string
		gtid string
		want []string
	}{
		{"no GTID set", "", []string{"99/0", "no GTID set", "back at server 99/0", "new snapshot"}},
		{"a GTID set the server never had", "0-99-5", []string{"99/0", "0-99-5", "no transaction of server_id 99", "new snapshot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.setCheckpoint(store.Checkpoint{Pos: cp.Pos, GTIDSet: tc.gtid, Seq: cp.Seq, ServerUUID: "99/0"})
			err := Run(context.Background(), h.dag, Options{Task: "engine-test"})
			if !errors.Is(err, store.ErrServerMismatch) {
				t.Fatalf("Run = %v, want a server mismatch", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say %q: %v", w, err)
				}
			}
		})
	}

	// The bed has the checkpoint's GTID set: the source resumes there, by
	// GTID, and the next checkpoint is the bed's.
	h.setCheckpoint(store.Checkpoint{Pos: cp.Pos, GTIDSet: cp.GTIDSet, Seq: cp.Seq, ServerUUID: "99/0"})
	stop = h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (2)")
	h.converge(tables, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := h.checkpoint(); got.ServerUUID != bed || got.Seq <= cp.Seq {
		t.Fatalf("checkpoint after resuming on %s = %+v", bed, got)
	}
}

func (h *harness) checkpoint() store.Checkpoint {
	h.t.Helper()
	st, err := boltstore.Open(h.dir, testIdentity(h.t, h.dag, "engine-test"), boltstore.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	defer st.Close()
	cp, ok, err := st.Checkpoint("bed")
	if err != nil || !ok {
		h.t.Fatalf("checkpoint: %v, ok=%v", err, ok)
	}
	return cp
}

func (h *harness) setCheckpoint(cp store.Checkpoint) {
	h.t.Helper()
	st, err := boltstore.Open(h.dir, testIdentity(h.t, h.dag, "engine-test"), boltstore.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	defer st.Close()
	var u store.Update
	u.SetCheckpoint("bed", cp)
	if err := st.Commit(&u); err != nil {
		h.t.Fatal(err)
	}
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return strings.Join(lines, "\n")
}

func TestRun_DebeziumJSONWithTombstones(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash",
		sinkExtra: "    format: debezium-json\n    debezium: {tombstones: true, decimal_handling: string}",
		ddl:       []string{"CREATE TABLE $db.orders (id INT PRIMARY KEY, amount DECIMAL(6,2))"}})
	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (7, 1.50)", "DELETE FROM $db.orders WHERE id = 7")
	msgs := testbed.ReadTopic(t, h.topic, 3, 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for i, m := range msgs {
		if string(m.Key) != `{"id":7}` {
			t.Errorf("record %d key = %s, want {\"id\":7}", i, m.Key)
		}
		if m.Value == nil {
			ops = append(ops, "tombstone")
			continue
		}
		var v struct {
			Op     string          `json:"op"`
			After  json.RawMessage `json:"after"`
			Source struct {
				Table string `json:"table"`
			} `json:"source"`
		}
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, m.Value)
		}
		if v.Source.Table != "orders" {
			t.Errorf("record %d source.table = %q", i, v.Source.Table)
		}
		if v.Op == "c" && string(v.After) != `{"id":7,"amount":"1.50"}` {
			t.Errorf("insert after = %s", v.After)
		}
		ops = append(ops, v.Op)
	}
	if strings.Join(ops, ",") != "c,d,tombstone" {
		t.Fatalf("ops = %v, want c,d,tombstone", ops)
	}
}

func TestRun_SnapshotResumesOnlyUnfinishedChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash", start: "initial",
		sourceExtra: "    snapshot: {chunk_size: 500, parallelism: 2, max_rows_per_second: 8000}",
		ddl:         []string{"CREATE TABLE $db.orders (id INT PRIMARY KEY, v VARCHAR(16))"}})
	var rows []string
	for i := 1; i <= 20000; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'v%d')", i, i))
	}
	exec(t, h.db, "INSERT INTO $db.orders VALUES "+strings.Join(rows, ","))

	stop := h.start()
	time.Sleep(1200 * time.Millisecond) // about 10k rows at the cap
	first := h.status()
	if err := stop(); err != nil {
		t.Fatalf("graceful stop mid-snapshot: %v", err)
	}
	if len(first.Sources) != 1 || first.Sources[0].Phase != status.PhaseSnapshot {
		t.Fatalf("not in the snapshot phase after 1.2s: %+v", first.Sources)
	}
	st, err := boltstore.Open(h.dir, testIdentity(h.t, h.dag, "engine-test"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := st.Chunks("bed", h.db+".orders")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var done int
	var doneRows uint64
	for _, c := range chunks {
		if c.Done {
			done++
			doneRows += c.Rows
		}
	}
	if done == 0 || done == len(chunks) {
		t.Fatalf("%d of %d chunks done after a stop mid-snapshot; want some but not all", done, len(chunks))
	}

	stop = h.start()
	h.converge(map[string][]string{"orders": {"id"}}, 60*time.Second)
	second := h.status()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	tables := second.Sources[0].Tables
	if len(tables) != 1 {
		t.Fatalf("snapshot tables in status: %+v", tables)
	}
	// The second run reads only the chunks not finished before: at most the
	// rows outside the done chunks.
	if tables[0].Rows > 20000-doneRows {
		t.Errorf("second run read %d rows; %d rows were in %d finished chunks, so at most %d were left",
			tables[0].Rows, doneRows, done, 20000-doneRows)
	}
	t.Logf("stopped with %d/%d chunks (%d rows) done; the restart read %d rows", done, len(chunks), doneRows, tables[0].Rows)
}

// status reads the running task's /status.
func (h *harness) status() status.TaskView {
	h.t.Helper()
	var v status.TaskView
	resp, err := http.Get("http://" + h.addr + "/status")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		h.t.Fatal(err)
	}
	return v
}

// TestRun_FailingPipelineRestartsItsSourceWithNothingLost pins the recovery
// unit: a pipeline that fails (here its schema registry answers 503 three
// times) used to be restarted alone, losing the batch in hand, and the
// source then waited forever for that batch's credit. Now the whole source
// restarts from its durable mark: both sinks of the source get everything.
func TestRun_FailingPipelineRestartsItsSourceWithNothingLost(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	reg := registrytest.New(t)
	avroTopic := testbed.NewTopic(t, 1)
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash",
		ddl: []string{"CREATE TABLE $db.orders (id INT PRIMARY KEY, v VARCHAR(16))"},
		sinkExtra: fmt.Sprintf(`  - name: avro
    from: r
    brokers: [%s]
    topic: %s
    format: avro
    schema_registry: {url: %q}
`, testbed.Kafka(t)[0], avroTopic, reg.URL)})
	reg.FailNext(503, 503, 503)
	stop := h.start()
	var rows []string
	for i := 1; i <= 300; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'v%d')", i, i))
	}
	exec(t, h.db, "INSERT INTO $db.orders VALUES "+strings.Join(rows[:150], ","),
		"INSERT INTO $db.orders VALUES "+strings.Join(rows[150:], ","), "UPDATE $db.orders SET v='u' WHERE id <= 10")
	h.converge(map[string][]string{"orders": {"id"}}, 60*time.Second)
	msgs := testbed.ReadTopic(t, avroTopic, 310, 30*time.Second)
	if len(msgs) < 310 {
		t.Fatalf("avro sink has %d records, want at least 310 (300 inserts, 10 updates)", len(msgs))
	}
	if r := h.status().Sources[0].Restarts; r < 1 {
		t.Fatalf("restarts = %d; the failing registry should have restarted the source", r)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
