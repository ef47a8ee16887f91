package sourcedb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// These tests run against the test bed's MariaDB: the admin account creates
// and writes tables, the sluice account (DTS privileges only) reads them.

// newDB creates a throw-away database and runs statements in it as admin.
func newDB(t testing.TB, statements ...string) string {
	t.Helper()
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, append([]string{"USE " + QuoteIdent(db)}, statements...)...)
	return db
}

func TestDescribe_AllTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t, testbed.AllTypesDDL)
	conn, err := Dial(context.Background(), testbed.Source(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tbl, err := Describe(context.Background(), conn, db, "all_types")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]change.Column{
		"id":          {Type: change.TypeLongLong, Unsigned: true, ColumnType: "bigint(20) unsigned"},
		"c_tiny":      {Type: change.TypeTiny, Nullable: true, ColumnType: "tinyint(4)"},
		"c_medium_u":  {Type: change.TypeInt24, Unsigned: true, Nullable: true, ColumnType: "mediumint(8) unsigned"},
		"c_dec":       {Type: change.TypeNewDecimal, Nullable: true, ColumnType: "decimal(65,30)", Precision: 65, Scale: 30, Meta: 65<<8 | 30},
		"c_float":     {Type: change.TypeFloat, Nullable: true, ColumnType: "float", Meta: 4},
		"c_bit64":     {Type: change.TypeBit, Nullable: true, ColumnType: "bit(64)", Meta: 8 << 8},
		"c_bit1":      {Type: change.TypeBit, Nullable: true, ColumnType: "bit(1)", Meta: 1},
		"c_time":      {Type: change.TypeTime2, Nullable: true, ColumnType: "time(6)", Scale: 6, Meta: 6},
		"c_ts3":       {Type: change.TypeTimestamp2, Nullable: true, ColumnType: "timestamp(3)", Scale: 3, Meta: 3},
		"c_year":      {Type: change.TypeYear, Unsigned: true, Nullable: true, ColumnType: "year(4)"},
		"c_varchar":   {Type: change.TypeVarchar, Nullable: true, ColumnType: "varchar(64)", Charset: "utf8mb4", Meta: 256},
		"c_latin1":    {Type: change.TypeVarchar, Nullable: true, ColumnType: "varchar(16)", Charset: "latin1", Meta: 16},
		"c_varbinary": {Type: change.TypeVarchar, Nullable: true, ColumnType: "varbinary(16)", Charset: "binary", Meta: 16},
		"c_binary":    {Type: change.TypeString, Nullable: true, ColumnType: "binary(4)", Charset: "binary", Meta: uint16(change.TypeString)<<8 | 4},
		"c_text":      {Type: change.TypeBlob, Nullable: true, ColumnType: "text", Charset: "utf8mb4", Meta: 2},
		"c_blob":      {Type: change.TypeBlob, Nullable: true, ColumnType: "blob", Charset: "binary", Meta: 2},
		"c_longtext":  {Type: change.TypeBlob, Nullable: true, ColumnType: "longtext", Charset: "utf8mb4", Meta: 4},
		"c_enum":      {Type: change.TypeEnum, Nullable: true, ColumnType: "enum('small','large','it''s')", Charset: "utf8mb4", Elements: []string{"small", "large", "it's"}, Meta: uint16(change.TypeEnum)<<8 | 1},
		"c_set":       {Type: change.TypeSet, Nullable: true, ColumnType: "set('a','b','c')", Charset: "utf8mb4", Elements: []string{"a", "b", "c"}, Meta: uint16(change.TypeSet)<<8 | 1},
		"c_point":     {Type: change.TypeGeometry, Nullable: true, ColumnType: "point", Charset: "binary", Meta: 4},
	}
	seen := 0
	for _, c := range tbl.Columns {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		seen++
		w.Name = c.Name
		if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", w) {
			t.Errorf("column %s:\n got %+v\nwant %+v", c.Name, c, w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d expected columns", seen, len(want))
	}
	if !slices.Equal(tbl.PrimaryKey, []int{0}) {
		t.Errorf("PrimaryKey = %v", tbl.PrimaryKey)
	}
	if len(tbl.UniqueKeys) != 1 || tbl.UniqueKeys[0].Name != "uk_varchar" ||
		!slices.Equal(tbl.UniqueKeys[0].Columns, []int{tbl.ColumnIndex("c_varchar"), tbl.ColumnIndex("c_latin1")}) {
		t.Errorf("UniqueKeys = %+v", tbl.UniqueKeys)
	}

	ddl, err := ShowCreate(context.Background(), conn, db, "all_types")
	if err != nil || !strings.HasPrefix(ddl, "CREATE TABLE `all_types`") || !strings.Contains(ddl, "`c_point` point") {
		t.Errorf("ShowCreate = %q, %v", ddl, err)
	}
	tables, err := ListTables(context.Background(), conn, func(d, _ string) bool { return d == db })
	if err != nil || len(tables) != 1 || tables[0] != (TableName{db, "all_types"}) {
		t.Errorf("ListTables = %v, %v", tables, err)
	}
	if _, err := Describe(context.Background(), conn, db, "missing"); err == nil || !strings.Contains(err.Error(), "GRANT SELECT") {
		t.Errorf("Describe of a missing table: %v", err)
	}
	if n, err := EstimateRows(context.Background(), conn, db, "all_types"); err != nil || n != 0 {
		t.Errorf("EstimateRows of an empty table = %d, %v", n, err)
	}
}

// Regression (system-versioned tables): a table WITH SYSTEM VERSIONING
// (TABLE_TYPE 'SYSTEM VERSIONED') was left out of the snapshot.
func TestListTables_SkipsViewsAndSystemSchemas(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t, "CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT)", "CREATE VIEW v AS SELECT * FROM a",
		"CREATE TABLE c (id INT PRIMARY KEY) WITH SYSTEM VERSIONING")
	conn := testbed.Connect(t)
	all, err := ListTables(context.Background(), conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, n := range all {
		if systemSchemas[n.Schema] {
			t.Errorf("system table %s listed", n)
		}
		if n.Schema == db {
			mine = append(mine, n.Name)
		}
	}
	if !slices.Equal(mine, []string{"a", "b", "c"}) {
		t.Errorf("tables of %s = %v, want [a b c]", db, mine)
	}
}

func TestDescribe_SystemVersioning(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t,
		"CREATE TABLE plain (id INT PRIMARY KEY)",
		"CREATE TABLE implicit (id INT PRIMARY KEY, a INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE declared (id INT PRIMARY KEY, `from` TIMESTAMP(6) GENERATED ALWAYS AS ROW START, "+
			"`to` TIMESTAMP(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME(`from`, `to`)) WITH SYSTEM VERSIONING",
		"CREATE TABLE trx (id INT PRIMARY KEY, s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "+
			"e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(s, e)) ENGINE=InnoDB WITH SYSTEM VERSIONING")
	conn := testbed.Connect(t)
	for _, tc := range []struct {
		table string
		want  *change.Versioning
		cols  int
	}{
		{"plain", nil, 1},
		{"implicit", &change.Versioning{}, 2},
		{"declared", &change.Versioning{RowEnd: "to"}, 3},
		{"trx", &change.Versioning{RowEnd: "e", ByTransaction: true}, 3},
	} {
		tb, err := Describe(context.Background(), conn, db, tc.table)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tb.Versioning, tc.want) || len(tb.Columns) != tc.cols {
			t.Errorf("%s: versioning %+v with %d columns, want %+v with %d", tc.table, tb.Versioning, len(tb.Columns), tc.want, tc.cols)
		}
	}
}

