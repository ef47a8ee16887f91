package binlog

import (
	"testing"
	"time"
)

func TestTruncates_CountedAndWarnedOncePerMinute(t *testing.T) {
	var tr truncates
	t0 := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		total   uint64
		at      time.Duration
		dropped uint64
		warn    bool
		count   uint64
	}{
		{0, 0, 0, false, 0},
		{1, 0, 1, true, 1},                 // the first one warns at once
		{3, 10 * time.Second, 2, false, 0}, // within the minute: counted only
		{3, 2 * time.Minute, 0, true, 2},   // the next warning reports those
		{4, 2*time.Minute + 10*time.Second, 1, false, 0},
		{4, 4 * time.Minute, 0, true, 1},  // the one left over
		{4, 6 * time.Minute, 0, false, 0}, // nothing new, nothing said
	} {
		d, w, c := tr.note(tc.total, t0.Add(tc.at))
		if d != tc.dropped || w != tc.warn || c != tc.count {
			t.Errorf("note(%d, +%s) = %d, %t, %d; want %d, %t, %d", tc.total, tc.at, d, w, c, tc.dropped, tc.warn, tc.count)
		}
	}
}
