package partitions

import (
	"strconv"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/internal/errkind"
)

func TestChanged(t *testing.T) {
	for _, tc := range []struct {
		name        string
		known, have Counts
		want        string // topics reported, in order
	}{
		{"same", Counts{"a": 3, "b": 1}, Counts{"a": 3, "b": 1}, ""},
		{"grown", Counts{"a": 3, "b": 1}, Counts{"a": 6, "b": 1}, "a:3>6"},
		{"two changed, sorted", Counts{"b": 2, "a": 3}, Counts{"a": 4, "b": 1}, "a:3>4 b:2>1"},
		{"missing now: the writer's error", Counts{"a": 3}, Counts{}, ""},
		{"new topic: nothing recorded", Counts{}, Counts{"a": 3}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, c := range Changed("kafka", tc.known, tc.have) {
				got = append(got, c.Topic+":"+strconv.Itoa(c.Was)+">"+strconv.Itoa(c.Now))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("Changed = %q, want %q", g, tc.want)
			}
			err := Check("kafka", tc.known, tc.have)
			if (err != nil) != (tc.want != "") || (err != nil && !errkind.IsTerminal(err)) {
				t.Fatalf("Check = %v; want a terminal error exactly when a count changed", err)
			}
		})
	}
}

func TestChangedError_NamesTopicCountsAndFix(t *testing.T) {
	msg := (&ChangedError{Sink: "kafka", Topic: "orders", Was: 3, Now: 6}).Error()
	for _, s := range []string{`sink "kafka"`, "topic orders has 6 partitions but had 3", "recreate topic orders with 3 partitions",
		"new snapshot into a fresh topic", "Changing a topic's partition count"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q: %s", s, msg)
		}
	}
}