func TestSnapshotPoint_MariaDB(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t, "CREATE TABLE a (id INT PRIMARY KEY)")
	src := testbed.Source(t)
	conn := testbed.Connect(t)
	p0, err := SnapshotPoint(context.Background(), conn, src)
	if err != nil {
		t.Fatal(err)
	}
	if p0.Pos.File == "" || p0.Pos.Pos < 4 || p0.GTIDSet == "" {
		t.Fatalf("SnapshotPoint = %+v", p0)
	}
	testbed.AdminExec(t, "INSERT INTO "+Qualified(db, "a")+" VALUES (1)")
	p1, err := SnapshotPoint(context.Background(), conn, src)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Pos.File == p0.Pos.File && p1.Pos.Pos <= p0.Pos.Pos || p1.GTIDSet == p0.GTIDSet {
		t.Fatalf("position did not advance over a commit: %+v then %+v", p0, p1)
	}
}

func TestCurrentPosition_MatchesServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	pos, gtids, err := CurrentPosition(context.Background(), testbed.Source(t))
	if err != nil {
		t.Fatal(err)
	}
	after := testbed.BinlogPosition(t)
	if pos.File == "" || pos.Pos < 4 || pos.File > after.Name || pos.File == after.Name && pos.Pos > after.Pos {
		t.Fatalf("CurrentPosition %s, server now at %s", pos, after)
	}
	if !strings.Contains(gtids, "-") {
		t.Fatalf("gtid position %q", gtids)
	}
}

// Regression: the snapshot's connections did not mark a wrong password
// terminal, so a shard retried it for the whole retry window.
func TestDial_WrongPasswordIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := testbed.Source(t)
	src.Password = topology.NewSecret("wrong-" + fmt.Sprint(rand.Uint32()))
	_, err := Dial(context.Background(), src)
	var e *Error
	if !errkind.IsTerminal(err) || !errors.As(err, &e) || !strings.Contains(e.Fix, "correct user and password of source "+src.Name) {
		t.Fatalf("Dial with a wrong password: %v; want a terminal *Error with a fix", err)
	}
}

func TestCurrentPosition_MissingPrivilegeIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := testbed.Source(t)
	user := fmt.Sprintf("nopos_%d", rand.Uint32N(1<<30))
	testbed.AdminExec(t, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'pw'", "GRANT SELECT ON *.* TO '"+user+"'@'%'")
	t.Cleanup(func() { testbed.AdminExec(t, "DROP USER '"+user+"'@'%'") })
	src.User, src.Password = user, topology.NewSecret("pw")
	_, _, err := CurrentPosition(context.Background(), src)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "REPLICATION CLIENT") {
		t.Fatalf("CurrentPosition without REPLICATION CLIENT: %v; want terminal, naming the privilege", err)
	}
}
