package schema

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// Version is one table definition as the history keeps it.
type Version struct {
	// Table is the definition; nil when Unknown is set.
	Table *change.Table
	// Charset is the table's default character set (for columns added later).
	Charset string
	// Unknown, when set, says why the definition is not known (the statement
	// that made it so); the reader must re-read it from the server or stop.
	Unknown string
}

// state is the definitions of every tracked table at one binlog position.
type state struct {
	style
	serverCharset string
	dbs           map[string]string   // database → default charset
	tables        map[string]*Version // "db.table" → definition
	// track says which tables the history follows: selected ones and those
	// in a database that holds a selected one (so that a table built
	// beside a selected one and renamed over it is known).
	sel      func(db, table string) bool
	interest map[string]int // database → tracked tables in it
}

func newState(sel func(db, table string) bool) *state {
	return &state{dbs: map[string]string{}, tables: map[string]*Version{}, sel: sel, interest: map[string]int{}}
}

func key(db, table string) string { return db + "." + table }

func (s *state) tracks(db, table string) bool {
	return s.sel == nil || s.sel(db, table) || s.interest[db] > 0
}

func (s *state) put(db, table string, v *Version) {
	k := key(db, table)
	if _, ok := s.tables[k]; !ok && (s.sel == nil || s.sel(db, table)) {
		s.interest[db]++
	}
	s.tables[k] = v
}

func (s *state) remove(db, table string) {
	k := key(db, table)
	if _, ok := s.tables[k]; !ok {
		return
	}
	delete(s.tables, k)
	if s.sel == nil || s.sel(db, table) {
		if s.interest[db]--; s.interest[db] <= 0 {
			delete(s.interest, db)
		}
	}
}

// defaultCharset is the charset a new table in db gets when it names none.
func (s *state) defaultCharset(db string) string {
	if cs := s.dbs[db]; cs != "" {
		return cs
	}
	return s.serverCharset
}

// outcome is what one statement did to the state.
type outcome struct {
	changed []string // table keys whose definition changed (or appeared)
	removed []string // table keys no longer tracked
	renamed [][2]string
	catalog bool   // the set of tables or database charsets changed
	ignored string // why a statement was ignored, when it was
}

// DDLError is a DDL statement the history cannot apply to a table it
// follows: the parser rejects it, or it contradicts the history (a column
// that does not exist, say). Tables names the tables it touches, when known
// (sourcedb.Statement.Tables).
type DDLError struct {
	Statement string
	Tables    []sourcedb.TableName
	Err       error
}

func (e *DDLError) Error() string {
	return fmt.Sprintf("schema history: cannot apply %q: %v", abbreviate(e.Statement, 300), e.Err)
}

func (e *DDLError) Unwrap() error { return e.Err }

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// apply applies one parsed statement.
func (s *state) apply(st *sourcedb.Statement) (outcome, error) {
	if st.Kind != sourcedb.KindDDL || st.Object == sourcedb.ObjectOther {
		return outcome{ignored: "not a table or database statement"}, nil
	}
	if st.Err != nil {
		if !s.touchesTracked(st) {
			return outcome{ignored: "the parser rejects it, and it touches no table the history follows"}, nil
		}
		return outcome{}, &DDLError{Statement: st.SQL, Tables: st.Tables, Err: st.Err}
	}
	var out outcome
	for _, n := range st.Nodes {
		if err := s.applyStmt(n, st.DB, st.Replace, &out); err != nil {
			return outcome{}, &DDLError{Statement: st.SQL, Tables: st.Tables, Err: err}
		}
	}
	return out, nil
}

// touchesTracked reports whether an unparsed statement may change a tracked
// table: when its head names no table, it may.
func (s *state) touchesTracked(st *sourcedb.Statement) bool {
	if st.Object == sourcedb.ObjectDatabase {
		return false // database defaults only: a later CREATE TABLE names its charset or is checked against the binlog
	}
	if len(st.Tables) == 0 {
		return true
	}
	for _, t := range st.Tables {
		if _, ok := s.tables[key(t.Schema, t.Name)]; ok || s.tracks(t.Schema, t.Name) {
			return true
		}
	}
	return false
}

