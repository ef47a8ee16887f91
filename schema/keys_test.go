package schema

import (
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

type openCase struct {
	at         change.Position
	gtid       string
	table, out string
}

func checkOpen(t *testing.T, h *History, cases []openCase) {
	t.Helper()
	for _, c := range cases {
		got, err := h.Open(t.Context(), c.at, c.gtid)
		if err != nil {
			t.Fatal(err)
		}
		db, name, _ := strings.Cut(c.table, ".")
		v, _ := got.Table(db, name)
		if r := render(v); r != c.out {
			t.Errorf("at %s, gtid %q, %s: %s, want %s", c.at, c.gtid, c.table, r, c.out)
		}
	}
}

// ddlStep is a statement recorded at pos, after the boundary where the
// executed GTID set was before ("" when unknown).
type ddlStep struct {
	pos    change.Position
	before string
	stmt   string
}

// recorded is a history of d.t: created as (a INT) at capture, then changed
// by steps.
func recorded(t *testing.T, capture ddlStep, steps ...ddlStep) *History {
	t.Helper()
	h, db := newTestHistory(t, nil)
	st := newState(nil)
	st.style = style{widths: true, mariadb: true}
	tb := h.tables(st)
	if err := tb.Put("d", "t", mustCreate(t, "CREATE TABLE t (a INT)"), capture.pos, capture.before); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if _, err := applyAt(tb, s.stmt, "d", s.pos, s.before); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Commit(&store.Update{Schemas: tb.TakePending()}); err != nil {
		t.Fatal(err)
	}
	return h
}

// The primary (server_id 1) fails over to its replica (server_id 2) after
// 0-1-12. The replica's binlog files have the same names with lower
// numbers, so by position its DDL would sort before the primary's; by GTID,
// versions recorded on the primary are found at positions on the replica,
// and the replica's own DDL follows them.
func TestHistory_Open_ByGTIDAcrossFailover(t *testing.T) {
	// The capture at 0-1-10 is keyed as CaptureAt keys it.
	h := recorded(t, ddlStep{change.Position{File: "mariadb-bin.000007", Pos: 100}, "0-1-9", ""},
		ddlStep{change.Position{File: "mariadb-bin.000007", Pos: 500}, "0-1-10", "ALTER TABLE t ADD COLUMN b INT"},
		ddlStep{change.Position{File: "mariadb-bin.000001", Pos: 900}, "0-1-12", "ALTER TABLE t ADD COLUMN c INT"})
	checkOpen(t, h, []openCase{
		{change.Position{File: "mariadb-bin.000007", Pos: 300}, "0-1-10", "d.t", "a int(11) null"},
		{change.Position{File: "mariadb-bin.000007", Pos: 500}, "0-1-11", "d.t", "a int(11) null; b int(11) null"},
		{change.Position{}, "0-1-12", "d.t", "a int(11) null; b int(11) null"}, // resumed on the replica by GTID alone
		{change.Position{File: "mariadb-bin.000001", Pos: 800}, "0-1-12", "d.t", "a int(11) null; b int(11) null"},
		{change.Position{File: "mariadb-bin.000001", Pos: 900}, "0-2-13", "d.t", "a int(11) null; b int(11) null; c int(11) null"},
		{change.Position{}, "", "d.t", "a int(11) null; b int(11) null; c int(11) null"},
	})
}

// A history recorded by binlog position (by an earlier Sluice, or before
// the stream knew its GTID set) is read by position from a checkpoint that
// has both, and versions recorded by GTID afterwards follow it.
func TestHistory_Open_PositionKeysThenGTIDKeys(t *testing.T) {
	h := recorded(t, ddlStep{change.Position{File: "bin.000001", Pos: 100}, "", ""},
		ddlStep{change.Position{File: "bin.000001", Pos: 500}, "", "ALTER TABLE t ADD COLUMN b INT"},
		ddlStep{change.Position{File: "bin.000003", Pos: 200}, "", "ALTER TABLE t ADD COLUMN c INT"},
		ddlStep{change.Position{File: "bin.000004", Pos: 300}, "0-1-25", "ALTER TABLE t DROP COLUMN a"})
	checkOpen(t, h, []openCase{
		{change.Position{File: "bin.000001", Pos: 400}, "0-1-20", "d.t", "a int(11) null"},
		{change.Position{File: "bin.000002", Pos: 4}, "0-1-22", "d.t", "a int(11) null; b int(11) null"},
		{change.Position{File: "bin.000004", Pos: 4}, "0-1-24", "d.t", "a int(11) null; b int(11) null; c int(11) null"},
		{change.Position{}, "0-1-25", "d.t", "a int(11) null; b int(11) null; c int(11) null"},
		{change.Position{File: "bin.000004", Pos: 300}, "0-1-26", "d.t", "b int(11) null; c int(11) null"},
	})
}
