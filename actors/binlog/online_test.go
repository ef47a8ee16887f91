package binlog

import (
	"testing"

	"github.com/sluicecdc/sluice/change"
)

func TestComparePos(t *testing.T) {
	for _, tc := range []struct {
		a, b change.Position
		want int
	}{
		{change.Position{File: "bin.000001", Pos: 4}, change.Position{File: "bin.000001", Pos: 4}, 0},
		{change.Position{File: "bin.000001", Pos: 900}, change.Position{File: "bin.000002", Pos: 4}, -1},
		{change.Position{File: "bin.000002", Pos: 4}, change.Position{File: "bin.000001", Pos: 900}, 1},
		{change.Position{File: "bin.000001", Pos: 5}, change.Position{File: "bin.000001", Pos: 4}, 1},
		// Past 999999 the suffix grows a digit: a longer name is later.
		{change.Position{File: "bin.999999", Pos: 9}, change.Position{File: "bin.1000000", Pos: 4}, -1},
	} {
		if got := comparePos(tc.a, tc.b); got != tc.want {
			t.Errorf("comparePos(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