func names(tn *ast.TableName, db string) (string, string) {
	d := tn.Schema.O
	if d == "" {
		d = db
	}
	return d, tn.Name.O
}

// applyStmt applies one parsed statement run with default database db;
// replace is set for CREATE OR REPLACE.
func (s *state) applyStmt(st ast.StmtNode, db string, replace bool, out *outcome) error {
	switch n := st.(type) {
	case *ast.CreateTableStmt:
		if n.TemporaryKeyword != ast.TemporaryNone {
			out.ignored = "temporary table"
			return nil
		}
		d, t := names(n.Table, db)
		k := key(d, t)
		if _, exists := s.tables[k]; exists && n.IfNotExists && !replace {
			return nil
		}
		if !s.tracks(d, t) {
			if _, ok := s.tables[k]; !ok {
				return nil
			}
		}
		var v *Version
		switch {
		case n.ReferTable != nil:
			rd, rt := names(n.ReferTable, db)
			src, ok := s.tables[key(rd, rt)]
			switch {
			case !ok:
				v = &Version{Unknown: "CREATE TABLE " + k + " LIKE " + key(rd, rt) + ", a table the history does not follow"}
			case src.Table == nil:
				v = &Version{Unknown: src.Unknown}
			default:
				c := cloneTable(src.Table)
				c.Schema, c.Name = d, t
				v = &Version{Table: c, Charset: src.Charset}
			}
		case n.Select != nil && len(n.Cols) == 0:
			v = &Version{Unknown: "CREATE TABLE " + k + " … SELECT without a column list"}
		default:
			var err error
			if v, err = s.create(n, d, t); err != nil {
				return err
			}
		}
		s.put(d, t, v)
		out.changed = append(out.changed, k)
		out.catalog = true
	case *ast.AlterTableStmt:
		d, t := names(n.Table, db)
		k := key(d, t)
		v, ok := s.tables[k]
		if !ok {
			if s.sel != nil && s.sel(d, t) {
				return fmt.Errorf("ALTER TABLE of %s, which the history does not know", k)
			}
			return nil // not followed
		}
		if v.Table == nil {
			// Still unknown; a rename inside it must still move it.
			for _, spec := range n.Specs {
				if spec.Tp == ast.AlterTableRenameTable {
					nd, nt := names(spec.NewTable, db)
					s.rename(d, t, nd, nt, out)
					return nil
				}
			}
			return nil
		}
		w := toWork(v)
		newDB, newName := d, t
		for _, spec := range n.Specs {
			if spec.Tp == ast.AlterTableRenameTable {
				newDB, newName = names(spec.NewTable, db)
				continue
			}
			if err := s.alter(w, spec, d); err != nil {
				return err
			}
		}
		nv, err := w.version(d, t)
		if err != nil {
			return err
		}
		s.tables[k] = nv
		out.changed = append(out.changed, k)
		if newDB != d || newName != t {
			s.rename(d, t, newDB, newName, out)
		}
	case *ast.RenameTableStmt:
		for _, tt := range n.TableToTables {
			od, ot := names(tt.OldTable, db)
			nd, nt := names(tt.NewTable, db)
			s.rename(od, ot, nd, nt, out)
		}
	case *ast.DropTableStmt:
		if n.IsView || n.TemporaryKeyword != ast.TemporaryNone {
			out.ignored = "view or temporary table"
			return nil
		}
		for _, tn := range n.Tables {
			d, t := names(tn, db)
			if _, ok := s.tables[key(d, t)]; ok {
				s.remove(d, t)
				out.removed = append(out.removed, key(d, t))
				out.catalog = true
			}
		}
	case *ast.TruncateTableStmt:
		// The definition stays.
	case *ast.CreateIndexStmt:
		if n.KeyType != ast.IndexKeyTypeUnique {
			return nil
		}
		d, t := names(n.Table, db)
		v, ok := s.tables[key(d, t)]
		if !ok || v.Table == nil {
			return nil
		}
		w := toWork(v)
		w.addUnique(n.IndexName, n.IndexPartSpecifications)
		nv, err := w.version(d, t)
		if err != nil {
			return err
		}
		s.tables[key(d, t)] = nv
		out.changed = append(out.changed, key(d, t))
	case *ast.DropIndexStmt:
		d, t := names(n.Table, db)
		v, ok := s.tables[key(d, t)]
		if !ok || v.Table == nil {
			return nil
		}
		w := toWork(v)
		w.dropIndex(n.IndexName)
		nv, err := w.version(d, t)
		if err != nil {
			return err
		}
		s.tables[key(d, t)] = nv
		out.changed = append(out.changed, key(d, t))
	case *ast.CreateDatabaseStmt:
		name := n.Name.O
		if _, ok := s.dbs[name]; ok && n.IfNotExists && !replace {
			return nil
		}
		s.dbs[name] = dbCharset(n.Options, s.serverCharset)
		out.catalog = true
	case *ast.AlterDatabaseStmt:
		name := n.Name.O
		if n.AlterDefaultDatabase || name == "" {
			name = db
		}
		if cs := dbCharset(n.Options, ""); cs != "" {
			s.dbs[name] = cs
			out.catalog = true
		}
	case *ast.DropDatabaseStmt:
		name := n.Name.O
		delete(s.dbs, name)
		for k := range s.tables {
			d, t, _ := strings.Cut(k, ".")
			if d == name {
				s.remove(d, t)
				out.removed = append(out.removed, k)
			}
		}
		out.catalog = true
	default:
		out.ignored = "no table definition changes"
	}
	return nil
}

