package topology

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseFilter_Valid(t *testing.T) {
	num := func(s string) Literal { return Literal{IsNumber: true, Text: s} }
	str := func(s string) Literal { return Literal{Text: s} }
	for _, tc := range []struct {
		in   string
		want *Expr
		str  string // String(), when it differs from in
	}{
		{in: "a = 1", want: &Expr{Op: OpEq, Column: "a", Values: []Literal{num("1")}}},
		{in: "a <> 'x'", want: &Expr{Op: OpNe, Column: "a", Values: []Literal{str("x")}}, str: "a != 'x'"},
		{in: "a != -1.5e3", want: &Expr{Op: OpNe, Column: "a", Values: []Literal{num("-1.5e3")}}},
		{in: "a<=.5", want: &Expr{Op: OpLe, Column: "a", Values: []Literal{num(".5")}}, str: "a <= .5"},
		{in: "name = 'it''s'", want: &Expr{Op: OpEq, Column: "name", Values: []Literal{str("it's")}}},
		{in: "a in (1, 'b')", want: &Expr{Op: OpIn, Column: "a", Values: []Literal{num("1"), str("b")}}, str: "a IN (1, 'b')"},
		{in: "a is null", want: &Expr{Op: OpIsNull, Column: "a"}, str: "a IS NULL"},
		{in: "a IS NOT NULL", want: &Expr{Op: OpIsNotNull, Column: "a"}},
		{in: "`order` > 2", want: &Expr{Op: OpGt, Column: "order", Values: []Literal{num("2")}}, str: "order > 2"},
		{in: "`in` > 2", want: &Expr{Op: OpGt, Column: "in", Values: []Literal{num("2")}}},
		{in: "`we``ird` >= 2", want: &Expr{Op: OpGe, Column: "we`ird", Values: []Literal{num("2")}}},
		{in: "a = 1 OR b = 2 AND c = 3", want: &Expr{Op: OpOr,
			Left:  &Expr{Op: OpEq, Column: "a", Values: []Literal{num("1")}},
			Right: &Expr{Op: OpAnd, Left: &Expr{Op: OpEq, Column: "b", Values: []Literal{num("2")}}, Right: &Expr{Op: OpEq, Column: "c", Values: []Literal{num("3")}}}}},
		{in: "(a = 1 OR b = 2) AND c < 3", want: &Expr{Op: OpAnd,
			Left:  &Expr{Op: OpOr, Left: &Expr{Op: OpEq, Column: "a", Values: []Literal{num("1")}}, Right: &Expr{Op: OpEq, Column: "b", Values: []Literal{num("2")}}},
			Right: &Expr{Op: OpLt, Column: "c", Values: []Literal{num("3")}}}},
		{in: "a = 1 AND (b = 2 AND c = 3)", want: &Expr{Op: OpAnd,
			Left:  &Expr{Op: OpEq, Column: "a", Values: []Literal{num("1")}},
			Right: &Expr{Op: OpAnd, Left: &Expr{Op: OpEq, Column: "b", Values: []Literal{num("2")}}, Right: &Expr{Op: OpEq, Column: "c", Values: []Literal{num("3")}}}}},
		{in: "((a = 1))", want: &Expr{Op: OpEq, Column: "a", Values: []Literal{num("1")}}, str: "a = 1"},
		{in: "naïve = 'ü'", want: &Expr{Op: OpEq, Column: "naïve", Values: []Literal{str("ü")}}},
	} {
		got, err := ParseFilter(tc.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseFilter(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
		wantStr := tc.str
		if wantStr == "" {
			wantStr = tc.in
		}
		if got.String() != wantStr {
			t.Errorf("String() = %q, want %q", got.String(), wantStr)
		}
		again, err := ParseFilter(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("String() of %q does not parse back: %v", tc.in, err)
		}
	}
}

func TestParseFilter_Errors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "the filter is empty"},
		{"a =", 3, "expected a number or a 'quoted string' but found end of filter"},
		{"a = b", 4, "expected a number or a 'quoted string' but found column b; filters compare columns with constants only"},
		{"a = 'x", 4, "string not closed; end it with '"},
		{`a = "x"`, 4, `strings take single quotes ('text'), not double quotes`},
		{"a = 1 b = 2", 6, "unexpected column b after a complete condition; join conditions with AND or OR"},
		{"(a = 1", 0, "parenthesis not closed; add )"},
		{"a IN 1", 5, "expected ( after IN but found number 1"},
		{"a IN (1 2)", 8, "expected , or ) in the IN list but found number 2"},
		{"a IS 1", 5, "expected NULL after IS but found number 1"},
		{"a IS NOT x", 9, "expected NULL after IS NOT but found column x"},
		{"a = NULL", 4, "NULL never compares equal; write a IS NULL or IS NOT NULL"},
		{"a LIKE 'x%'", 2, "expected an operator (=, !=, <>, <, >, <=, >=, IN, IS NULL) after column a but found column LIKE"},
		{"AND a = 1", 0, `expected a column name but found "AND"`},
		{"a = 1e", 4, "malformed number: exponent has no digits"},
		{"a = 12abc", 4, `malformed number "12a"`},
		{"a ~ 1", 2, `unexpected character '~'`},
		{"`` = 1", 0, "empty column name"},
		{"a = 1 AND", 9, "expected a column name but found end of filter"},
	} {
		_, err := ParseFilter(tc.in)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFilter(%q) error = %v, want a *FilterError", tc.in, err)
			continue
		}
		if fe.Offset != tc.offset || fe.Msg != tc.msg {
			t.Errorf("ParseFilter(%q) = offset %d %q; want offset %d %q", tc.in, fe.Offset, fe.Msg, tc.offset, tc.msg)
		}
	}
}

func TestParseFilter_DepthBound(t *testing.T) {
	deep := ""
	for range maxFilterDepth + 1 {
		deep += "("
	}
	if _, err := ParseFilter(deep + "a = 1"); err == nil {
		t.Fatal("nesting beyond the bound accepted")
	}
}

func TestExpr_Columns(t *testing.T) {
	e, err := ParseFilter("a = 1 AND (b IS NULL OR a IN (2, 3)) AND c > 0")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Columns(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("Columns() = %v", got)
	}
}
