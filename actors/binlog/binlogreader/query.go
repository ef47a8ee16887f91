package binlogreader

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
)

// query handles a QUERY event: transaction markers, DDL, and (a
// misconfiguration) statement-logged DML.
func (s *Stream) query(e *replication.QueryEvent, h *replication.EventHeader, b *change.Batch) error {
	switch sourcedb.Classify(e.Query) {
	case sourcedb.KindBegin:
		if !s.hasGTID { // no GTID event opened this group (GTIDs off, old server)
			s.beginGroup(h)
		}
		s.inTxn = true
		return nil
	case sourcedb.KindCommit:
		s.endTxn(h)
		return nil
	case sourcedb.KindXAStart: // MySQL; MariaDB flags its GTID event instead
		s.inTxn = true
		s.startXA()
		return nil
	case sourcedb.KindXAMarker:
		return nil
	case sourcedb.KindXACommit, sourcedb.KindXARollback:
		return s.xaEnd(e.Query, h, sourcedb.Classify(e.Query) == sourcedb.KindXACommit)
	case sourcedb.KindDDL:
		st := s.parser.Parse(string(e.Query), string(e.Schema))
		if s.schema != nil {
			if err := s.applyDDL(st, change.Position{File: s.file, Pos: h.LogPos}); err != nil {
				return err
			}
		}
		t, pass := s.tables.ddl(st)
		if !pass {
			break
		}
		if st.Truncate && t != nil {
			s.progress.Truncates++
			s.progress.LastTruncate = t.QualifiedName() + " at " + s.file + ":" + strconv.FormatUint(uint64(h.LogPos), 10)
		}
		sql, schema := st.SQL, st.DB
		c := change.Change{
			Seq: s.nextSeq, Op: change.OpDDL, Table: t, SQL: sql, Schema: schema,
			Pos: change.Position{File: s.file, Pos: h.LogPos, GTID: s.txnGTID},
			Row: s.txnRow, GTIDSet: s.txnExecuted(), CommitTime: s.commitTime(h), ServerID: h.ServerID,
			Size: changeOverhead + len(sql) + len(schema),
		}
		s.nextSeq++
		s.txnRow++
		s.progress.Changes++
		b.Add(c)
	case sourcedb.KindDML:
		st := s.parser.Parse(string(e.Query), string(e.Schema))
		var db, name string
		if len(st.Tables) > 0 {
			db, name = st.Tables[0].Schema, st.Tables[0].Name
		}
		if len(st.Tables) > 0 && s.tables.selects(db, name) {
			if s.versionedByTransaction(db, name) {
				return errkind.Terminal(fmt.Errorf(
					"source %q logged a statement instead of rows for %s.%s at %s:%d: the table is system-versioned by transaction id, "+
						"and MariaDB logs its changes as statements, which Sluice cannot read: leave it out of the source (objects.exclude) "+
						"or re-create its period on TIMESTAMP(6) columns, then take a new snapshot of it",
					s.name, db, name, s.file, h.LogPos))
			}
			return errkind.Terminal(fmt.Errorf(
				"source %q logged a statement instead of rows for %s.%s at %s:%d (binlog_format is not ROW for that session): "+
					"SET GLOBAL binlog_format=ROW, make the writers reconnect, and take a new snapshot of that table",
				s.name, db, name, s.file, h.LogPos))
		}
		key := db + "." + name
		if !s.warnedDML[key] && len(s.warnedDML) < 1000 {
			s.warnedDML[key] = true
			s.log.Warn("statement-based DML in the binlog for an unselected table; ignored",
				slog.String("table", key), slog.String("pos", s.file+":"+strconv.FormatUint(uint64(h.LogPos), 10)))
		}
	}
	if !s.inTxn {
		// A statement outside BEGIN … COMMIT is a group of its own.
		s.endTxn(h)
	}
	return nil
}

// versionedByTransaction reports whether the schema history knows db.table
// as system-versioned by transaction id.
func (s *Stream) versionedByTransaction(db, table string) bool {
	if s.schema == nil {
		return false
	}
	v, ok := s.schema.Table(db, table)
	return ok && v.Table != nil && v.Table.Versioning != nil && v.Table.Versioning.ByTransaction
}
