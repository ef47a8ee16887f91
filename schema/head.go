package schema

import "strings"

// headInfo is what the first words of a statement say, without a parser:
// enough to decide whether a statement the parser rejects can matter.
type headInfo struct {
	// relevant: a statement about tables, indexes or databases (CREATE,
	// ALTER, DROP, RENAME, TRUNCATE of TABLE, INDEX, DATABASE/SCHEMA).
	relevant bool
	// database: a database-level statement.
	database bool
	// tables named by the statement, as "db.table" (empty when not found).
	tables []string
	// cut is MariaDB syntax to remove before parsing ("OR REPLACE",
	// "ONLINE"); replace is set for CREATE OR REPLACE.
	cut     string
	replace bool
}

// scanHead reads the head of a DDL statement run with default database db.
func scanHead(sql, db string) headInfo {
	var h headInfo
	l := lexer{s: sql}
	verb := strings.ToUpper(l.word())
	switch verb {
	case "CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE":
	default:
		return h
	}
	// Modifiers up to the object keyword.
	var object string
	for i := 0; i < 8 && object == ""; i++ {
		start := l.pos
		w := strings.ToUpper(l.word())
		switch w {
		case "OR":
			if strings.EqualFold(l.peekWord(), "REPLACE") {
				l.word()
				h.cut, h.replace = sql[start:l.pos], true
			}
		case "ONLINE":
			h.cut = sql[start:l.pos]
		case "TEMPORARY", "IGNORE", "UNIQUE", "FULLTEXT", "SPATIAL", "DEFINER", "SQL", "ALGORITHM":
			if w == "DEFINER" || w == "ALGORITHM" {
				return h // views, triggers, routines, events
			}
		case "TABLE", "TABLES", "INDEX", "KEY", "DATABASE", "SCHEMA":
			object = w
		case "":
			if verb == "TRUNCATE" {
				object = "TABLE"
			}
			return h
		default:
			if verb == "TRUNCATE" { // TRUNCATE t, without TABLE
				l.pos = start
				object = "TABLE"
				break
			}
			return h
		}
	}
	h.relevant = object != ""
	switch object {
	case "DATABASE", "SCHEMA":
		h.database = true
		return h
	case "INDEX", "KEY":
		// CREATE INDEX x ON t / DROP INDEX x ON t
		l.ifExists()
		l.ident()
		if strings.EqualFold(l.word(), "ON") {
			if t, ok := l.table(db); ok {
				h.tables = append(h.tables, t)
			}
		}
		return h
	}
	l.ifExists()
	for {
		t, ok := l.table(db)
		if !ok {
			return h
		}
		h.tables = append(h.tables, t)
		l.blank()
		switch {
		case verb == "RENAME" && strings.EqualFold(l.peekWord(), "TO"):
			l.word()
			continue
		case (verb == "RENAME" || verb == "DROP") && strings.HasPrefix(l.s[l.pos:], ","):
			l.pos++
			continue
		}
		return h
	}
}

// lexer walks a statement's head: words, identifiers, blanks and comments.
type lexer struct {
	s   string
	pos int
}

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

// ident reads a bare or backtick-quoted identifier.
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

// table reads [db.]table.
func (l *lexer) table(db string) (string, bool) {
	first, ok := l.ident()
	if !ok {
		return "", false
	}
	if strings.HasPrefix(l.s[l.pos:], ".") {
		l.pos++
		second, ok := l.ident()
		if !ok {
			return "", false
		}
		return first + "." + second, true
	}
	return db + "." + first, true
}
