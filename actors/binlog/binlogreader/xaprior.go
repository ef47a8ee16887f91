package binlogreader

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// priorScanLimit bounds the binlog events read back to find an XA PREPARE
// written before the stream started.
const priorScanLimit = 1_000_000

// priorXA finds, reading the binlog backwards from before (the XA COMMIT's
// event) with SHOW BINLOG EVENTS, the last XA group of xid, and reports
// whether it changed a selected table (a TABLE_MAP of one). found is false
// when none is within priorScanLimit events. SHOW BINLOG EVENTS shows no
// row data: the group can be judged, not read.
func (s *Stream) priorXA(ctx context.Context, xid sourcedb.XID, before change.Position) (selected, found bool, err error) {
	c, err := sourcedb.Dial(ctx, s.src)
	if err != nil {
		return false, false, err
	}
	defer c.Close()
	r, err := c.Execute("SHOW BINARY LOGS")
	if err != nil {
		return false, false, fmt.Errorf("SHOW BINARY LOGS: %w", err)
	}
	var files []string
	for i := range r.Values {
		if f := string(r.Values[i][0].AsString()); f <= before.File {
			files = append(files, f)
		}
	}
	start := "XA START " + xid.String()
	budget := priorScanLimit
	for i := len(files) - 1; i >= 0 && budget > 0; i-- {
		in, sel, ok := false, false, false
		for from := uint64(4); budget > 0; {
			r, err := c.Execute("SHOW BINLOG EVENTS IN " + sourcedb.QuoteString(files[i]) + " FROM " + strconv.FormatUint(from, 10) +
				" LIMIT " + strconv.Itoa(headScanLimit))
			if err != nil {
				return false, false, fmt.Errorf("SHOW BINLOG EVENTS IN %s: %w", files[i], err)
			}
			typ, end, info := r.FieldNames["Event_type"], r.FieldNames["End_log_pos"], r.FieldNames["Info"]
			done := len(r.Values) < headScanLimit
			for _, row := range r.Values {
				budget--
				e, _ := sourcedb.FieldUint(&row[end])
				if files[i] == before.File && e >= uint64(before.Pos) {
					done = true
					break
				}
				from = e
				text := string(row[info].AsString())
				switch string(row[typ].AsString()) {
				case "Gtid", "Query": // MariaDB flags its GTID event, MySQL logs a statement
					if strings.HasPrefix(text, start) || strings.HasPrefix(text, "use ") && strings.Contains(text, "; "+start) {
						in, sel, ok = true, false, true
					}
				case "Table_map":
					if in && !sel {
						sel = s.mapsSelected(text)
					}
				case "XA_prepare":
					in = false
				}
			}
			if done || len(r.Values) == 0 {
				break
			}
		}
		if ok {
			return sel, true, nil
		}
	}
	return false, false, nil
}

// mapsSelected reads SHOW BINLOG EVENTS' text of a TABLE_MAP, "table_id: 7
// (db.table)", and reports whether the table is selected; when the name
// cannot be read, it counts as selected.
func (s *Stream) mapsSelected(info string) bool {
	open, end := strings.LastIndexByte(info, '('), strings.LastIndexByte(info, ')')
	if open < 0 || end < open {
		return true
	}
	db, table, ok := strings.Cut(info[open+1:end], ".")
	return !ok || s.tables.selects(db, table)
}
