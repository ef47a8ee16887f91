package sourcedb

import (
	"reflect"
	"testing"
)

func TestParseElements_Escapes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"enum('small','large')", []string{"small", "large"}},
		{"set('a','b','c')", []string{"a", "b", "c"}},
		{"enum('it''s','x,y','a\\\\b','')", []string{"it's", "x,y", `a\b`, ""}},
		{"enum('(',')')", []string{"(", ")"}},
		{"int(11)", nil},
	} {
		if got := parseElements(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseElements(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
