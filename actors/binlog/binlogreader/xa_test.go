package binlogreader

import (
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
)

// mysqlXA feeds a MySQL XA group for gtrid: XA START, one insert of id, XA
// END, and its XA_PREPARE_LOG_EVENT (one-phase for XA COMMIT … ONE PHASE).
func mysqlXA(l *binlog, s *Stream, tt *ttable, gno int64, gtrid string, id uint64, onePhase bool) {
	xid := sourcedb.XID{FormatID: 1, GTRID: gtrid}.String()
	feed(s, l.mysqlGTID(gno), l.query("shop", "XA START "+xid), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv2, tt, orderRow(id, "x", 1, 1, jsonX)),
		l.query("shop", "XA END "+xid), l.xaPrepare(gtrid, onePhase))
}

func ids(bs []*change.Batch) (out []uint64, marks []*change.Mark) {
	for _, b := range bs {
		for _, c := range b.Changes {
			out = append(out, c.After[0].(uint64))
		}
		if b.Mark != nil {
			marks = append(marks, b.Mark)
		}
	}
	return out, marks
}

// MySQL logs XA START as a statement and XA COMMIT … ONE PHASE as an
// XA_PREPARE_LOG_EVENT flagged one-phase; paths the test bed's MariaDB
// does not write.
func TestStream_MySQL_XAHeldUntilCommit(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "3e11fa47-71ca-11e1-9e33-c80aa9429563:100", 1)
	tt := ordersTable(70)
	feed(s, l.fde())
	mysqlXA(l, s, tt, 1, "a", 1, false) // prepared, then rolled back
	mysqlXA(l, s, tt, 2, "b", 2, false) // prepared, committed after gno 3
	feed(s, l.mysqlGTID(3), l.query("shop", "BEGIN"), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv2, tt, orderRow(3, "x", 1, 1, jsonX)), l.xid(9))
	feed(s, l.mysqlGTID(4), l.query("", "XA ROLLBACK X'61',X'',1"))
	before := readAll(t, s, 1<<20)
	commit := l.query("", "XA COMMIT X'62',X'',1")
	feed(s, l.mysqlGTID(5), commit)
	mysqlXA(l, s, tt, 6, "c", 6, true)
	after := readAll(t, s, 1<<20)

	got, marks := ids(before)
	if len(got) != 1 || got[0] != 3 || len(marks) == 0 {
		t.Fatalf("while b is prepared: ids %v marks %+v; want only 3, and marks", got, marks)
	}
	if m := marks[len(marks)-1]; m.Seq != 0 || !strings.HasSuffix(m.GTIDSet, ":1:100") {
		t.Fatalf("mark while b is prepared: %+v; want the boundary before b's group: seq 0, GTID set with gno 1 only", m)
	}
	got, marks = ids(after)
	if len(got) != 2 || got[0] != 2 || got[1] != 6 {
		t.Fatalf("after XA COMMIT: ids %v; want 2 (at its commit) then 6 (one phase)", got)
	}
	c := after[0].Changes[0]
	if c.Seq != 2 || c.Pos.Pos != commit.Header.LogPos || !strings.HasSuffix(c.Pos.GTID, ":5") || c.Row != 0 {
		t.Errorf("committed XA change: seq %d pos %+v row %d; want seq 2 at the XA COMMIT (gno 5)", c.Seq, c.Pos, c.Row)
	}
	if m := marks[len(marks)-1]; m.Seq != 3 || !strings.HasSuffix(m.GTIDSet, ":1-6:100") {
		t.Errorf("last mark %+v; want seq 3 and the whole GTID set", m)
	}
	if s.InTransaction() || s.heldBytes != 0 || len(s.prepared) != 0 {
		t.Errorf("after every XA ended: in transaction %t, held %d bytes, %d prepared", s.InTransaction(), s.heldBytes, len(s.prepared))
	}
}

func TestStream_XACommitOfUnknownPrepareIsTerminal(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 1)
	feed(s, l.rotate("bin.000001", 4, true), l.fde(), l.mariaGTID(0, 10, true))
	q := l.query("", "XA COMMIT X'7a',X'',1")
	feed(s, q)
	_, err := s.ReadBatch(t.Context(), 1<<20, 0)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "X'7a',X'',1") || !strings.Contains(err.Error(), "snapshot") {
		t.Fatalf("err = %v; want terminal, naming the XID and the way out", err)
	}

	// A rollback of one loses nothing.
	l = newBinlog(t, mysql.MariaDBFlavor)
	s = testStream(t, mysql.MariaDBFlavor, nil, "0-1-9", 1)
	feed(s, l.rotate("bin.000001", 4, true), l.fde(), l.mariaGTID(0, 10, true), l.query("", "XA ROLLBACK X'7a',X'',1"))
	if b, err := s.ReadBatch(t.Context(), 1<<20, 0); err != nil || b.Mark == nil {
		t.Fatalf("rollback of an unknown XID: %+v, %v; want a mark", b, err)
	}
}

func TestStream_XAHoldLimitIsTerminal(t *testing.T) {
	l := newBinlog(t, mysql.MySQLFlavor)
	s := testStream(t, mysql.MySQLFlavor, nil, "", 1)
	s.xaHoldLimit = 100
	tt := ordersTable(70)
	feed(s, l.fde())
	mysqlXA(l, s, tt, 1, "a", 1, false)
	feed(s, l.mysqlGTID(2), l.query("", "XA START 'b'"), l.tableMap(tt),
		l.rows(replication.WRITE_ROWS_EVENTv2, tt, orderRow(2, "x", 1, 1, jsonX)))
	var err error
	for err == nil && len(s.events) > 0 {
		_, err = s.ReadBatch(t.Context(), 1<<20, 0)
	}
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "XA RECOVER") {
		t.Fatalf("err = %v; want terminal, saying how to go on", err)
	}
}
