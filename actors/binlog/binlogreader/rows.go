package binlogreader

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// rowsEvent starts emitting the rows of a rows event of a selected table
// (drainRows emits them).
func (s *Stream) rowsEvent(e *replication.RowsEvent, h *replication.EventHeader) error {
	if h.EventType == replication.PARTIAL_UPDATE_ROWS_EVENT {
		return errkind.Terminal(fmt.Errorf(
			"source %q writes partial JSON updates (PARTIAL_UPDATE_ROWS_EVENT at %s:%d), which Sluice cannot apply: "+
				"SET GLOBAL binlog_row_value_options='' on the source and take a new snapshot of the affected tables",
			s.name, s.file, h.LogPos))
	}
	t := s.tables.byID[e.TableID]
	if t == nil {
		return fmt.Errorf("binlog of source %q at %s:%d: rows event for table id %d without TABLE_MAP", s.name, s.file, h.LogPos, e.TableID)
	}
	if !t.selected || len(e.Rows) == 0 {
		return nil
	}
	if !allColumns(e.ColumnBitmap1, e.ColumnCount) || (e.ColumnBitmap2 != nil && !allColumns(e.ColumnBitmap2, e.ColumnCount)) {
		// go-mysql leaves an absent column nil: it would read as NULL.
		return errkind.Terminal(fmt.Errorf(
			"source %q at %s:%d: the rows event of %s lacks some columns (the session that wrote it has binlog_row_image MINIMAL or NOBLOB), "+
				"which Sluice would publish as NULL: SET GLOBAL binlog_row_image=FULL, make sure no session sets its own (SET SESSION binlog_row_image), "+
				"make the writers reconnect, and take a new snapshot of the table",
			s.name, s.file, h.LogPos, t.table.QualifiedName()))
	}
	op := change.OpInsert
	switch e.Type() {
	case replication.EnumRowsEventTypeUpdate:
		op = change.OpUpdate
		if len(e.Rows)%2 != 0 {
			return errkind.Terminal(fmt.Errorf(
				"binlog of source %q at %s:%d: the UPDATE rows event of %s holds %d row images, not before/after pairs: "+
					"the event is corrupt; inspect the event that ends there with mysqlbinlog on the source, then take a new snapshot of the table",
				s.name, s.file, h.LogPos, t.table.QualifiedName(), len(e.Rows)))
		}
	case replication.EnumRowsEventTypeDelete:
		op = change.OpDelete
	}
	if s.xa != nil {
		return s.hold(e, h, t, op)
	}
	s.rows, s.rowsHdr, s.rowsTab, s.rowsOp, s.rowsIdx = e, h, t, op, 0
	return nil
}

// drainRows emits the rows of the current rows event until it is done or the
// batch is full.
func (s *Stream) drainRows(b *change.Batch, maxBytes int) {
	re, t := s.rows, s.rowsTab
	pos := change.Position{File: s.file, Pos: s.rowsHdr.LogPos, GTID: s.txnGTID}
	ts := s.commitTime(s.rowsHdr)
	for s.rowsIdx < len(re.Rows) {
		if b.Bytes >= maxBytes {
			return
		}
		row, after, op := re.Rows[s.rowsIdx], []any(nil), s.rowsOp
		eventRow := uint32(s.rowsIdx)
		s.rowsIdx++
		if op == change.OpUpdate { // images come in pairs: rowsEvent checked
			after = re.Rows[s.rowsIdx]
			s.rowsIdx++
			eventRow /= 2
		}
		if v := t.versioned; v != nil {
			if op = v.op(op, row, after); op == 0 {
				continue // a history row
			}
			row = row[:v.width]
			if after != nil {
				after = after[:v.width]
			}
		}
		c := change.Change{Seq: s.nextSeq, Op: op, EventRow: eventRow, Table: t.table, Pos: pos, Row: s.txnRow,
			CommitTime: ts, ServerID: s.rowsHdr.ServerID}
		t.normalize(row)
		switch op {
		case change.OpInsert:
			c.After = row
			c.Size = changeOverhead + rowSize(row)
		case change.OpDelete:
			c.Before = row
			c.Size = changeOverhead + rowSize(row)
		case change.OpUpdate:
			t.normalize(after)
			c.Before, c.After = row, after
			c.Size = changeOverhead + rowSize(row) + rowSize(after)
		}
		s.nextSeq++
		s.txnRow++
		s.progress.Changes++
		b.Add(c)
	}
	s.rows, s.rowsHdr, s.rowsTab = nil, nil, nil
}

// allColumns reports whether a rows event's column bitmap holds all n
// columns (binlog_row_image FULL).
func allColumns(bm []byte, n uint64) bool {
	for i := range n {
		if i/8 >= uint64(len(bm)) || bm[i/8]&(1<<(i%8)) == 0 {
			return false
		}
	}
	return true
}
