package binlogreader

import (
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
)

func TestVersioned_Op(t *testing.T) {
	tbl := &change.Table{Columns: []change.Column{{Name: "id"}, {Name: "a"}}, Versioning: &change.Versioning{}}
	v := versionedOf(tbl)
	if v == nil || v.rowEnd != 3 || v.width != 2 {
		t.Fatalf("implicit period: %+v", v)
	}
	// TIMESTAMP(6) as go-mysql decodes it with ParseTime.
	start := time.Unix(1704067200, 0)
	cur := []any{int32(1), "x", start, time.Unix(1<<31-1, 999999000)}
	hist := []any{int32(1), "x", start, time.Unix(1717200000, 0)}
	if !v.current([]any{int32(1), "x", start, time.Unix(1<<32-1, 999999000)}) {
		t.Error("ROW END 2106-02-07 06:28:15.999999 (MariaDB 11.5 on 64-bit) is not current")
	}
	for _, tc := range []struct {
		name       string
		op         change.Op
		row, after []any
		want       change.Op
	}{
		{"insert of a current row", change.OpInsert, cur, nil, change.OpInsert},
		{"insert of a history row (an UPDATE's old version)", change.OpInsert, hist, nil, 0},
		{"update of a current row", change.OpUpdate, cur, cur, change.OpUpdate},
		{"update ending a current row (a DELETE)", change.OpUpdate, cur, hist, change.OpDelete},
		{"update of a history row", change.OpUpdate, hist, hist, 0},
		{"delete of a history row (DELETE HISTORY)", change.OpDelete, hist, nil, 0},
		{"delete of a current row", change.OpDelete, cur, nil, change.OpDelete},
	} {
		if got := v.op(tc.op, tc.row, tc.after); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	declared := versionedOf(&change.Table{Columns: []change.Column{{Name: "id"}, {Name: "E"}}, Versioning: &change.Versioning{RowEnd: "e", ByTransaction: true}})
	if declared == nil || declared.rowEnd != 1 || !declared.current([]any{int32(1), uint64(1<<64 - 1)}) || declared.current([]any{int32(1), uint64(7)}) {
		t.Errorf("declared period by transaction id: %+v", declared)
	}
}
