package precheck

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// grant is one parsed line of SHOW GRANTS.
type grant struct {
	// privs holds normalised privilege names ("SELECT", "REPLICATION
	// CLIENT", "ALL"); column-level privileges are left out.
	privs map[string]bool
	// db and table name the object; "*" is any. db is a LIKE pattern (with
	// '%', '_' and '\' escapes) as MySQL stores database-level grants.
	db, table string
	// role is set for "GRANT role TO user" lines; roles names the roles.
	role  bool
	roles []string
}

// privAliases maps privilege spellings to one name.
var privAliases = map[string]string{
	"ALL PRIVILEGES":      "ALL",
	"BINLOG MONITOR":      "REPLICATION CLIENT", // MariaDB 10.5+ name
	"REPLICATION REPLICA": "REPLICATION SLAVE",
}

// parseGrant parses one SHOW GRANTS line of MySQL or MariaDB. ok is false
// for lines it does not understand (they grant nothing it looks for).
func parseGrant(line string) (g grant, ok bool) {
	s := strings.TrimSpace(line)
	if len(s) < 6 || !strings.EqualFold(s[:6], "GRANT ") {
		return grant{}, false
	}
	s = s[6:]
	on := indexKeyword(s, " ON ")
	to := indexKeyword(s, " TO ")
	if to < 0 {
		return grant{}, false
	}
	if on < 0 || on > to {
		// GRANT `role`@`%`, `r2` TO user: a role grant.
		g.role = true
		for _, r := range splitTop(s[:to]) {
			g.roles = append(g.roles, strings.TrimSpace(r))
		}
		return g, true
	}
	g.privs = map[string]bool{}
	for _, p := range splitTop(s[:on]) {
		p = strings.Join(strings.Fields(strings.ToUpper(p)), " ")
		if p == "" || strings.Contains(p, "(") {
			continue // column-level: does not cover the whole table
		}
		if a, ok := privAliases[p]; ok {
			p = a
		}
		g.privs[p] = true
	}
	obj := strings.TrimSpace(s[on+4 : to])
	if u := strings.ToUpper(obj); strings.HasPrefix(u, "FUNCTION ") || strings.HasPrefix(u, "PROCEDURE ") || strings.HasPrefix(u, "PACKAGE ") {
		return grant{}, false
	} else if strings.HasPrefix(u, "TABLE ") {
		obj = strings.TrimSpace(obj[6:])
	}
	db, rest, ok := readIdent(obj)
	if !ok || !strings.HasPrefix(rest, ".") {
		return grant{}, false
	}
	table, rest, ok := readIdent(rest[1:])
	if !ok || strings.TrimSpace(rest) != "" {
		return grant{}, false
	}
	g.db, g.table = db, table
	return g, true
}

// eachTop calls f with the offset of every byte of s that stands outside
// backticks, quotes and parentheses, until f returns false.
func eachTop(s string, f func(i int) bool) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '`' || c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && !f(i):
			return
		}
	}
}

// indexKeyword finds kw (e.g. " ON ") outside backticks, quotes and
// parentheses, case-insensitively; -1 when absent.
func indexKeyword(s, kw string) int {
	at := -1
	eachTop(s, func(i int) bool {
		if i+len(kw) <= len(s) && strings.EqualFold(s[i:i+len(kw)], kw) {
			at = i
			return false
		}
		return true
	})
	return at
}

// splitTop splits s at commas outside parentheses and quotes.
func splitTop(s string) []string {
	var out []string
	start := 0
	eachTop(s, func(i int) bool {
		if s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
		return true
	})
	return append(out, s[start:])
}

// readIdent reads "*" or an identifier (sourcedb.Ident) from the start of s.
func readIdent(s string) (id, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, "*") {
		return "*", s[1:], true
	}
	return sourcedb.Ident(s)
}

// likeMatch matches s against a LIKE pattern with '%', '_' and '\' escapes
// (how database-level grants name databases).
func likeMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeMatch(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeMatch(p[1:], s[1:])
	case '\\':
		if len(p) > 1 {
			return s != "" && s[0] == p[1] && likeMatch(p[2:], s[1:])
		}
	}
	return s != "" && s[0] == p[0] && likeMatch(p[1:], s[1:])
}

// grants is an account's parsed SHOW GRANTS.
type grants []grant

