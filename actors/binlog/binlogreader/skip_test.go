package binlogreader

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// A decision skips only its statement at its position; one at the
// position for another statement is refused with a note for the stop.
func TestStream_SkipDecided_OnlyThatStatementThere(t *testing.T) {
	const sql = "ALTER TABLE t ADD INDEX iv (v) IGNORED"
	at := change.Position{File: "mariadb-bin.000006", Pos: 4711}
	var logs bytes.Buffer
	s := newStream(Config{Source: &topology.Source{Name: "src", Flavor: topology.FlavorMariaDB}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, 1)
	s.skips = map[change.Position]store.Skip{at: {Pos: at, Digest: schema.Digest(sql), Reason: "index only"}}

	withGTID := at
	withGTID.GTID = "0-1-9"
	if skip, note := s.skipDecided(sql, withGTID); !skip || note != "" {
		t.Errorf("the recorded statement at its position: skip %t, note %q", skip, note)
	}
	if skip, note := s.skipDecided(sql, change.Position{File: at.File, Pos: 4800}); skip || note != "" {
		t.Errorf("the statement at another position: skip %t, note %q", skip, note)
	}
	skip, note := s.skipDecided("ALTER TABLE t ADD INDEX iw (w) IGNORED", at)
	if skip || !strings.Contains(note, "is for another statement") {
		t.Errorf("another statement at the position: skip %t, note %q", skip, note)
	}

	err := s.stopAtStatement(withGTID, note, errkind.Terminal(errors.New("cannot apply")))
	var ss *StatementStop
	if !errors.As(err, &ss) || !errkind.IsTerminal(err) || ss.Pos != at {
		t.Fatalf("stop = %#v (terminal %t)", err, errkind.IsTerminal(err))
	}
	for _, part := range []string{"cannot apply", note, `sluice skip -f FILE --source src --at mariadb-bin.000006:4711 --reason "WHY"`} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("stop message lacks %q: %v", part, err)
		}
	}
	if got := ss.SkipCommand("my tasks/orders.yaml"); !strings.HasPrefix(got, `sluice skip -f "my tasks/orders.yaml" --source src`) {
		t.Errorf("SkipCommand with a space in the path = %s", got)
	}

	// A statement the history applied leaves the decision unused, and says so.
	s.skipUnneeded(change.Position{File: at.File, Pos: 4800})
	if strings.Contains(logs.String(), "history applied the statement") {
		t.Errorf("a position without a decision logged one: %s", logs.String())
	}
	s.skipUnneeded(at)
	if !strings.Contains(logs.String(), "skip decision not applied: the schema history applied the statement") {
		t.Errorf("an unused decision was not logged: %s", logs.String())
	}
}

// At the start, only the decisions whose statement ends after the start
// position are kept and logged; one ending at the start was read before.
func TestStream_LoadSkips_OnlyThoseAhead(t *testing.T) {
	src := &topology.Source{Name: "src", Flavor: topology.FlavorMariaDB}
	st := newMemStore(t)
	var u store.Update
	for _, p := range []uint32{100, 200, 300} {
		u.PutSkip("src", store.Skip{Pos: change.Position{File: "mariadb-bin.000006", Pos: p}, Digest: "d", Reason: "r"})
	}
	u.PutSkip("src", store.Skip{Pos: change.Position{File: "mariadb-bin.000007", Pos: 4}, Digest: "d", Reason: "r"})
	if err := st.Commit(&u); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := newStream(Config{Source: src, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, 1)
	if err := s.loadSkips(schema.New(schema.Config{Source: src, Store: st}), change.Position{File: "mariadb-bin.000006", Pos: 200}); err != nil {
		t.Fatal(err)
	}
	want := []change.Position{{File: "mariadb-bin.000006", Pos: 300}, {File: "mariadb-bin.000007", Pos: 4}}
	if len(s.skips) != len(want) {
		t.Fatalf("kept %v, want %v", s.skips, want)
	}
	for _, p := range want {
		if _, ok := s.skips[p]; !ok {
			t.Errorf("decision at %s not kept: %v", p, s.skips)
		}
	}
	if n := strings.Count(logs.String(), "skip decision recorded"); n != 2 {
		t.Errorf("%d start log lines, want 2:\n%s", n, logs.String())
	}
}