func dbCharset(opts []*ast.DatabaseOption, def string) string {
	cs := ""
	for _, o := range opts {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = normCharset(o.Value)
		case ast.DatabaseOptionCollate:
			if cs == "" {
				cs = charsetOfCollation(o.Value)
			}
		}
	}
	if cs == "" {
		return def
	}
	return cs
}

// rename moves a table's definition. Renamed from an untracked table into
// the followed ones, the definition is unknown; renamed out of them, it is
// dropped from the history.
func (s *state) rename(od, ot, nd, nt string, out *outcome) {
	ok, nk := key(od, ot), key(nd, nt)
	v, had := s.tables[ok]
	if had {
		s.remove(od, ot)
		out.removed = append(out.removed, ok)
	}
	out.renamed = append(out.renamed, [2]string{ok, nk})
	out.catalog = true
	if !s.tracks(nd, nt) {
		return
	}
	if !had {
		v = &Version{Unknown: "RENAME of " + ok + " (a table the history does not follow) to " + nk}
	} else if v.Table != nil {
		c := cloneTable(v.Table)
		c.Schema, c.Name = nd, nt
		v = &Version{Table: c, Charset: v.Charset}
	}
	s.put(nd, nt, v)
	out.changed = append(out.changed, nk)
}

func (s *state) create(n *ast.CreateTableStmt, d, t string) (*Version, error) {
	w := &work{charset: s.defaultCharset(d)}
	for _, o := range n.Options {
		switch o.Tp {
		case ast.TableOptionCharset:
			if o.StrValue != "" {
				w.charset = normCharset(o.StrValue)
			}
		case ast.TableOptionCollate:
			if !hasOption(n.Options, ast.TableOptionCharset) {
				w.charset = charsetOfCollation(o.StrValue)
			}
		}
	}
	for _, cd := range n.Cols {
		c, ik, err := s.column(cd, w.charset)
		if err != nil {
			return nil, err
		}
		if w.index(c.Name) >= 0 {
			return nil, fmt.Errorf("duplicate column %s", c.Name)
		}
		w.cols = append(w.cols, c)
		w.inline(c.Name, ik)
	}
	for _, con := range n.Constraints {
		w.constraint(con)
	}
	return w.version(d, t)
}

