package topology

import (
	"strings"
	"unicode/utf8"
)

// Match returns the include rule that selects table db.table, or false when
// no rule does or an exclude pattern matches (excludes win). The first
// matching rule in file order wins.
//
// Patterns are "db.table"; the pattern is split at its first dot and each
// part is matched on its own, so '*' never crosses from the database name
// into the table name. '*' matches any run of characters (also none), '?'
// exactly one character. Matching is case-sensitive, as MySQL compares
// database and table names on Linux (lower_case_table_names=0); write the
// names as the server stores them.
func (o *Objects) Match(db, table string) (*TableRule, bool) {
	for _, p := range o.Exclude {
		if MatchPattern(p, db, table) {
			return nil, false
		}
	}
	return matchRules(o.Tables, db, table)
}

// MatchDatabase reports whether a table of database db may be selected: an
// include pattern's database part matches db, and no exclude pattern takes
// the whole database ("db.*"). It judges database-level statements (CREATE,
// ALTER, DROP DATABASE).
func (o *Objects) MatchDatabase(db string) bool {
	for _, p := range o.Exclude {
		if pdb, ptable, ok := strings.Cut(p, "."); ok && ptable == "*" && glob(pdb, db) {
			return false
		}
	}
	for _, r := range o.Tables {
		if pdb, _, ok := strings.Cut(r.Pattern, "."); ok && glob(pdb, db) {
			return true
		}
	}
	return false
}

// Match returns the first rule of the transform that matches db.table; a
// table no rule matches passes the transform unchanged.
func (t *Transform) Match(db, table string) (*TableRule, bool) {
	return matchRules(t.Tables, db, table)
}

func matchRules(rules []*TableRule, db, table string) (*TableRule, bool) {
	for _, r := range rules {
		if MatchPattern(r.Pattern, db, table) {
			return r, true
		}
	}
	return nil, false
}

// MatchPattern reports whether the "db.table" pattern (wildcards '*' and
// '?') matches database db and table table. It does not allocate.
func MatchPattern(pattern, db, table string) bool {
	pdb, ptable, ok := strings.Cut(pattern, ".")
	if !ok {
		return false
	}
	return glob(pdb, db) && glob(ptable, table)
}

// glob matches s against p, where '*' is any run of characters and '?' one
// character (a UTF-8 rune). It backtracks only to the last '*', so it runs in
// O(len(p)·len(s)) at worst.
func glob(p, s string) bool {
	var pi, si int
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[si:])
				pi++
				si += n
				continue
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starS:])
		starS += n
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// patternsOverlap reports whether some "db.table" name matches both
// patterns.
func patternsOverlap(a, b string) bool {
	adb, at, _ := strings.Cut(a, ".")
	bdb, bt, _ := strings.Cut(b, ".")
	return globsIntersect(adb, bdb) && globsIntersect(at, bt)
}

// globsIntersect reports whether some string matches both glob patterns. It
// works on bytes, which is exact for the ASCII names tables almost always
// have and errs towards "overlap" otherwise.
func globsIntersect(a, b string) bool {
	memo := make(map[[2]int]bool)
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := [2]int{i, j}
		if v, ok := memo[k]; ok {
			return v
		}
		var r bool
		switch {
		case i < len(a) && a[i] == '*':
			r = f(i+1, j) || (j < len(b) && f(i, j+1))
		case j < len(b) && b[j] == '*':
			r = f(i, j+1) || (i < len(a) && f(i+1, j))
		case i == len(a) || j == len(b):
			r = i == len(a) && j == len(b)
		default:
			r = (a[i] == '?' || b[j] == '?' || a[i] == b[j]) && f(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return f(0, 0)
}

// checkPattern returns what is wrong with a "db.table" pattern, or "".
func checkPattern(p string) string {
	db, table, ok := strings.Cut(p, ".")
	switch {
	case p == "":
		return "is empty"
	case !ok:
		return "has no dot between database and table"
	case db == "":
		return "has an empty database part"
	case table == "":
		return "has an empty table part"
	case strings.ContainsAny(p, " \t\r\n`"):
		return "contains a space or a backquote"
	case !utf8.ValidString(p):
		return "is not valid UTF-8"
	}
	return ""
}

// Rules returns the rules that apply to table db.table on pipeline p, in
// the order they apply: the source's include rule, then each transform's
// first matching rule; false when the source does not select the table.
func (p *Pipeline) Rules(db, table string) ([]*TableRule, bool) {
	rule, ok := p.Source.Objects.Match(db, table)
	if !ok {
		return nil, false
	}
	rules := []*TableRule{rule}
	for _, tr := range p.Transforms {
		if r, ok := tr.Match(db, table); ok {
			rules = append(rules, r)
		}
	}
	return rules, true
}

// Topic is the topic rows of db.table take on p: the last of its rules
// (see Rules) that names one, else the sink's topic.
func (p *Pipeline) Topic(db, table string) string {
	rules, _ := p.Rules(db, table)
	t := p.Sink.Topic
	for _, r := range rules {
		if r.Topic != "" {
			t = r.Topic
		}
	}
	return t
}
