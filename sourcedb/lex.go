package sourcedb

import "strings"

// lexer walks the head of a statement: words, identifiers, blanks and
// comments. It is the only MySQL lexer here; the TiDB parser does the rest.
type lexer struct {
	s   string
	pos int
}

// blank skips white space and comments (/* */, "-- ", #).
func (l *lexer) blank() {
	for l.pos < len(l.s) {
		rest := l.s[l.pos:]
		switch {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\n':
			l.pos++
		case strings.HasPrefix(rest, "/*"):
			end := strings.Index(rest[2:], "*/")
			if end < 0 {
				l.pos = len(l.s)
				return
			}
			l.pos += 2 + end + 2
		case strings.HasPrefix(rest, "-- ") || rest[0] == '#':
			end := strings.IndexByte(rest, '\n')
			if end < 0 {
				l.pos = len(l.s)
				return
			}
			l.pos += end + 1
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// word reads the next bare word ("" when a quote, a symbol or the end
// follows).
func (l *lexer) word() string {
	l.blank()
	start := l.pos
	for l.pos < len(l.s) && isWordByte(l.s[l.pos]) {
		l.pos++
	}
	return l.s[start:l.pos]
}

func (l *lexer) peekWord() string {
	save := l.pos
	w := l.word()
	l.pos = save
	return w
}

// ifExists skips IF EXISTS and IF NOT EXISTS.
func (l *lexer) ifExists() {
	save := l.pos
	if !strings.EqualFold(l.word(), "IF") {
		l.pos = save
		return
	}
	w := l.word()
	if strings.EqualFold(w, "NOT") {
		w = l.word()
	}
	if !strings.EqualFold(w, "EXISTS") {
		l.pos = save
	}
}

// ident reads a bare or backtick-quoted identifier (a doubled backtick
// stands for one).
func (l *lexer) ident() (string, bool) {
	l.blank()
	if l.pos < len(l.s) && l.s[l.pos] == '`' {
		var b strings.Builder
		for i := l.pos + 1; i < len(l.s); i++ {
			if l.s[i] == '`' {
				if i+1 < len(l.s) && l.s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				l.pos = i + 1
				return b.String(), b.Len() > 0
			}
			b.WriteByte(l.s[i])
		}
		return "", false
	}
	w := l.word()
	return w, w != ""
}

// table reads [db.]table, the database defaulting to db.
func (l *lexer) table(db string) (TableName, bool) {
	first, ok := l.ident()
	if !ok {
		return TableName{}, false
	}
	if strings.HasPrefix(l.s[l.pos:], ".") {
		l.pos++
		second, ok := l.ident()
		if !ok {
			return TableName{}, false
		}
		return TableName{Schema: first, Name: second}, true
	}
	return TableName{Schema: db, Name: first}, true
}

// Ident reads one identifier, bare or quoted with backticks, at the start of
// s (after blanks and comments) and returns it with the rest of s.
func Ident(s string) (id, rest string, ok bool) {
	l := lexer{s: s}
	id, ok = l.ident()
	return id, s[l.pos:], ok
}

// Mentions reports whether an identifier of the statement sql (bare or
// quoted, outside string literals) is name, without regard to case. An
// unterminated quote counts as a mention: it cannot be ruled out.
func Mentions(sql, name string) bool {
	l := lexer{s: sql}
	for l.pos < len(sql) {
		c := sql[l.pos]
		switch {
		case c == '\'' || c == '"':
			j := l.pos + 1
			for j < len(sql) && sql[j] != c {
				if sql[j] == '\\' {
					j++
				}
				j++
			}
			l.pos = j + 1
		case c == '`' || isWordByte(c):
			id, ok := l.ident()
			if !ok {
				return true
			}
			if strings.EqualFold(id, name) {
				return true
			}
		default:
			l.pos++
		}
	}
	return false
}
