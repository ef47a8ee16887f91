package gtid

import "testing"

func TestSameAt(t *testing.T) {
	for _, c := range []struct {
		at, set string
		same    bool
	}{
		{"0-1-517", "0-1-517", true},
		{"0-1-517,1-2-9", "0-1-517", true}, // a domain the checkpoint does not name
		{"1-2-9,0-1-517", "0-1-517,1-2-9", true},
		{"0-1-12", "0-1-517", false}, // RESET MASTER, then fewer transactions
		{"0-1-900", "0-1-517", false},
		{"0-3-517", "0-1-517", false}, // another originating server
		{"", "0-1-517", false},
	} {
		if err := SameAt(c.at, c.set); (err == nil) != c.same {
			t.Errorf("SameAt(%q, %q) = %v, want same=%v", c.at, c.set, err, c.same)
		}
	}
}
