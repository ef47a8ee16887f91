package binlogreader

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// rowsEvent starts emitting the rows of a rows event of a selected table
// (drainRows emits them).
func (s *Stream) rowsEvent(ev *replication.BinlogEvent, e *replication.RowsEvent, h *replication.EventHeader, inner bool) error {
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
	if !t.selected {
		return nil // its rows are never decoded
	}
	if !allColumns(e.ColumnBitmap1, e.ColumnCount) || (e.ColumnBitmap2 != nil && !allColumns(e.ColumnBitmap2, e.ColumnCount)) {
		// go-mysql leaves an absent column nil: it would read as NULL.
		return errkind.Terminal(fmt.Errorf(
			"source %q at %s:%d: the rows event of %s lacks some columns (the session that wrote it has binlog_row_image MINIMAL or NOBLOB), "+
				"which Sluice would publish as NULL: SET GLOBAL binlog_row_image=FULL, make sure no session sets its own (SET SESSION binlog_row_image), "+
				"make the writers reconnect, and take a new snapshot of the table",
			s.name, s.file, h.LogPos, t.table.QualifiedName()))
	}
	if err := s.decodeRows(ev, e, h, t, inner); err != nil {
		return err
	}
	if len(e.Rows) == 0 {
		return nil
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
	set := s.txnExecuted()
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
			GTIDSet: set, CommitTime: ts, ServerID: s.rowsHdr.ServerID}
		switch op {
		case change.OpInsert:
			c.After = row
			c.Size = changeOverhead + rowSize(row)
		case change.OpDelete:
			c.Before = row
			c.Size = changeOverhead + rowSize(row)
		case change.OpUpdate:
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

// decodeRows sets e.Rows to the event's rows with their values as
// change/value.go has them. The syncer leaves rows undecoded (rawRows):
// they are decoded here, by the row decoder (decode.go) or, for a table
// with a column it does not decode, by go-mysql and then normalised. Rows
// go-mysql already decoded (a parser without rawRows) are normalised.
func (s *Stream) decodeRows(ev *replication.BinlogEvent, e *replication.RowsEvent, h *replication.EventHeader, t *tableEntry, inner bool) error {
	if e.Rows != nil {
		t.normalizeRows(e.Rows)
		return nil
	}
	if t.plan == nil {
		t.plan = planFor(e.Table, t)
	}
	data, ok := rowImages(e, ev.RawData, s.checksum && !inner)
	if !ok {
		return fmt.Errorf("binlog of source %q at %s:%d: the rows event of %s cannot be split into header and rows (%d bytes)",
			s.name, s.file, h.LogPos, t.table.QualifiedName(), len(ev.RawData))
	}
	var err error
	switch {
	case !t.plan.native || s.goMySQLRows:
		end := len(ev.RawData)
		if s.checksum && !inner {
			end -= replication.BinlogChecksumLength
		}
		body := ev.RawData[replication.EventHeaderSize:end] // data is its tail
		if err = e.DecodeData(len(body)-len(data), body); err == nil {
			t.normalizeRows(e.Rows)
		}
	default:
		if isCompressedRows(h.EventType) {
			if data, err = decompressRows(data); err != nil {
				break
			}
		}
		e.Rows, err = s.dec.decodeRows(t.plan, data, e.ColumnBitmap1, e.ColumnBitmap2)
	}
	if err != nil {
		return errkind.Terminal(fmt.Errorf(
			"binlog of source %q at %s:%d: the rows event of %s cannot be decoded: %w: "+
				"inspect the event that ends there with mysqlbinlog on the source, then take a new snapshot of the table",
			s.name, s.file, h.LogPos, t.table.QualifiedName(), err))
	}
	if e.Rows == nil {
		e.Rows = [][]any{}
	}
	return nil
}

func isCompressedRows(t replication.EventType) bool {
	switch t {
	case replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		return true
	}
	return false
}
