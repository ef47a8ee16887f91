package schema

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
	"github.com/sluicecdc/sluice/topology"
)

func newTestHistory(t testing.TB, sel func(db, table string) bool) (*History, store.Store) {
	t.Helper()
	st, err := memstore.Open(memstore.NewDisk(t.Name()), store.Identity{Task: "t"}, memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{Source: &topology.Source{Name: "src", Flavor: topology.FlavorMariaDB}, Store: st, Select: sel}), st
}

// emptyTables is a history with no table, database d (utf8mb4) and the
// MariaDB style.
func emptyTables(t testing.TB, sel func(db, table string) bool) *Tables {
	t.Helper()
	h, _ := newTestHistory(t, sel)
	st := newState(sel)
	st.style = style{widths: true, mariadb: true}
	st.serverCharset = "latin1"
	st.dbs["d"] = "utf8mb4"
	return h.tables(st)
}

var testParser = sourcedb.NewParser()

// apply parses sql as the binlog reader does and applies it, with no GTID
// set known.
func apply(tb *Tables, sql, db string, pos change.Position) (Result, error) {
	return applyAt(tb, sql, db, pos, "")
}

// applyAt is apply after the boundary where the executed GTID set is set.
func applyAt(tb *Tables, sql, db string, pos change.Position, set string) (Result, error) {
	return tb.Apply(testParser.Parse(sql, db), pos, set)
}

var posN uint32

func nextPos() change.Position {
	posN += 100
	return change.Position{File: "bin.000001", Pos: posN}
}

func mustApply(t *testing.T, tb *Tables, db string, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := apply(tb, s, db, nextPos()); err != nil {
			t.Fatalf("Apply(%q): %v", s, err)
		}
	}
}

// render is a compact text of a table: columns "name type [null]",
// then "PK(a,b)" and "UK name(a)".
func render(v *Version) string {
	if v == nil {
		return "<none>"
	}
	if v.Table == nil {
		return "<unknown: " + v.Unknown + ">"
	}
	tb := v.Table
	var parts []string
	for _, c := range tb.Columns {
		s := c.Name + " " + c.ColumnType
		if c.Charset != "" {
			s += " " + c.Charset
		}
		if c.Nullable {
			s += " null"
		}
		parts = append(parts, s)
	}
	name := func(idx []int) string {
		var n []string
		for _, i := range idx {
			n = append(n, tb.Columns[i].Name)
		}
		return strings.Join(n, ",")
	}
	if len(tb.PrimaryKey) > 0 {
		parts = append(parts, "PK("+name(tb.PrimaryKey)+")")
	}
	for _, k := range tb.UniqueKeys {
		parts = append(parts, "UK "+k.Name+"("+name(k.Columns)+")")
	}
	return strings.Join(parts, "; ")
}

