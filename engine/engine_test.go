package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/internal/verify"
	"github.com/sluicecdc/sluice/topology"
)

// harness runs the engine against the real test bed.
type harness struct {
	t     *testing.T
	db    string
	topic string
	dir   string
	dag   *topology.DAG
}

// newHarness creates a database with the given tables, a topic with
// partitions, and a topology that streams db.orders* to it from the current
// binlog position. extra is appended to the table rule (YAML, indented).
func newHarness(t *testing.T, partitions int, policy string, ddl ...string) *harness {
	t.Helper()
	h := &harness{t: t, db: testbed.NewDatabase(t), topic: testbed.NewTopic(t, partitions), dir: t.TempDir()}
	for _, d := range ddl {
		testbed.AdminExec(t, strings.ReplaceAll(d, "$db", h.db))
	}
	pos := testbed.BinlogPosition(t)
	cfg := testbed.MySQL(t)
	host, port, _ := strings.Cut(cfg.Addr, ":")
	src := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %s
  checkpoint_interval: 100ms
sources:
  - name: bed
    flavor: mariadb
    host: %s
    port: %s
    user: %s
    password: %s
    server_id: %d
    start: {file: %s, pos: %d}
    objects:
      tables: ["%s.orders*"]
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
`, h.dir, host, port, cfg.User, cfg.Password, 5000+time.Now().UnixNano()%1000, pos.Name, pos.Pos, h.db, policy, testbed.Kafka(t)[0], h.topic)
	dag, diags := topology.Parse("test.yaml", []byte(src))
	if dag == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	h.dag = dag
	return h
}

// start runs the engine until the returned stop is called; stop returns
// Run's error.
func (h *harness) start() (stop func() error) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- Run(ctx, h.dag, Options{Task: "engine-test", Logger: log}) }()
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
		t.Skip("needs the test bed")
	}
	h := newHarness(t, 3, "pk_hash",
		"CREATE TABLE $db.orders (id INT PRIMARY KEY, note VARCHAR(32), amount DECIMAL(10,2))",
		"CREATE TABLE $db.other (id INT PRIMARY KEY)")
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
