package sourcedb

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
)

// TableName names a table of a source.
type TableName struct{ Schema, Name string }

// String is "schema.table".
func (n TableName) String() string { return n.Schema + "." + n.Name }

// systemSchemas hold the server's own tables, never a source's.
var systemSchemas = map[string]bool{
	"mysql": true, "sys": true, "information_schema": true, "performance_schema": true,
}

// ListTables returns the base tables (system-versioned ones included; no
// views, no system schemas) for which match returns true, sorted by schema
// and name. A nil match selects all.
func ListTables(ctx context.Context, conn *client.Conn, match func(db, table string) bool) ([]TableName, error) {
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	r, err := conn.Execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES " +
		"WHERE TABLE_TYPE IN " + BaseTableTypes + " ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	var out []TableName
	for i := range r.Values {
		db, name := string(r.Values[i][0].AsString()), string(r.Values[i][1].AsString())
		if systemSchemas[strings.ToLower(db)] {
			continue
		}
		if match == nil || match(db, name) {
			out = append(out, TableName{Schema: db, Name: name})
		}
	}
	return out, nil
}

// BaseTableTypes are the information_schema.TABLES.TABLE_TYPE values of
// tables that hold rows (MariaDB says SYSTEM VERSIONED for a
// system-versioned one), as an SQL list.
const BaseTableTypes = "('BASE TABLE', 'SYSTEM VERSIONED')"

// ShowCreate returns the table's CREATE TABLE statement, as SHOW CREATE TABLE
// prints it.
func ShowCreate(ctx context.Context, conn *client.Conn, db, table string) (string, error) {
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	r, err := conn.Execute("SHOW CREATE TABLE " + Qualified(db, table))
	if err != nil {
		return "", fmt.Errorf("SHOW CREATE TABLE %s.%s: %w", db, table, err)
	}
	if len(r.Values) != 1 || len(r.Values[0]) < 2 {
		return "", fmt.Errorf("SHOW CREATE TABLE %s.%s returned no statement", db, table)
	}
	return string(r.Values[0][1].AsString()), nil
}

// EstimateRows returns the server's estimate of a table's row count
// (information_schema.TABLES.TABLE_ROWS; InnoDB's is approximate and may be
// 0 right after a bulk load).
func EstimateRows(ctx context.Context, conn *client.Conn, db, table string) (uint64, error) {
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	r, err := conn.Execute("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
		QuoteString(db) + " AND TABLE_NAME = " + QuoteString(table))
	if err != nil {
		return 0, fmt.Errorf("estimating rows of %s.%s: %w", db, table, err)
	}
	if len(r.Values) == 0 || r.Values[0][0].Type == mysql.FieldValueTypeNull {
		return 0, nil
	}
	n, err := FieldUint(&r.Values[0][0])
	if err != nil {
		return 0, fmt.Errorf("estimating rows of %s.%s: %w", db, table, err)
	}
	return n, nil
}

// Describe reads a table's definition from information_schema.COLUMNS and
// SHOW INDEX, in the shape the binlog decoder builds from FULL row metadata:
// protocol type codes, binlog metadata, charsets, ENUM/SET elements, the
// primary key and the unique keys in key order, and for a system-versioned
// table its period (SHOW CREATE TABLE).
func Describe(ctx context.Context, conn *client.Conn, db, table string) (*change.Table, error) {
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	r, err := conn.Execute("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME, " +
		"CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION " +
		"FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " + QuoteString(db) +
		" AND TABLE_NAME = " + QuoteString(table) + " ORDER BY ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("describing %s.%s: %w", db, table, err)
	}
	if len(r.Values) == 0 {
		return nil, fmt.Errorf("table %s.%s does not exist or the account cannot see it: check the name and GRANT SELECT ON %s.* to the source's user", db, table, db)
	}
	t := &change.Table{Schema: db, Name: table, Columns: make([]change.Column, len(r.Values))}
	for i, row := range r.Values {
		col, err := describeColumn(row)
		if err != nil {
			return nil, fmt.Errorf("describing %s.%s: %w", db, table, err)
		}
		t.Columns[i] = col
	}
	if err := describeKeys(conn, t); err != nil {
		return nil, err
	}
	if err := describeVersioning(ctx, conn, t); err != nil {
		return nil, err
	}
	return t, nil
}

