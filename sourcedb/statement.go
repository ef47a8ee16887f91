package sourcedb

import (
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // literal values in parsed DDL
)

// Kind is what the statement of a binlog QUERY event means to a reader.
type Kind uint8

const (
	KindOther      Kind = iota // not DDL, not a transaction marker (GRANT, FLUSH, SAVEPOINT, ...)
	KindBegin                  // BEGIN
	KindCommit                 // COMMIT, ROLLBACK (ends the event group)
	KindDDL                    // CREATE, ALTER, DROP, RENAME, TRUNCATE
	KindDML                    // INSERT, UPDATE, DELETE, REPLACE, LOAD: statement-based logging
	KindXAStart                // XA START, XA BEGIN: opens an XA group (MySQL logs it)
	KindXAMarker               // XA END, XA PREPARE: inside an XA group
	KindXACommit               // XA COMMIT: a group of its own, after the prepared one
	KindXARollback             // XA ROLLBACK: a group of its own, after the prepared one
)

// Object is what a DDL statement is about.
type Object uint8

const (
	ObjectOther    Object = iota // views, routines, triggers, events, users, ...
	ObjectTable                  // CREATE, ALTER, DROP, RENAME, TRUNCATE TABLE
	ObjectIndex                  // CREATE, DROP INDEX
	ObjectDatabase               // CREATE, ALTER, DROP DATABASE (SCHEMA)
)

// Classify reads the first keywords of a statement, after blanks and
// comments. It parses nothing and does not allocate for short statements:
// every MySQL transaction starts with a BEGIN QUERY event.
func Classify(q []byte) Kind {
	l := lexer{s: string(q)}
	return l.kind()
}

func (l *lexer) kind() Kind {
	w := l.word()
	is := func(kw string) bool { return strings.EqualFold(w, kw) }
	switch {
	case is("BEGIN"):
		return KindBegin
	case is("COMMIT"):
		return KindCommit
	case is("ROLLBACK"):
		if strings.EqualFold(l.word(), "TO") {
			return KindOther // ROLLBACK TO SAVEPOINT stays inside the transaction
		}
		return KindCommit
	case is("XA"):
		switch w2 := l.word(); {
		case strings.EqualFold(w2, "START"), strings.EqualFold(w2, "BEGIN"):
			return KindXAStart
		case strings.EqualFold(w2, "END"), strings.EqualFold(w2, "PREPARE"):
			return KindXAMarker
		case strings.EqualFold(w2, "COMMIT"):
			return KindXACommit
		case strings.EqualFold(w2, "ROLLBACK"):
			return KindXARollback
		}
		return KindOther // XA RECOVER
	case is("CREATE"), is("ALTER"), is("DROP"), is("RENAME"), is("TRUNCATE"):
		return KindDDL
	case is("INSERT"), is("UPDATE"), is("DELETE"), is("REPLACE"), is("LOAD"):
		return KindDML
	}
	return KindOther
}

// Statement is what Parse reads from a statement.
type Statement struct {
	// SQL is the statement; DB the default database it ran with.
	SQL, DB string
	Kind    Kind
	// Object is what a DDL is about.
	Object Object
	// Tables are the tables the statement touches, the database defaulting
	// to DB: for DDL each table it creates, alters, renames (both names),
	// drops or indexes; for DML its target (the first for multi-table
	// forms). Empty when the statement names none or Parse cannot tell.
	Tables []TableName
	// Table is the one table of CREATE, ALTER, DROP or TRUNCATE TABLE of a
	// single table (zero otherwise): what a DDL change is about.
	Table TableName
	// Database is the database of a database-level DDL.
	Database string
	// Replace is set for MariaDB's CREATE OR REPLACE.
	Replace bool
	// Truncate is set for DDL that deletes rows without logging them:
	// TRUNCATE [TABLE], and ALTER TABLE … TRUNCATE or DROP PARTITION (when
	// the parser reads the statement).
	Truncate bool
	// Nodes is the TiDB parser's reading of a DDL; nil when the parser
	// rejects it (Err says why: MariaDB syntax it lacks), and then the other
	// fields come from the statement's head alone.
	Nodes []ast.StmtNode
	Err   error
}

// Parser reads statements of QUERY events. It is not safe for concurrent
// use (it keeps the TiDB parser's buffers between calls).
type Parser struct{ p *parser.Parser }

// NewParser returns a Parser.
func NewParser() *Parser { return &Parser{p: parser.New()} }

// Parse reads sql, run with default database db. Only DDL is parsed with
// the TiDB parser; the kind, and a DML's target, come from the head.
func (p *Parser) Parse(sql, db string) *Statement {
	st := &Statement{SQL: sql, DB: db}
	l := lexer{s: sql}
	st.Kind = l.kind()
	switch st.Kind {
	case KindDML:
		l.dmlTarget(st)
	case KindDDL:
		text := sql
		if cut := (&lexer{s: sql}).ddlHead(st); cut != "" {
			text = strings.Replace(sql, cut, "", 1) // MariaDB syntax the parser lacks: OR REPLACE, ONLINE
		}
		nodes, _, err := p.p.Parse(text, "", "")
		if err != nil {
			st.Err = err
			return st
		}
		st.Nodes = slices.Clone(nodes) // the parser reuses its result slice
		st.fromNodes()
	}
	return st
}