func hasOption(opts []*ast.TableOption, tp ast.TableOptionType) bool {
	for _, o := range opts {
		if o.Tp == tp {
			return true
		}
	}
	return false
}

// work is a table definition being changed: keys by column name.
type work struct {
	charset string
	cols    []change.Column
	pk      []string
	uks     []ukey
	// versioning survives ALTER TABLE (SYSTEM VERSIONING clauses are
	// MariaDB syntax the parser rejects: those re-read the table).
	versioning *change.Versioning
}

type ukey struct {
	name string
	cols []string
}

func toWork(v *Version) *work {
	t := v.Table
	w := &work{charset: v.Charset, cols: slices.Clone(t.Columns), versioning: t.Versioning}
	for _, i := range t.PrimaryKey {
		w.pk = append(w.pk, t.Columns[i].Name)
	}
	for _, k := range t.UniqueKeys {
		u := ukey{name: k.Name}
		for _, i := range k.Columns {
			u.cols = append(u.cols, t.Columns[i].Name)
		}
		w.uks = append(w.uks, u)
	}
	return w
}

func (w *work) index(name string) int {
	for i := range w.cols {
		if strings.EqualFold(w.cols[i].Name, name) {
			return i
		}
	}
	return -1
}

// version builds the final definition: keys as column indexes, unique keys
// in the order the server keeps them (those on NOT NULL columns first).
func (w *work) version(db, table string) (*Version, error) {
	t := &change.Table{Schema: db, Name: table, Columns: w.cols, Versioning: w.versioning}
	idx := func(names []string) ([]int, error) {
		out := make([]int, len(names))
		for i, n := range names {
			j := w.index(n)
			if j < 0 {
				return nil, fmt.Errorf("key column %s does not exist", n)
			}
			out[i] = j
		}
		return out, nil
	}
	var err error
	if len(w.pk) > 0 {
		if t.PrimaryKey, err = idx(w.pk); err != nil {
			return nil, err
		}
		for _, i := range t.PrimaryKey {
			t.Columns[i].Nullable = false
		}
	}
	var notNull, nullable []change.Key
	for _, u := range w.uks {
		cols, err := idx(u.cols)
		if err != nil {
			return nil, err
		}
		k := change.Key{Name: u.name, Columns: cols}
		if slices.ContainsFunc(cols, func(i int) bool { return t.Columns[i].Nullable }) {
			nullable = append(nullable, k)
		} else {
			notNull = append(notNull, k)
		}
	}
	t.UniqueKeys = append(notNull, nullable...)
	return &Version{Table: t, Charset: w.charset}, nil
}

func (w *work) inline(col string, ik inlineKeys) {
	if ik.primary {
		w.pk = []string{col}
	}
	if ik.unique {
		w.uks = append(w.uks, ukey{name: w.keyName("", []string{col}), cols: []string{col}})
	}
}

// keyName is the name the server gives a key: its own, else its first
// column's, made unique with _2, _3...
func (w *work) keyName(name string, cols []string) string {
	if name != "" {
		return name
	}
	base := cols[0]
	taken := func(n string) bool {
		return slices.ContainsFunc(w.uks, func(u ukey) bool { return strings.EqualFold(u.name, n) }) || strings.EqualFold(n, "PRIMARY")
	}
	if !taken(base) {
		return base
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s_%d", base, i)
		if !taken(n) {
			return n
		}
	}
}

// keyColumns returns a key's column names; ok is false for a key with an
// expression part (not usable to identify rows).
func keyColumns(parts []*ast.IndexPartSpecification) ([]string, bool) {
	var cols []string
	for _, p := range parts {
		if p.Column == nil || p.Expr != nil {
			return nil, false
		}
		cols = append(cols, p.Column.Name.O)
	}
	return cols, len(cols) > 0
}