func parseGrants(lines []string) grants {
	var gs grants
	for _, l := range lines {
		if g, ok := parseGrant(l); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// global reports whether priv is granted on *.*.
func (gs grants) global(priv string) bool {
	for _, g := range gs {
		if !g.role && g.db == "*" && (g.privs[priv] || g.privs["ALL"]) {
			return true
		}
	}
	return false
}

// on reports whether priv is granted on table db.table, globally, on its
// database or on the table itself.
func (gs grants) on(priv, db, table string) bool {
	for _, g := range gs {
		if g.role || !(g.privs[priv] || g.privs["ALL"]) {
			continue
		}
		switch {
		case g.db == "*":
			return true
		case g.table == "*" && likeMatch(g.db, db):
			return true
		case g.db == db && g.table == table:
			return true
		}
	}
	return false
}

func (gs grants) roles() []string {
	var out []string
	for _, g := range gs {
		if g.role {
			out = append(out, g.roles...)
		}
	}
	return out
}

// checkPrivileges evaluates the account's grants against what Sluice needs:
// SELECT on the selected tables, REPLICATION CLIENT (BINLOG MONITOR) and
// REPLICATION SLAVE globally, and SHOW VIEW. account is CURRENT_USER()
// ("user@host"); selected are the tables the source selects.
func checkPrivileges(src *topology.Source, account string, lines []string, selected []tableFact) []Item {
	n := itemNamer("source." + src.Name + ".privilege")
	gs := parseGrants(lines)
	to := quoteAccount(account)
	roleNote := ""
	status := Fail
	if r := gs.roles(); len(r) > 0 {
		roleNote = fmt.Sprintf(" (the account also has the role(s) %s, whose privileges this check does not read; if a role grants it, ignore this item)", strings.Join(r, ", "))
		status = Warn
	}
	var items []Item

	// SELECT: every selected table must be readable.
	switch {
	case gs.global("SELECT"):
		items = append(items, Item{Name: n("select"), Status: Pass, Detail: "SELECT is granted on *.*"})
	default:
		var missing []string
		for _, t := range selected {
			if !gs.on("SELECT", t.Schema, t.Name) {
				missing = append(missing, t.Schema+"."+t.Name)
			}
		}
		switch {
		case len(missing) > 0:
			items = append(items, Item{Name: n("select"), Status: status,
				Detail: fmt.Sprintf("the account %s lacks SELECT on %s%s", account, listSome(missing, 5), roleNote),
				Fix:    grantPerDB("SELECT", missing, to) + " (or GRANT SELECT ON *.* TO " + to + ")"})
		case len(selected) == 0:
			items = append(items, Item{Name: n("select"), Status: Warn,
				Detail: "SELECT is not granted on *.* and no selected table is visible to the account, so the check cannot tell which tables it may read" + roleNote,
				Fix:    fmt.Sprintf("GRANT SELECT ON `db`.* TO %s for each selected database (or ON *.*)", to)})
		default:
			items = append(items, Item{Name: n("select"), Status: Pass,
				Detail: fmt.Sprintf("SELECT is granted on every selected table (%d)", len(selected))})
		}
	}

	for _, p := range []struct{ check, priv, why string }{
		{"replication_client", "REPLICATION CLIENT", "Sluice reads binlog positions (SHOW MASTER STATUS, SHOW BINARY LOGS); MariaDB 10.5+ calls it BINLOG MONITOR"},
		{"replication_slave", "REPLICATION SLAVE", "Sluice reads the binlog as a replica does"},
	} {
		if gs.global(p.priv) {
			items = append(items, Item{Name: n(p.check), Status: Pass, Detail: p.priv + " is granted"})
			continue
		}
		items = append(items, Item{Name: n(p.check), Status: status,
			Detail: fmt.Sprintf("the account %s lacks %s: %s%s", account, p.priv, p.why, roleNote),
			Fix:    fmt.Sprintf("GRANT %s ON *.* TO %s", p.priv, to)})
	}

	// SHOW VIEW lets schema sync read view definitions; tables do not need it.
	viewOK := gs.global("SHOW VIEW")
	if !viewOK && len(selected) > 0 {
		viewOK = true
		for _, t := range selected {
			if !gs.on("SHOW VIEW", t.Schema, t.Name) {
				viewOK = false
				break
			}
		}
	}
	if viewOK {
		items = append(items, Item{Name: n("show_view"), Status: Pass, Detail: "SHOW VIEW is granted"})
	} else {
		items = append(items, Item{Name: n("show_view"), Status: Warn,
			Detail: fmt.Sprintf("the account %s lacks SHOW VIEW: tables sync without it, but view definitions cannot be read%s", account, roleNote),
			Fix:    fmt.Sprintf("GRANT SHOW VIEW ON *.* TO %s", to)})
	}
	return items
}

// quoteAccount renders CURRENT_USER() "user@host" as 'user'@'host'.
func quoteAccount(account string) string {
	i := strings.LastIndexByte(account, '@')
	if i < 0 {
		return "'" + account + "'@'%'"
	}
	return "'" + account[:i] + "'@'" + account[i+1:] + "'"
}

// grantPerDB renders one GRANT of priv per database of the "db.table"
// names.
func grantPerDB(priv string, tables []string, to string) string {
	seen := map[string]bool{}
	var dbs []string
	for _, t := range tables {
		db, _, _ := strings.Cut(t, ".")
		if !seen[db] {
			seen[db] = true
			dbs = append(dbs, db)
		}
	}
	sort.Strings(dbs)
	stmts := make([]string, len(dbs))
	for i, d := range dbs {
		stmts[i] = "GRANT " + priv + " ON `" + strings.ReplaceAll(d, "`", "``") + "`.* TO " + to
	}
	return strings.Join(stmts, "; ")
}

// listSome lists up to n names and says how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
