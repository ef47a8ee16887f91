package binlogreader

import (
	"math"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/change"
)

// A MariaDB system-versioned table logs its period in every binlog row
// (ROW START, ROW END) and, beside each current row it changes, the history
// row it keeps: an UPDATE is an update of the current row plus an insert of
// the old one with ROW END set to now, a DELETE is an update setting ROW
// END. Only current rows (ROW END at its maximum) are the table's content,
// so changes are taken from them alone:
//
//	insert, current                    insert
//	update, current → current          update
//	update, current → not current      delete (of the before image)
//	anything else                      history: dropped

// versioned is how a system-versioned table's binlog rows are read.
type versioned struct {
	rowEnd int // index of ROW END in a binlog row
	width  int // the table's columns: rows are cut to them (the implicit period is last)
}

// versionedOf returns how t's binlog rows are read; nil when t is not
// system-versioned.
func versionedOf(t *change.Table) *versioned {
	v := t.Versioning
	if v == nil {
		return nil
	}
	if v.RowEnd == "" {
		return &versioned{rowEnd: len(t.Columns) + 1, width: len(t.Columns)}
	}
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, v.RowEnd) {
			return &versioned{rowEnd: i, width: len(t.Columns)}
		}
	}
	return nil // the history lost the column: disagreement caught the count
}

// op is the change a rows-event row makes to the current rows (0: none);
// after is the update's after image.
func (v *versioned) op(op change.Op, row, after []any) change.Op {
	switch op {
	case change.OpInsert, change.OpDelete:
		if v.current(row) {
			return op
		}
	case change.OpUpdate:
		switch {
		case !v.current(row):
		case v.current(after):
			return change.OpUpdate
		default:
			return change.OpDelete
		}
	}
	return 0
}

// current reports whether a row image's ROW END holds its type's maximum:
// TIMESTAMP(6) 2038-01-19 03:14:07.999999 (2106-02-07 06:28:15.999999 from
// MariaDB 11.5 on 64-bit systems) in UTC, or the largest BIGINT UNSIGNED.
func (v *versioned) current(row []any) bool {
	if v.rowEnd >= len(row) {
		return true
	}
	switch x := row[v.rowEnd].(type) {
	case string: // as the row decoder renders a TIMESTAMP(6)
		return x == "2038-01-19 03:14:07.999999" || x == "2106-02-07 06:28:15.999999"
	case time.Time: // go-mysql's value for a column beyond the table's
		return x.Nanosecond() == 999999000 && (x.Unix() == 1<<31-1 || x.Unix() == 1<<32-1)
	case uint64:
		return x == math.MaxUint64
	case int64:
		return x == -1
	}
	return false
}