// describeVersioning sets t.Versioning when t is system-versioned: the
// declared period's ROW END, from SHOW CREATE TABLE's PERIOD FOR
// SYSTEM_TIME (s, e); none declared means the implicit ROW_START and
// ROW_END.
func describeVersioning(ctx context.Context, conn *client.Conn, t *change.Table) error {
	r, err := conn.Execute("SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
		QuoteString(t.Schema) + " AND TABLE_NAME = " + QuoteString(t.Name))
	if err != nil {
		return fmt.Errorf("reading the type of %s: %w", t.QualifiedName(), err)
	}
	if len(r.Values) == 0 || string(r.Values[0][0].AsString()) != "SYSTEM VERSIONED" {
		return nil
	}
	ddl, err := ShowCreate(ctx, conn, t.Schema, t.Name)
	if err != nil {
		return err
	}
	t.Versioning = &change.Versioning{}
	const period = "PERIOD FOR SYSTEM_TIME ("
	i := strings.Index(ddl, period)
	if i < 0 {
		return nil
	}
	_, rest, ok := Ident(ddl[i+len(period):])
	rest = strings.TrimLeft(rest, " ,")
	end, _, ok2 := Ident(rest)
	c := t.ColumnIndex(end)
	if !ok || !ok2 || c < 0 {
		return fmt.Errorf("describing %s: cannot read its system-time period in %q", t.QualifiedName(), ddl[i:min(len(ddl), i+120)])
	}
	t.Versioning.RowEnd = end
	t.Versioning.ByTransaction = t.Columns[c].Type == change.TypeLongLong
	return nil
}

func describeColumn(row []mysql.FieldValue) (change.Column, error) {
	str := func(i int) string { return string(row[i].AsString()) }
	num := func(i int) int {
		n, _ := FieldUint(&row[i]) // NULL (not applicable) reads as 0
		return int(n)
	}
	c := change.Column{
		Name:       str(0),
		ColumnType: str(2),
		Nullable:   str(3) == "YES",
		Charset:    str(4),
	}
	dataType := strings.ToLower(str(1))
	lowerType := strings.ToLower(c.ColumnType)
	c.Unsigned = strings.Contains(lowerType, "unsigned")
	octets := num(5)
	switch dataType {
	case "tinyint":
		c.Type = change.TypeTiny
	case "smallint":
		c.Type = change.TypeShort
	case "mediumint":
		c.Type = change.TypeInt24
	case "int", "integer":
		c.Type = change.TypeLong
	case "bigint":
		c.Type = change.TypeLongLong
	case "decimal", "numeric":
		c.Type = change.TypeNewDecimal
		c.Precision, c.Scale = num(6), num(7)
		c.Meta = uint16(c.Precision)<<8 | uint16(c.Scale)
	case "float":
		c.Type, c.Meta = change.TypeFloat, 4
	case "double", "real", "double precision":
		c.Type, c.Meta = change.TypeDouble, 8
	case "bit":
		c.Type = change.TypeBit
		bits := num(6)
		c.Meta = uint16(bits/8)<<8 | uint16(bits%8)
	case "date":
		c.Type = change.TypeDate
	case "time":
		c.Type, c.Scale = change.TypeTime2, num(8)
		c.Meta = uint16(c.Scale)
	case "datetime":
		c.Type, c.Scale = change.TypeDateTime2, num(8)
		c.Meta = uint16(c.Scale)
	case "timestamp":
		c.Type, c.Scale = change.TypeTimestamp2, num(8)
		c.Meta = uint16(c.Scale)
	case "year":
		// The binlog's signedness metadata flags YEAR unsigned.
		c.Type, c.Unsigned = change.TypeYear, true
	case "char", "binary":
		c.Type = change.TypeString
		c.Meta = uint16(change.TypeString)<<8 | uint16(octets&0xff)
	case "varchar", "varbinary":
		c.Type, c.Meta = change.TypeVarchar, uint16(octets)
	case "tinytext", "tinyblob":
		c.Type, c.Meta = change.TypeBlob, 1
	case "text", "blob":
		c.Type, c.Meta = change.TypeBlob, 2
	case "mediumtext", "mediumblob":
		c.Type, c.Meta = change.TypeBlob, 3
	case "longtext", "longblob":
		c.Type, c.Meta = change.TypeBlob, 4
	case "json":
		c.Type, c.Meta = change.TypeJSON, 4
	case "enum":
		c.Type = change.TypeEnum
		c.Elements = parseElements(c.ColumnType)
		c.Meta = change.EnumSetMeta(change.TypeEnum, len(c.Elements))
	case "set":
		c.Type = change.TypeSet
		c.Elements = parseElements(c.ColumnType)
		c.Meta = change.EnumSetMeta(change.TypeSet, len(c.Elements))
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		c.Type, c.Meta, c.Charset = change.TypeGeometry, 4, "binary"
	case "inet4", "inet6", "uuid":
		// MariaDB's fixed-size binary types: the snapshot reads their text
		// form, the binlog reader renders their bytes as the same text
		// (COLUMN_TYPE tells it which), so the values are ASCII text.
		c.Type, c.Charset = change.TypeString, "ascii"
	default:
		return c, fmt.Errorf("column %s has type %s, which Sluice cannot read", c.Name, c.ColumnType)
	}
	if c.Charset == "" && isStringType(c.Type) && c.Type != change.TypeEnum && c.Type != change.TypeSet {
		c.Charset = "binary"
	}
	if c.Type == change.TypeJSON && c.Charset == "" {
		c.Charset = "utf8mb4"
	}
	return c, nil
}