func (w *work) constraint(c *ast.Constraint) {
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		if cols, ok := keyColumns(c.Keys); ok {
			w.pk = cols
		}
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		w.addUnique(c.Name, c.Keys)
	}
}

func (w *work) addUnique(name string, parts []*ast.IndexPartSpecification) {
	cols, ok := keyColumns(parts)
	if !ok {
		return
	}
	w.uks = append(w.uks, ukey{name: w.keyName(name, cols), cols: cols})
}

func (w *work) dropIndex(name string) {
	if strings.EqualFold(name, "PRIMARY") {
		w.pk = nil
		return
	}
	w.uks = slices.DeleteFunc(w.uks, func(u ukey) bool { return strings.EqualFold(u.name, name) })
}

// dropColumn removes a column and its key parts; a key left without columns
// goes too.
func (w *work) dropColumn(i int) {
	name := w.cols[i].Name
	w.cols = slices.Delete(w.cols, i, i+1)
	drop := func(cols []string) []string {
		return slices.DeleteFunc(cols, func(c string) bool { return strings.EqualFold(c, name) })
	}
	w.pk = drop(w.pk)
	for j := range w.uks {
		w.uks[j].cols = drop(w.uks[j].cols)
	}
	w.uks = slices.DeleteFunc(w.uks, func(u ukey) bool { return len(u.cols) == 0 })
}

// renameColumn renames a column in the key lists.
func (w *work) renameColumn(from, to string) {
	ren := func(cols []string) {
		for i, c := range cols {
			if strings.EqualFold(c, from) {
				cols[i] = to
			}
		}
	}
	ren(w.pk)
	for j := range w.uks {
		ren(w.uks[j].cols)
	}
	if v := w.versioning; v != nil && strings.EqualFold(v.RowEnd, from) {
		w.versioning = &change.Versioning{RowEnd: to, ByTransaction: v.ByTransaction}
	}
}

// place inserts c at pos (nil: at the end), or, when at >= 0, moves it from
// there.
func (w *work) place(c change.Column, pos *ast.ColumnPosition, at int) error {
	if at >= 0 {
		if pos == nil || pos.Tp == ast.ColumnPositionNone {
			w.cols[at] = c
			return nil
		}
		w.cols = slices.Delete(w.cols, at, at+1)
	}
	switch {
	case pos == nil || pos.Tp == ast.ColumnPositionNone:
		w.cols = append(w.cols, c)
	case pos.Tp == ast.ColumnPositionFirst:
		w.cols = slices.Insert(w.cols, 0, c)
	default:
		j := w.index(pos.RelativeColumn.Name.O)
		if j < 0 {
			return fmt.Errorf("AFTER %s: no such column", pos.RelativeColumn.Name.O)
		}
		w.cols = slices.Insert(w.cols, j+1, c)
	}
	return nil
}

