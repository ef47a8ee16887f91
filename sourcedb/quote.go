package sourcedb

// QuoteIdent quotes a MySQL identifier with backticks.
func QuoteIdent(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '`')
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			b = append(b, '`')
		}
		b = append(b, s[i])
	}
	return string(append(b, '`'))
}

// QuoteString renders s as a single-quoted SQL string literal, escaped with
// backslashes (the sessions Dial prepares have no NO_BACKSLASH_ESCAPES).
func QuoteString(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b = append(b, '\\', c)
		case 0:
			b = append(b, '\\', '0')
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '\''))
}

// Qualified is `db`.`table`.
func Qualified(db, table string) string { return QuoteIdent(db) + "." + QuoteIdent(table) }
