package gtid

import (
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

func TestOrdinal(t *testing.T) {
	for _, tc := range []struct {
		flavor topology.Flavor
		set    string
		want   uint64
	}{
		{topology.FlavorMySQL, "", 0},
		{topology.FlavorMySQL, uuidA + ":1-100", 100},
		{topology.FlavorMySQL, uuidA + ":1-100:120," + uuidB + ":1-5", 106},
		{topology.FlavorMySQL, uuidA + ":1-10:audit:1-2", 12},
		{topology.FlavorMariaDB, "", 0},
		{topology.FlavorMariaDB, "0-1-17", 17},
		{topology.FlavorMariaDB, "0-2-18,1-7-12", 30},
	} {
		got, err := Ordinal(tc.flavor, tc.set)
		if err != nil || got != tc.want {
			t.Errorf("Ordinal(%s, %q) = %d, %v; want %d", tc.flavor, tc.set, got, err, tc.want)
		}
	}
	if _, err := Ordinal(topology.FlavorMariaDB, "x"); err == nil {
		t.Error("Ordinal of a malformed set: no error")
	}
}

// The ordinal of the boundary after a transaction is the same on the old
// primary and on the replica promoted after it: the replica's own
// transactions continue the count.
func TestOrdinal_GrowsAcrossFailover(t *testing.T) {
	for _, tc := range []struct {
		flavor  topology.Flavor
		history []string // boundaries in binlog order; the switch happens mid-list
	}{
		{topology.FlavorMariaDB, []string{"0-1-5", "0-1-6", "0-2-7", "0-2-8"}},
		{topology.FlavorMySQL, []string{uuidA + ":1-5", uuidA + ":1-6", uuidA + ":1-6," + uuidB + ":1", uuidA + ":1-6," + uuidB + ":1-2"}},
	} {
		var last uint64
		for i, set := range tc.history {
			n, err := Ordinal(tc.flavor, set)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && n <= last {
				t.Errorf("%s: Ordinal(%q) = %d, not above the previous boundary's %d", tc.flavor, set, n, last)
			}
			last = n
		}
	}
}
