package binlogreader

import "strings"

// queryKind classifies the statement of a QUERY event.
type queryKind uint8

const (
	queryOther    queryKind = iota // not DDL, not a transaction marker (GRANT, FLUSH, SAVEPOINT, ...)
	queryBegin                     // BEGIN, XA START
	queryCommit                    // COMMIT, ROLLBACK (ends the event group)
	queryDDL                       // CREATE, ALTER, DROP, RENAME, TRUNCATE
	queryDML                       // INSERT, UPDATE, DELETE, REPLACE, LOAD: statement-based logging
	queryXAMarker                  // XA END, XA PREPARE: inside an XA group
)

// classifyQuery looks at the first keywords of a statement, skipping leading
// comments and blanks.
func classifyQuery(q []byte) queryKind {
	s := skipBlank(string(q))
	w, rest := word(s)
	switch strings.ToUpper(w) {
	case "BEGIN":
		return queryBegin
	case "COMMIT":
		return queryCommit
	case "ROLLBACK":
		if w2, _ := word(skipBlank(rest)); strings.EqualFold(w2, "TO") {
			return queryOther // ROLLBACK TO SAVEPOINT stays inside the transaction
		}
		return queryCommit
	case "XA":
		w2, _ := word(skipBlank(rest))
		switch strings.ToUpper(w2) {
		case "START", "BEGIN":
			return queryBegin
		case "END", "PREPARE":
			return queryXAMarker
		}
		return queryOther // XA COMMIT / XA ROLLBACK: a group of its own
	case "CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE":
		return queryDDL
	case "INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD":
		return queryDML
	}
	return queryOther
}

// ddlTable returns the single table a DDL statement touches when that is
// trivially known (CREATE/ALTER/DROP/TRUNCATE TABLE of one table), with its
// schema defaulting to db; ok is false otherwise.
func ddlTable(q string, db string) (schema, table string, ok bool) {
	s := skipBlank(q)
	w, s := word(s)
	verb := strings.ToUpper(w)
	// Skip modifiers up to the TABLE keyword.
	for {
		s = skipBlank(s)
		w, rest := word(s)
		u := strings.ToUpper(w)
		if u == "TABLE" {
			s = rest
			break
		}
		switch u {
		case "OR", "REPLACE", "TEMPORARY", "ONLINE", "IGNORE":
			s = rest
			continue
		}
		if verb == "TRUNCATE" && w != "" { // TRUNCATE t, without TABLE
			break
		}
		return "", "", false
	}
	switch verb {
	case "CREATE", "ALTER", "DROP", "TRUNCATE":
	default:
		return "", "", false
	}
	// IF [NOT] EXISTS
	s = skipBlank(s)
	if w, rest := word(s); strings.EqualFold(w, "IF") {
		s = skipBlank(rest)
		if w, rest := word(s); strings.EqualFold(w, "NOT") {
			s = skipBlank(rest)
		}
		w, rest := word(s)
		if !strings.EqualFold(w, "EXISTS") {
			return "", "", false
		}
		s = rest
	}
	s = skipBlank(s)
	first, s, ok1 := ident(s)
	if !ok1 {
		return "", "", false
	}
	schema, table = db, first
	if strings.HasPrefix(s, ".") {
		second, rest, ok2 := ident(s[1:])
		if !ok2 {
			return "", "", false
		}
		schema, table, s = first, second, rest
	}
	if verb == "DROP" || verb == "TRUNCATE" {
		// DROP TABLE a, b touches several tables: not trivially known.
		if strings.HasPrefix(skipBlank(s), ",") {
			return "", "", false
		}
	}
	return schema, table, true
}

// skipBlank skips white space and comments (/* */, -- , #).
func skipBlank(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s[2:], "*/")
			if end < 0 {
				return ""
			}
			s = s[2+end+2:]
		case strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "#"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return ""
			}
			s = s[end+1:]
		default:
			return s
		}
	}
}

// word returns the leading run of letters, digits and underscores.
func word(s string) (string, string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			i++
			continue
		}
		break
	}
	return s[:i], s[i:]
}

// ident reads one identifier, quoted with backticks (a doubled backtick escapes one)
// or bare (letters, digits, _ and $, and any non-ASCII byte).
func ident(s string) (string, string, bool) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				return b.String(), s[i+1:], b.Len() > 0
			}
			b.WriteByte(s[i])
		}
		return "", "", false
	}
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 {
			i++
			continue
		}
		break
	}
	return s[:i], s[i:], i > 0
}

// dmlTable returns the target table of a statement-logged INSERT, REPLACE,
// UPDATE or DELETE (the first table for multi-table forms).
func dmlTable(q string, db string) (schema, table string, ok bool) {
	s := skipBlank(q)
	_, s = word(s) // the verb
	for {
		s = skipBlank(s)
		w, rest := word(s)
		switch strings.ToUpper(w) {
		case "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO", "QUICK", "FROM":
			s = rest
			continue
		}
		break
	}
	first, s, ok := ident(s)
	if !ok {
		return "", "", false
	}
	if strings.HasPrefix(s, ".") {
		second, _, ok := ident(s[1:])
		if !ok {
			return "", "", false
		}
		return first, second, true
	}
	return db, first, true
}