// ddlHead fills st from the head of a DDL statement, without a parser, and
// returns the MariaDB syntax to cut before parsing ("OR REPLACE", "ONLINE").
func (l *lexer) ddlHead(st *Statement) (cut string) {
	verb := strings.ToUpper(l.word())
	st.Truncate = verb == "TRUNCATE"
	var object string
	for i := 0; i < 8 && object == ""; i++ {
		start := l.pos
		w := strings.ToUpper(l.word())
		switch w {
		case "OR":
			if strings.EqualFold(l.peekWord(), "REPLACE") {
				l.word()
				cut, st.Replace = l.s[start:l.pos], true
			}
		case "ONLINE":
			cut = l.s[start:l.pos]
		case "TEMPORARY", "IGNORE", "UNIQUE", "FULLTEXT", "SPATIAL":
		case "TABLE", "TABLES", "INDEX", "KEY", "DATABASE", "SCHEMA":
			object = w
		default:
			if verb != "TRUNCATE" || w == "" {
				return cut // views, triggers, routines, events, users, ...
			}
			l.pos = start // TRUNCATE t, without TABLE
			object = "TABLE"
		}
	}
	switch object {
	case "DATABASE", "SCHEMA":
		st.Object = ObjectDatabase
		l.ifExists()
		st.Database = st.DB
		save := l.pos
		if name, ok := l.ident(); ok && !isDatabaseOption(name) {
			st.Database = name
		} else {
			l.pos = save
		}
	case "INDEX", "KEY":
		// CREATE INDEX x ON t / DROP INDEX x ON t
		st.Object = ObjectIndex
		l.ifExists()
		l.ident()
		if strings.EqualFold(l.word(), "ON") {
			if t, ok := l.table(st.DB); ok {
				st.Tables = append(st.Tables, t)
			}
		}
	case "TABLE", "TABLES":
		st.Object = ObjectTable
		l.ifExists()
		for {
			t, ok := l.table(st.DB)
			if !ok {
				break
			}
			st.Tables = append(st.Tables, t)
			l.blank()
			if verb == "RENAME" && strings.EqualFold(l.peekWord(), "TO") {
				l.word()
				continue
			}
			if (verb == "RENAME" || verb == "DROP") && strings.HasPrefix(l.s[l.pos:], ",") {
				l.pos++
				continue
			}
			break
		}
		if verb != "RENAME" && len(st.Tables) == 1 {
			st.Table = st.Tables[0]
		}
	}
	return cut
}

// isDatabaseOption reports the words ALTER DATABASE takes without a name.
func isDatabaseOption(w string) bool {
	for _, o := range []string{"DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "READ", "UPGRADE"} {
		if strings.EqualFold(w, o) {
			return true
		}
	}
	return false
}

// fromNodes fills st from the parsed statements, replacing the head's
// reading.
func (st *Statement) fromNodes() {
	st.Object, st.Tables, st.Table, st.Database = ObjectOther, nil, TableName{}, ""
	name := func(tn *ast.TableName) TableName {
		if tn.Schema.O == "" {
			return TableName{Schema: st.DB, Name: tn.Name.O}
		}
		return TableName{Schema: tn.Schema.O, Name: tn.Name.O}
	}
	about := func(o Object, tables ...*ast.TableName) {
		if st.Object == ObjectOther {
			st.Object = o
		}
		for _, t := range tables {
			st.Tables = append(st.Tables, name(t))
		}
	}
	var single *ast.TableName
	for _, n := range st.Nodes {
		switch n := n.(type) {
		case *ast.CreateTableStmt:
			about(ObjectTable, n.Table)
			single = n.Table
		case *ast.AlterTableStmt:
			about(ObjectTable, n.Table)
			single = n.Table
			for _, spec := range n.Specs {
				switch spec.Tp {
				case ast.AlterTableRenameTable:
					about(ObjectTable, spec.NewTable)
				case ast.AlterTableTruncatePartition, ast.AlterTableDropPartition:
					st.Truncate = true
				}
			}
		case *ast.RenameTableStmt:
			for _, tt := range n.TableToTables {
				about(ObjectTable, tt.OldTable, tt.NewTable)
			}
		case *ast.DropTableStmt:
			if n.IsView {
				continue
			}
			about(ObjectTable, n.Tables...)
			if len(n.Tables) == 1 {
				single = n.Tables[0]
			}
		case *ast.TruncateTableStmt:
			about(ObjectTable, n.Table)
			single = n.Table
		case *ast.CreateIndexStmt:
			about(ObjectIndex, n.Table)
		case *ast.DropIndexStmt:
			about(ObjectIndex, n.Table)
		case *ast.CreateDatabaseStmt:
			about(ObjectDatabase)
			st.Database = n.Name.O
		case *ast.AlterDatabaseStmt:
			about(ObjectDatabase)
			st.Database = n.Name.O
			if n.AlterDefaultDatabase || st.Database == "" {
				st.Database = st.DB
			}
		case *ast.DropDatabaseStmt:
			about(ObjectDatabase)
			st.Database = n.Name.O
		}
	}
	if single != nil && len(st.Nodes) == 1 {
		st.Table = name(single)
	}
}

// dmlTarget reads the target table of a statement-logged INSERT, REPLACE,
// UPDATE or DELETE (the first table for multi-table forms); the verb is
// read already.
func (l *lexer) dmlTarget(st *Statement) {
	for {
		save := l.pos
		switch strings.ToUpper(l.word()) {
		case "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO", "QUICK", "FROM":
			continue
		}
		l.pos = save
		break
	}
	if t, ok := l.table(st.DB); ok {
		st.Tables = []TableName{t}
	}
}
