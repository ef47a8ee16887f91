package topology

import (
	"testing"
)

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, db, table string
		want               bool
	}{
		{"shop.orders", "shop", "orders", true},
		{"shop.orders", "shop", "orders2", false},
		{"shop.orders", "Shop", "orders", false}, // case-sensitive
		{"shop.*", "shop", "", true},
		{"shop.*", "shop", "anything", true},
		{"shop.order?", "shop", "orders", true},
		{"shop.order?", "shop", "order", false},
		{"shop.order?", "shop", "orderss", false},
		{"*.orders", "a", "orders", true},
		{"*.orders", "a.b", "orders", true}, // the db part is matched alone
		{"s*p.*_tmp", "shop", "x_tmp", true},
		{"s*p.*_tmp", "shop", "x_tmpx", false},
		{"shop.a*b*c", "shop", "aXbYbZc", true},
		{"shop.a*b*c", "shop", "aXbYbZ", false},
		{"shop.???", "shop", "été", true}, // ? is one character, not one byte
		{"shop.??", "shop", "été", false},
		{"shop.**", "shop", "x", true},
		{"shop.x.y", "shop", "x.y", true}, // split at the first dot only
		{"nodot", "nodot", "", false},
		{"shop.*", "shopping", "x", false},
	} {
		if got := MatchPattern(tc.pattern, tc.db, tc.table); got != tc.want {
			t.Errorf("MatchPattern(%q, %q, %q) = %v, want %v", tc.pattern, tc.db, tc.table, got, tc.want)
		}
	}
}

func TestObjects_Match_ExcludeWinsFirstRuleWins(t *testing.T) {
	a := &TableRule{Pattern: "shop.orders", Topic: "a"}
	b := &TableRule{Pattern: "shop.*", Topic: "b"}
	o := &Objects{Tables: []*TableRule{a, b}, Exclude: []string{"shop.*_tmp", "shop.orders"}}
	for _, tc := range []struct {
		db, table string
		want      *TableRule
	}{
		{"shop", "orders", nil}, // excluded although a rule names it exactly
		{"shop", "items", b},
		{"shop", "items_tmp", nil},
		{"crm", "items", nil},
	} {
		got, ok := o.Match(tc.db, tc.table)
		if got != tc.want || ok != (tc.want != nil) {
			t.Errorf("Match(%s.%s) = %v, %v; want %v", tc.db, tc.table, got, ok, tc.want)
		}
	}
	o.Exclude = nil
	if got, _ := o.Match("shop", "orders"); got != a {
		t.Errorf("first matching rule must win, got %v", got)
	}
	tr := &Transform{Tables: []*TableRule{b}}
	if got, ok := tr.Match("shop", "x"); !ok || got != b {
		t.Error("transform rule not matched")
	}
	if _, ok := tr.Match("crm", "x"); ok {
		t.Error("transform matched a table no rule names")
	}
}

func TestObjects_MatchDatabase(t *testing.T) {
	o := &Objects{Tables: []*TableRule{{Pattern: "shop.orders"}, {Pattern: "app_*.*"}}, Exclude: []string{"app_old.*", "shop.tmp_*"}}
	for db, want := range map[string]bool{
		"shop": true, "app_x": true, "app_old": false, "crm": false, "": false,
	} {
		if got := o.MatchDatabase(db); got != want {
			t.Errorf("MatchDatabase(%q) = %t, want %t", db, got, want)
		}
	}
}

func TestMatchPattern_NoAllocations(t *testing.T) {
	o := &Objects{Tables: []*TableRule{{Pattern: "shop.order*"}}, Exclude: []string{"shop.*_tmp"}}
	allocs := testing.AllocsPerRun(100, func() { o.Match("shop", "order_items") })
	if allocs != 0 {
		t.Fatalf("Match allocates %v times per call", allocs)
	}
}

func TestPatternsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"shop.orders", "shop.orders", true},
		{"shop.orders", "shop.order*", true},
		{"shop.order?", "shop.*s", true},
		{"shop.a*", "shop.b*", false},
		{"shop.*", "crm.*", false},
		{"*.x", "shop.*", true},
		{"shop.a*z", "shop.*y", false},
		{"shop.?", "shop.ab", false},
		{"s?op.t", "sh*.t", true},
	} {
		if got := patternsOverlap(tc.a, tc.b); got != tc.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := patternsOverlap(tc.b, tc.a); got != tc.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v (not symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func BenchmarkObjects_Match(b *testing.B) {
	o := &Objects{
		Tables:  []*TableRule{{Pattern: "shop.orders"}, {Pattern: "shop.order_*"}, {Pattern: "crm.*"}},
		Exclude: []string{"*.*_tmp"},
	}
	b.ReportAllocs()
	for b.Loop() {
		o.Match("crm", "contacts")
	}
}
