package engine

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/store"
)

// A DDL statement the parser rejects (MariaDB's IGNORED index), read behind
// a later DDL of the same table, stops the task naming the skip command;
// the decision recorded as `sluice skip` records it lets the next start
// pass over that statement (logged), the later DDL and rows arrive, and
// /status lists the decision. A decision for another statement at that
// position is not applied.
func TestRun_SkipRecordedStatement(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 1, policy: "pk_hash", rules: "- $db.keep", ddl: []string{
		"CREATE TABLE $db.keep (id INT PRIMARY KEY, v VARCHAR(16))"}})
	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.keep VALUES (1,'a')")
	h.converge(map[string][]string{"keep": {"id"}}, 60*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	// While the task is down: the rejected statement, then a DDL of the
	// same table, so that the reader meets the first one behind the head.
	exec(t, h.db, "INSERT INTO $db.keep VALUES (2,'b')", "ALTER TABLE $db.keep ADD INDEX iv (v) IGNORED",
		"INSERT INTO $db.keep VALUES (3,'c')", "ALTER TABLE $db.keep ADD COLUMN w INT", "INSERT INTO $db.keep VALUES (4,'d',44)")

	err := h.runUntilFailure(60 * time.Second)
	var ss *binlogreader.StatementStop
	if !errors.As(err, &ss) {
		t.Fatalf("want the task to stop at the statement (a StatementStop), got %v", err)
	}
	for _, part := range []string{"ADD INDEX iv (v) IGNORED", "sluice skip -f FILE --source bed --at " + ss.Pos.String() + ` --reason "WHY"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("stop message lacks %q: %v", part, err)
		}
	}

	// A decision for another statement at that position is not applied.
	sql, err := binlogreader.StatementAt(context.Background(), h.dag.Sources[0], ss.Pos)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(sql, "ADD INDEX iv (v) IGNORED") {
		t.Fatalf("StatementAt(%s) = %q", ss.Pos, sql)
	}
	wrong := store.Skip{Pos: ss.Pos, Digest: schema.Digest("ALTER TABLE other ADD INDEX x (y) IGNORED"), Reason: "wrong statement", At: time.Now()}
	if err := RecordSkip(h.dag, "engine-test", "bed", wrong, nil); err != nil {
		t.Fatal(err)
	}
	err = h.runUntilFailure(60 * time.Second)
	if !errors.As(err, &ss) || !strings.Contains(err.Error(), "is for another statement") {
		t.Fatalf("a decision for another statement was applied, or not reported: %v", err)
	}

	sk := store.Skip{Pos: ss.Pos, Digest: schema.Digest(sql), Statement: sql, Reason: "ignored index only; rows unchanged", Who: "ops", At: time.Now().UTC()}
	if err := RecordSkip(h.dag, "engine-test", "bed", sk, nil); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	h.logs = logs
	stop = h.start()
	// Every row changes after the later ADD COLUMN: the topic's rows all
	// carry w, decoded with the history that applied it.
	exec(t, h.db, "INSERT INTO $db.keep VALUES (5,'e',55)", "UPDATE $db.keep SET w = id * 11")
	st := h.converge(map[string][]string{"keep": {"id"}}, 60*time.Second)
	view := h.status()
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if st.Duplicates != 0 {
		t.Errorf("%d duplicates", st.Duplicates)
	}
	skips := view.Sources[0].Skips
	if len(skips) != 1 || skips[0].Position != ss.Pos.String() || skips[0].Digest != sk.Digest || skips[0].Reason != sk.Reason || skips[0].Who != "ops" {
		t.Errorf("/status lists skipped statements %+v, want the one recorded at %s", skips, ss.Pos)
	}
	log := logs.String()
	if n := strings.Count(log, "DDL statement skipped by a recorded decision"); n != 1 || !strings.Contains(log, sk.Reason) {
		t.Errorf("want one log line naming the applied decision; log:\n%s", log)
	}
	t.Logf("RESULT skip: stopped at %s naming sluice skip; a decision for another statement was refused; the recorded one was applied, %s.keep matches its source (%d records)",
		ss.Pos, h.db, st.Applied)
}

// runUntilFailure runs the engine and returns the error it stops with by
// itself; it fails the test when the engine is still running at timeout.
func (h *harness) runUntilFailure(timeout time.Duration) error {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- Run(ctx, h.dag, Options{Task: "engine-test", Logger: log, OpenStore: h.openStore}) }()
	select {
	case err := <-done:
		if err == nil {
			h.t.Fatal("the engine stopped without an error")
		}
		return err
	case <-time.After(timeout):
		cancel()
		<-done
		h.t.Fatalf("the engine did not stop by itself within %s", timeout)
		return nil
	}
}