func TestTables_Apply_Statements(t *testing.T) {
	const base = "CREATE TABLE t (id INT UNSIGNED NOT NULL PRIMARY KEY, a VARCHAR(10), b INT NOT NULL, c TEXT)"
	cases := []struct {
		name  string
		stmts []string
		table string // the table to render
		want  string
	}{
		{"create", []string{base}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"create types", []string{"CREATE TABLE t (a TINYINT(1), b BIGINT UNSIGNED, c DECIMAL(10,2), d DATETIME(3), e ENUM('x','y''z') CHARACTER SET latin1, f SET('p','q'), g BINARY(4), h VARBINARY(8), i BLOB, j JSON, k YEAR, l BIT(10), m TIME, n DOUBLE, o FLOAT UNSIGNED, p CHAR(3) COLLATE latin1_bin, q MEDIUMTEXT, r TIMESTAMP(6) NULL, s DATE, u SMALLINT ZEROFILL)"}, "d.t",
			"a tinyint(1) null; b bigint(20) unsigned null; c decimal(10,2) null; d datetime(3) null; e enum('x','y''z') latin1 null; f set('p','q') utf8mb4 null; g binary(4) binary null; h varbinary(8) binary null; i blob binary null; j longtext utf8mb4 null; k year(4) null; l bit(10) null; m time null; n double null; o float unsigned null; p char(3) latin1 null; q mediumtext utf8mb4 null; r timestamp(6) null; s date null; u smallint(5) unsigned zerofill null"},
		{"table charset", []string{"CREATE TABLE t (a VARCHAR(3)) DEFAULT CHARSET=latin1", "ALTER TABLE t ADD COLUMN b CHAR(2)"}, "d.t",
			"a varchar(3) latin1 null; b char(2) latin1 null"},
		{"database charset", []string{"CREATE DATABASE e CHARACTER SET utf8", "CREATE TABLE e.t (a VARCHAR(3))"}, "e.t",
			"a varchar(3) utf8mb3 null"},
		{"server charset", []string{"CREATE DATABASE f", "CREATE TABLE f.t (a VARCHAR(3))"}, "f.t",
			"a varchar(3) latin1 null"},
		{"add column after", []string{base, "ALTER TABLE t ADD COLUMN x SMALLINT AFTER id"}, "d.t",
			"id int(10) unsigned; x smallint(6) null; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"add column first", []string{base, "ALTER TABLE t ADD x INT NOT NULL FIRST"}, "d.t",
			"x int(11); id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"add columns list", []string{base, "ALTER TABLE t ADD COLUMN (x INT, y INT)"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; x int(11) null; y int(11) null; PK(id)"},
		{"add column if not exists", []string{base, "ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"drop column", []string{base, "ALTER TABLE t DROP COLUMN a, DROP c"}, "d.t",
			"id int(10) unsigned; b int(11); PK(id)"},
		{"modify column", []string{base, "ALTER TABLE t MODIFY b BIGINT NULL"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b bigint(20) null; c text utf8mb4 null; PK(id)"},
		{"modify column first", []string{base, "ALTER TABLE t MODIFY COLUMN c VARCHAR(5) FIRST"}, "d.t",
			"c varchar(5) utf8mb4 null; id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); PK(id)"},
		{"change column", []string{base, "ALTER TABLE t CHANGE a a2 CHAR(4) NOT NULL AFTER b"}, "d.t",
			"id int(10) unsigned; b int(11); a2 char(4) utf8mb4; c text utf8mb4 null; PK(id)"},
		{"change key column", []string{base, "ALTER TABLE t CHANGE id ident BIGINT UNSIGNED NOT NULL"}, "d.t",
			"ident bigint(20) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(ident)"},
		{"rename column", []string{base, "ALTER TABLE t RENAME COLUMN b TO bee"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; bee int(11); c text utf8mb4 null; PK(id)"},
		{"primary key swap", []string{base, "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b, id)"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(b,id)"},
		{"unique keys", []string{base, "ALTER TABLE t ADD UNIQUE KEY ua (a), ADD UNIQUE (b)", "CREATE UNIQUE INDEX uc ON t (c(10), b)"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id); UK b(b); UK ua(a); UK uc(c,b)"},
		{"drop index", []string{base, "ALTER TABLE t ADD UNIQUE KEY ua (a), ADD UNIQUE KEY ub (b)", "ALTER TABLE t DROP INDEX ua", "DROP INDEX ub ON t"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"rename index", []string{base, "ALTER TABLE t ADD UNIQUE KEY ua (a)", "ALTER TABLE t RENAME INDEX ua TO ub"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id); UK ub(a)"},
		{"drop key column", []string{base, "ALTER TABLE t ADD UNIQUE KEY uab (a, b)", "ALTER TABLE t DROP COLUMN a"}, "d.t",
			"id int(10) unsigned; b int(11); c text utf8mb4 null; PK(id); UK uab(b)"},
		{"add primary key makes not null", []string{"CREATE TABLE t (a INT, b INT)", "ALTER TABLE t ADD PRIMARY KEY (a)"}, "d.t",
			"a int(11); b int(11) null; PK(a)"},
		{"convert charset", []string{"CREATE TABLE t (a VARCHAR(3), b VARBINARY(3)) CHARSET latin1", "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4"}, "d.t",
			"a varchar(3) utf8mb4 null; b varbinary(3) binary null"},
		{"create like", []string{base, "CREATE TABLE t2 LIKE t"}, "d.t2",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"rename table", []string{base, "RENAME TABLE t TO t3"}, "d.t3",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"rename table gone", []string{base, "RENAME TABLE t TO t3"}, "d.t", "<none>"},
		{"alter rename", []string{base, "ALTER TABLE t RENAME TO t4, ADD COLUMN z INT"}, "d.t4",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; z int(11) null; PK(id)"},
		{"swap tables", []string{"CREATE TABLE x (a INT)", "CREATE TABLE y (b CHAR(1))", "RENAME TABLE x TO tmp, y TO x, tmp TO y"}, "d.x",
			"b char(1) utf8mb4 null"},
		{"swap tables other", []string{"CREATE TABLE x (a INT)", "CREATE TABLE y (b CHAR(1))", "RENAME TABLE x TO tmp, y TO x, tmp TO y"}, "d.y",
			"a int(11) null"},
		{"drop table", []string{base, "DROP TABLE IF EXISTS t, nope /* generated by server */"}, "d.t", "<none>"},
		{"truncate keeps", []string{base, "TRUNCATE TABLE t"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"drop database", []string{"CREATE DATABASE g", "CREATE TABLE g.t (a INT)", "DROP DATABASE g"}, "g.t", "<none>"},
		{"create or replace", []string{base, "CREATE OR REPLACE TABLE t (z INT)"}, "d.t", "z int(11) null"},
		{"alter online", []string{base, "ALTER ONLINE TABLE t DROP COLUMN c"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); PK(id)"},
		{"qualified and quoted", []string{"CREATE TABLE `d`.`we ird` (`a``b` INT)", "ALTER TABLE d.`we ird` ADD COLUMN `c` INT"}, "d.we ird",
			"a`b int(11) null; c int(11) null"},
		{"temporary ignored", []string{"CREATE TEMPORARY TABLE t (a INT)"}, "d.t", "<none>"},
		{"views ignored", []string{base, "CREATE VIEW v AS SELECT 1", "DROP VIEW IF EXISTS v", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1"}, "d.t",
			"id int(10) unsigned; a varchar(10) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"case-insensitive columns", []string{base, "ALTER TABLE t MODIFY COLUMN A VARCHAR(20)"}, "d.t",
			"id int(10) unsigned; A varchar(20) utf8mb4 null; b int(11); c text utf8mb4 null; PK(id)"},
		{"not null unique first", []string{"CREATE TABLE t (a INT, b INT NOT NULL, UNIQUE KEY ua (a), UNIQUE KEY ub (b))"}, "d.t",
			"a int(11) null; b int(11); UK ub(b); UK ua(a)"},
		{"rename unknown in", []string{"RENAME TABLE other.t TO t"}, "d.t",
			"<unknown: RENAME of other.t (a table the history does not follow) to d.t>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tb := emptyTables(t, func(db, _ string) bool { return db != "other" })
			mustApply(t, tb, "d", tc.stmts...)
			db, name, _ := strings.Cut(tc.table, ".")
			v, _ := tb.Table(db, name)
			if got := render(v); got != tc.want {
				t.Errorf("got\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestTables_Apply_RejectedStatement(t *testing.T) {
	tb := emptyTables(t, func(db, table string) bool { return db == "d" })
	mustApply(t, tb, "d", "CREATE TABLE t (a INT)")
	// The parser does not know MariaDB's INVISIBLE columns.
	_, err := apply(tb, "ALTER TABLE t ADD COLUMN h INT INVISIBLE", "d", nextPos())
	var de *DDLError
	if !errors.As(err, &de) {
		t.Fatalf("want a *DDLError, got %v", err)
	}
	if len(de.Tables) != 1 || de.Tables[0] != (sourcedb.TableName{Schema: "d", Name: "t"}) || !strings.Contains(de.Statement, "INVISIBLE") {
		t.Errorf("DDLError %+v", de)
	}
	if v, _ := tb.Table("d", "t"); render(v) != "a int(11) null" {
		t.Errorf("history changed by a rejected statement: %s", render(v))
	}
	// The same statement on a table the history does not follow is ignored.
	res, err := apply(tb, "ALTER TABLE other.t ADD COLUMN h INT INVISIBLE", "d", nextPos())
	if err != nil || res.Ignored == "" {
		t.Errorf("unfollowed table: res %+v err %v", res, err)
	}
	// A contradiction (a column the history lacks) is an error too.
	if _, err := apply(tb, "ALTER TABLE t DROP COLUMN nope", "d", nextPos()); !errors.As(err, &de) {
		t.Errorf("drop of a missing column: %v", err)
	}
	// A statement that names no table cannot be ruled out.
	if _, err := apply(tb, "CREATE TABLE", "d", nextPos()); !errors.As(err, &de) {
		t.Errorf("unnamed table: %v", err)
	}
}

func TestTables_Apply_RenameInAndOut(t *testing.T) {
	sel := func(db, table string) bool { return db == "d" && !strings.HasPrefix(table, "_") }
	tb := emptyTables(t, sel)
	mustApply(t, tb, "d", "CREATE TABLE t (a INT)")
	// gh-ost style: a ghost table beside the selected one, then a swap.
	mustApply(t, tb, "d", "CREATE TABLE _t_gho LIKE t", "ALTER TABLE _t_gho ADD COLUMN b INT",
		"RENAME TABLE t TO _t_del, _t_gho TO t")
	v, _ := tb.Table("d", "t")
	if got := render(v); got != "a int(11) null; b int(11) null" {
		t.Errorf("after the swap: %s", got)
	}
	// Out of the followed tables: dropped from the history.
	res, err := apply(tb, "RENAME TABLE t TO elsewhere.t", "d", nextPos())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.Table("elsewhere", "t"); ok || len(res.Renamed) != 1 || res.Renamed[0] != [2]string{"d.t", "elsewhere.t"} {
		t.Errorf("rename out: %+v", res)
	}
}

func TestHistory_Open_AtPosition(t *testing.T) {
	h, db := newTestHistory(t, nil)
	st := newState(nil)
	st.style = style{widths: true, mariadb: true}
	st.serverCharset = "utf8mb4"
	tb := h.tables(st)
	p0 := change.Position{File: "bin.000001", Pos: 100}
	// Record an empty capture at p0, as CaptureAt would.
	if err := tb.Put("d", "t", mustCreate(t, "CREATE TABLE t (a INT)"), p0, ""); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		pos  change.Position
		stmt string
	}{
		{change.Position{File: "bin.000001", Pos: 500}, "ALTER TABLE t ADD COLUMN b INT"},
		{change.Position{File: "bin.000002", Pos: 200}, "RENAME TABLE t TO u"},
		{change.Position{File: "bin.000010", Pos: 4}, "ALTER TABLE u DROP COLUMN a"},
	}
	for _, s := range steps {
		if _, err := apply(tb, s.stmt, "d", s.pos); err != nil {
			t.Fatal(err)
		}
	}
	// The reader's checkpointer commits what the history recorded.
	if err := db.Commit(&store.Update{Schemas: tb.TakePending()}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at         change.Position
		table, out string
	}{
		{change.Position{File: "bin.000001", Pos: 499}, "d.t", "a int(11) null"},
		{change.Position{File: "bin.000001", Pos: 500}, "d.t", "a int(11) null; b int(11) null"},
		{change.Position{File: "bin.000002", Pos: 100}, "d.t", "a int(11) null; b int(11) null"},
		{change.Position{File: "bin.000002", Pos: 300}, "d.t", "<none>"},
		{change.Position{File: "bin.000002", Pos: 300}, "d.u", "a int(11) null; b int(11) null"},
		{change.Position{File: "bin.000011", Pos: 4}, "d.u", "b int(11) null"},
		{change.Position{}, "d.u", "b int(11) null"},
	}
	for _, c := range cases {
		got, err := h.Open(t.Context(), c.at, "")
		if err != nil {
			t.Fatal(err)
		}
		db, name, _ := strings.Cut(c.table, ".")
		v, _ := got.Table(db, name)
		if r := render(v); r != c.out {
			t.Errorf("at %s %s: %s, want %s", c.at, c.table, r, c.out)
		}
	}
}

func mustCreate(t *testing.T, sql string) *Version {
	t.Helper()
	tb := emptyTables(t, nil)
	mustApply(t, tb, "d", sql)
	db, name := "d", strings.Fields(sql)[2]
	v, ok := tb.Table(db, name)
	if !ok {
		t.Fatal(fmt.Sprintf("%s created nothing", sql))
	}
	return v
}

// A system-versioned table's period survives the DDL the history applies
// (its own clauses are MariaDB syntax the parser rejects: those re-read the
// table), and follows a rename of its ROW END column.
func TestTables_Apply_KeepsVersioning(t *testing.T) {
	tb := emptyTables(t, nil)
	mustApply(t, tb, "d", "CREATE TABLE implicit (id INT PRIMARY KEY)", "CREATE TABLE declared (id INT PRIMARY KEY, s TIMESTAMP(6), e TIMESTAMP(6))")
	for name, v := range map[string]*change.Versioning{"implicit": {}, "declared": {RowEnd: "e"}} {
		cur, _ := tb.Table("d", name)
		c := *cur.Table
		c.Versioning = v
		if err := tb.Put("d", name, &Version{Table: &c, Charset: cur.Charset}, nextPos(), ""); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(t, tb, "d", "ALTER TABLE implicit ADD COLUMN a INT", "ALTER TABLE declared ADD COLUMN a INT FIRST",
		"ALTER TABLE declared RENAME COLUMN e TO ends")
	if v, _ := tb.Table("d", "implicit"); v.Table.Versioning == nil || v.Table.Versioning.RowEnd != "" || v.Table.HiddenColumns() != 2 {
		t.Errorf("implicit: versioning %+v", v.Table.Versioning)
	}
	if v, _ := tb.Table("d", "declared"); v.Table.Versioning == nil || v.Table.Versioning.RowEnd != "ends" || v.Table.HiddenColumns() != 0 {
		t.Errorf("declared: versioning %+v", v.Table.Versioning)
	}
}
