package binlogreader

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
)

// prepareXA runs an XA transaction up to XA PREPARE on its own session and
// ends the session: only then may another one commit or roll it back.
func prepareXA(t *testing.T, xid string, stmts ...string) {
	t.Helper()
	conn := testbed.AdminConn(t)
	for _, s := range append(append([]string{"XA START '" + xid + "'"}, stmts...), "XA END '"+xid+"'", "XA PREPARE '"+xid+"'") {
		if _, err := conn.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	conn.Close()
	t.Cleanup(func() { _, _ = testbed.AdminConn(t).Execute("XA ROLLBACK '" + xid + "'") })
}

// endXA runs XA COMMIT or XA ROLLBACK (verb) once the preparing session is
// gone: the server detaches the transaction from it asynchronously.
func endXA(t *testing.T, verb, xid string) {
	t.Helper()
	conn := testbed.AdminConn(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := conn.Execute("XA " + verb + " '" + xid + "'")
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "XAER_NOTA") || time.Now().After(deadline) {
			t.Fatalf("XA %s %s: %v", verb, xid, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Regression: the changes of an XA transaction were published at XA
// PREPARE, so a rolled-back one reached the topic although the table never
// changed, and a committed one came before transactions that committed
// earlier.
func TestStream_Bed_XAChangesAtCommitOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	q := "`" + db + "`.t"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (id INT PRIMARY KEY, b VARCHAR(10))", "INSERT INTO "+q+" VALUES (1,'one'),(2,'two')")
	start := testbed.BinlogPosition(t)
	s := openBed(t, src, db, Resume{Pos: change.Position{File: start.Name, Pos: start.Pos}, NextSeq: 1})

	prepareXA(t, db+"a", "INSERT INTO "+q+" VALUES (3,'three')", "DELETE FROM "+q+" WHERE id = 1", "UPDATE "+q+" SET b = 'z' WHERE id = 2")
	endXA(t, "ROLLBACK", db+"a")
	prepareXA(t, db+"b", "INSERT INTO "+q+" VALUES (4,'four')")
	testbed.AdminExec(t, "INSERT INTO "+q+" VALUES (10,'ten')")
	endXA(t, "COMMIT", db+"b")
	testbed.AdminExec(t, "XA START '"+db+"c'", "INSERT INTO "+q+" VALUES (5,'five')", "XA END '"+db+"c'", "XA COMMIT '"+db+"c' ONE PHASE",
		"INSERT INTO "+q+" VALUES (99,'end')")

	got, _ := collect(t, s, 4)
	var ids []string
	for _, c := range got {
		row := c.After
		if row == nil {
			row = c.Before
		}
		ids = append(ids, fmt.Sprintf("%v %v", c.Op, row[0]))
	}
	if want := "insert 10,insert 4,insert 5,insert 99"; strings.Join(ids, ",") != want {
		t.Fatalf("changes %q, want %s: nothing of the rolled-back XA, the committed one at its XA COMMIT", ids, want)
	}
	if got[1].Pos.GTID == "" || got[1].Pos.GTID == got[0].Pos.GTID {
		t.Errorf("XA COMMIT's change has GTID %q (the insert before it %q): want the XA COMMIT's own", got[1].Pos.GTID, got[0].Pos.GTID)
	}
}

// A stream restarted from a Mark taken while an XA transaction was prepared
// must read its XA PREPARE again: the Mark stays before it until the XA
// transaction ends, and the changes after it come again with the same Seq.
func TestStream_Bed_XAPreparedSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	q := "`" + db + "`.t"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (id INT PRIMARY KEY, b VARCHAR(10))")
	start := testbed.BinlogPosition(t)
	from := Resume{Pos: change.Position{File: start.Name, Pos: start.Pos}, NextSeq: 1}
	s := openBed(t, src, db, from)

	prepareXA(t, db+"p", "INSERT INTO "+q+" VALUES (1,'xa')")
	testbed.AdminExec(t, "INSERT INTO "+q+" VALUES (2,'plain')")
	// Read until a Mark follows the plain insert: collect would wait for one
	// that covers it, which cannot come while the XA transaction is prepared.
	var first []change.Change
	var mark *change.Mark
	for deadline := time.Now().Add(30 * time.Second); mark == nil || len(first) == 0; {
		b, err := s.ReadBatch(t.Context(), 1<<20, 200*time.Millisecond)
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("ReadBatch: %v (changes %v, mark %+v)", err, first, mark)
		}
		first = append(first, b.Changes...)
		if len(first) > 0 && b.Mark != nil {
			mark = b.Mark
		}
	}
	if len(first) != 1 || first[0].After[0] != int32(2) {
		t.Fatalf("before XA COMMIT: %v", first)
	}
	s.Close()
	if mark.Seq >= first[0].Seq {
		t.Fatalf("mark %+v covers the change after the prepared XA transaction: a restart from it would lose the XA's rows", mark)
	}
	endXA(t, "COMMIT", db+"p")
	testbed.AdminExec(t, "INSERT INTO "+q+" VALUES (3,'end')")

	src2 := *src
	src2.ServerID++
	s2 := openBed(t, &src2, db, ResumeFrom(mark))
	again, last := collect(t, s2, 3)
	var ids []string
	for _, c := range again {
		ids = append(ids, fmt.Sprint(c.After[0]))
	}
	if strings.Join(ids, ",") != "2,1,3" || again[0].Seq != first[0].Seq {
		t.Fatalf("after restart: ids %q (want 2,1,3), seq of id 2 %d (was %d)", ids, again[0].Seq, first[0].Seq)
	}
	if last.Seq != again[2].Seq {
		t.Errorf("mark %+v after every XA ended, want it at the last change (seq %d)", last, again[2].Seq)
	}
}

// An XA transaction prepared before the stream started is looked up in the
// binlog at its XA COMMIT: one about other tables is harmless, one that
// changed a selected table stops the stream (its rows were never read).
func TestStream_Bed_XAPreparedBeforeStart(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db, other := testbed.NewDatabase(t), testbed.NewDatabase(t)
	q, o := "`"+db+"`.t", "`"+other+"`.t"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (id INT PRIMARY KEY)", "CREATE TABLE "+o+" (id INT PRIMARY KEY)")
	prepareXA(t, db+"o", "INSERT INTO "+o+" VALUES (1)")
	prepareXA(t, db+"s", "INSERT INTO "+o+" VALUES (2)", "INSERT INTO "+q+" VALUES (2)")
	s := openBed(t, src, db, Resume{NextSeq: 1})

	endXA(t, "COMMIT", db+"o")
	testbed.AdminExec(t, "INSERT INTO "+q+" VALUES (3)")
	got, _ := collect(t, s, 1)
	if got[0].After[0] != int32(3) {
		t.Fatalf("after the XA COMMIT about another table: %v", got)
	}

	endXA(t, "COMMIT", db+"s")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		b, err := s.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
		if err != nil {
			if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "changed selected tables") || !strings.Contains(err.Error(), "snapshot") {
				t.Fatalf("err = %v; want terminal: it changed selected tables, take a new snapshot", err)
			}
			return
		}
		if len(b.Changes) > 0 {
			t.Fatalf("changes after an XA COMMIT whose rows were never read: %v", b.Changes)
		}
	}
}