// isStringType reports the types whose values carry a charset.
func isStringType(t byte) bool {
	switch t {
	case change.TypeString, change.TypeVarchar, change.TypeVarString, change.TypeBlob,
		change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeEnum, change.TypeSet:
		return true
	}
	return false
}

// parseElements returns the values of an ENUM or SET type as
// information_schema.COLUMNS.COLUMN_TYPE renders it, e.g. enum('a','b'):
// single quotes inside a value are doubled, backslashes escaped.
func parseElements(columnType string) []string {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return nil
	}
	s := columnType[open+1:]
	var out []string
	var cur []byte
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !in {
			switch c {
			case '\'':
				in, cur = true, cur[:0]
			case ')':
				return out
			}
			continue
		}
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			cur = append(cur, '\'')
			i++
		case c == '\'':
			in = false
			out = append(out, string(cur))
		case c == '\\' && i+1 < len(s):
			i++
			cur = append(cur, unescape(s[i]))
		default:
			cur = append(cur, c)
		}
	}
	return out
}

func unescape(c byte) byte {
	switch c {
	case '0':
		return 0
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'Z':
		return 26
	}
	return c
}

// describeKeys fills the primary key and unique keys from SHOW INDEX, which
// lists keys in the table's key order (primary first). Functional key parts
// (no column) make a key unusable for identification and are skipped.
func describeKeys(conn *client.Conn, t *change.Table) error {
	r, err := conn.Execute("SHOW INDEX FROM " + Qualified(t.Schema, t.Name))
	if err != nil {
		return fmt.Errorf("reading keys of %s: %w", t.QualifiedName(), err)
	}
	col := func(name string) int { return r.FieldNames[name] }
	nonUnique, keyName, seq, colName := col("Non_unique"), col("Key_name"), col("Seq_in_index"), col("Column_name")
	type key struct {
		name string
		cols []int
		bad  bool
	}
	var keys []*key
	byName := map[string]*key{}
	for _, row := range r.Values {
		if v, err := FieldUint(&row[nonUnique]); err != nil || v != 0 {
			continue
		}
		name := string(row[keyName].AsString())
		k := byName[name]
		if k == nil {
			k = &key{name: name}
			byName[name] = k
			keys = append(keys, k)
		}
		idx := t.ColumnIndex(string(row[colName].AsString()))
		n, err := FieldUint(&row[seq])
		if err != nil || idx < 0 || int(n) != len(k.cols)+1 {
			k.bad = true
			continue
		}
		k.cols = append(k.cols, idx)
	}
	for _, k := range keys {
		if k.bad || len(k.cols) == 0 {
			continue
		}
		if k.name == "PRIMARY" {
			t.PrimaryKey = k.cols
			continue
		}
		t.UniqueKeys = append(t.UniqueKeys, change.Key{Name: k.name, Columns: k.cols})
	}
	return nil
}