func (s *state) alter(w *work, spec *ast.AlterTableSpec, db string) error {
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		for i, cd := range spec.NewColumns {
			if w.index(cd.Name.Name.O) >= 0 {
				if spec.IfNotExists {
					continue
				}
				return fmt.Errorf("ADD COLUMN %s: the column exists already", cd.Name.Name.O)
			}
			c, ik, err := s.column(cd, w.charset)
			if err != nil {
				return err
			}
			pos := spec.Position
			if i > 0 && pos != nil && pos.Tp != ast.ColumnPositionNone {
				// ADD COLUMN (a, b) FIRST/AFTER x: the rest follow the first.
				pos = &ast.ColumnPosition{Tp: ast.ColumnPositionAfter, RelativeColumn: spec.NewColumns[i-1].Name}
			}
			if err := w.place(c, pos, -1); err != nil {
				return err
			}
			w.inline(c.Name, ik)
		}
		for _, con := range spec.NewConstraints {
			w.constraint(con)
		}
	case ast.AlterTableDropColumn:
		i := w.index(spec.OldColumnName.Name.O)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("DROP COLUMN %s: no such column", spec.OldColumnName.Name.O)
		}
		w.dropColumn(i)
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		cd := spec.NewColumns[0]
		old := cd.Name.Name.O
		if spec.Tp == ast.AlterTableChangeColumn {
			old = spec.OldColumnName.Name.O
		}
		i := w.index(old)
		if i < 0 {
			if spec.IfExists {
				return nil
			}
			return fmt.Errorf("%s: no such column", old)
		}
		c, ik, err := s.column(cd, w.charset)
		if err != nil {
			return err
		}
		oldName := w.cols[i].Name
		if err := w.place(c, spec.Position, i); err != nil {
			return err
		}
		if !strings.EqualFold(oldName, c.Name) {
			w.renameColumn(oldName, c.Name)
		}
		w.inline(c.Name, ik)
	case ast.AlterTableRenameColumn:
		i := w.index(spec.OldColumnName.Name.O)
		if i < 0 {
			return fmt.Errorf("RENAME COLUMN %s: no such column", spec.OldColumnName.Name.O)
		}
		from, to := w.cols[i].Name, spec.NewColumnName.Name.O
		w.cols[i].Name = to
		w.renameColumn(from, to)
	case ast.AlterTableAddConstraint:
		w.constraint(spec.Constraint)
	case ast.AlterTableDropPrimaryKey:
		w.pk = nil
	case ast.AlterTableDropIndex:
		w.dropIndex(spec.Name)
	case ast.AlterTableRenameIndex:
		for j := range w.uks {
			if strings.EqualFold(w.uks[j].name, spec.FromKey.O) {
				w.uks[j].name = spec.ToKey.O
			}
		}
	case ast.AlterTableOption:
		for _, o := range spec.Options {
			cs := ""
			switch o.Tp {
			case ast.TableOptionCharset:
				cs = normCharset(o.StrValue)
			case ast.TableOptionCollate:
				if !hasOption(spec.Options, ast.TableOptionCharset) {
					cs = charsetOfCollation(o.StrValue)
				}
			}
			if cs == "" || cs == "default" {
				continue
			}
			w.charset = cs
			if o.UintValue == ast.TableOptionCharsetWithConvertTo {
				w.convert(cs)
			}
		}
	}
	return nil
}

// convert is CONVERT TO CHARACTER SET: every text column takes the charset
// (TEXT columns may grow to hold the same number of characters; the binlog
// metadata says how they are logged).
func (w *work) convert(cs string) {
	for i := range w.cols {
		c := &w.cols[i]
		if c.Charset == "" || c.Charset == "binary" {
			continue
		}
		old := maxBytes(c.Charset)
		c.Charset = cs
		switch c.Type {
		case change.TypeVarchar:
			chars := int(c.Meta) / old
			c.Meta = uint16(chars * maxBytes(cs))
		case change.TypeString:
			chars := int(c.Meta&0xff) / old
			c.Meta = uint16(change.TypeString)<<8 | uint16((chars*maxBytes(cs))&0xff)
		case change.TypeBlob:
			// The server picks the smallest TEXT type that holds as many
			// characters as before.
			limits := [...]int{1<<8 - 1, 1<<16 - 1, 1<<24 - 1}
			if c.Meta >= 1 && c.Meta <= 3 {
				bytes := limits[c.Meta-1] / old * maxBytes(cs)
				for c.Meta < 4 && bytes > limits[c.Meta-1] {
					c.Meta++
				}
				c.ColumnType = [...]string{"tinytext", "text", "mediumtext", "longtext"}[c.Meta-1]
			}
		}
	}
}

func cloneTable(t *change.Table) *change.Table {
	c := *t
	c.Columns = slices.Clone(t.Columns)
	c.PrimaryKey = slices.Clone(t.PrimaryKey)
	c.UniqueKeys = slices.Clone(t.UniqueKeys)
	for i := range c.UniqueKeys {
		c.UniqueKeys[i].Columns = slices.Clone(c.UniqueKeys[i].Columns)
	}
	return &c
}

var errUnknown = errors.New("definition unknown")
