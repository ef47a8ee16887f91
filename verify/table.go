package verify

import (
	"fmt"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// Kind is how a column's values are compared: the text form both the topic
// decoders and the source's SELECT reduce a value to.
type Kind uint8

const (
	KindText      Kind = iota // character strings, JSON, INET6/INET4/UUID: UTF-8 text
	KindEnum                  // ENUM: the member's name
	KindSet                   // SET: the members' names joined by commas
	KindBinary                // BINARY, VARBINARY, BLOB: upper-case hex of the bytes
	KindGeometry              // spatial types: upper-case hex of MySQL's bytes (SRID + WKB)
	KindBit                   // BIT: the unsigned decimal of the bits
	KindFloat                 // FLOAT, DOUBLE: compared as numbers (see Column.Float32)
	KindTimestamp             // TIMESTAMP: UTC text with the column's fraction digits
	KindDecimal               // DECIMAL: the text with the column's scale
	KindDate                  // DATE
	KindDateTime              // DATETIME
	KindTime                  // TIME
	KindYear                  // YEAR
	KindInt                   // integer types: the decimal text
)

// Column is one column of a compared table.
type Column struct {
	Name     string
	Kind     Kind
	Unsigned bool
	Nullable bool
	// Float32 marks FLOAT (single precision): MySQL prints it with 6
	// significant digits, so values compare at that precision.
	Float32 bool
	// Bits is a BIT column's width.
	Bits int
	// Scale is DECIMAL's scale, and the fraction digits of TIME, DATETIME
	// and TIMESTAMP.
	Scale int
	// Elements are an ENUM's or SET's members, in definition order.
	Elements []string
	// Charset is a string column's character set ("binary" for bytes).
	Charset string
}

// Table is one compared table: its columns in order and its key.
type Table struct {
	DB, Name string
	Columns  []Column
	// Key lists the key columns: the primary key, else the first unique key.
	Key []string
	col map[string]int
}

// ID is "db.table", as records name their table.
func (t *Table) ID() string { return t.DB + "." + t.Name }

// Column returns the named column, nil when the table has none.
func (t *Table) Column(name string) *Column {
	if i, ok := t.col[name]; ok {
		return &t.Columns[i]
	}
	return nil
}

// TableOf describes t for the comparison. A table without a primary or
// unique key cannot be compared by key and is an error.
func TableOf(t *change.Table) (*Table, error) {
	out := &Table{DB: t.Schema, Name: t.Name, col: map[string]int{}}
	for i := range t.Columns {
		c := &t.Columns[i]
		out.col[c.Name] = i
		out.Columns = append(out.Columns, columnOf(c))
	}
	key := t.PrimaryKey
	if len(key) == 0 && len(t.UniqueKeys) > 0 {
		key = t.UniqueKeys[0].Columns
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("table %s has no primary or unique key: verify compares rows by key; add a PRIMARY KEY or leave the table out with --table", out.ID())
	}
	for _, i := range key {
		out.Key = append(out.Key, t.Columns[i].Name)
	}
	return out, nil
}

func columnOf(c *change.Column) Column {
	ct := strings.ToLower(c.ColumnType)
	base := ct
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	col := Column{Name: c.Name, Unsigned: c.Unsigned || strings.Contains(ct, "unsigned"), Nullable: c.Nullable, Scale: c.Scale,
		Elements: c.Elements, Charset: c.Charset}
	switch base {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		col.Kind = KindInt
	case "decimal", "numeric":
		col.Kind = KindDecimal
	case "float":
		col.Kind, col.Float32 = KindFloat, true
	case "double", "real":
		col.Kind = KindFloat
	case "bit":
		col.Kind = KindBit
		col.Bits = 1
		fmt.Sscanf(ct, "bit(%d)", &col.Bits)
	case "date":
		col.Kind = KindDate
	case "datetime":
		col.Kind = KindDateTime
	case "timestamp":
		col.Kind = KindTimestamp
	case "time":
		col.Kind = KindTime
	case "year":
		col.Kind = KindYear
	case "enum":
		col.Kind = KindEnum
	case "set":
		col.Kind = KindSet
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		col.Kind = KindBinary
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		col.Kind = KindGeometry
	default:
		col.Kind = KindText
		if c.Charset == "binary" {
			col.Kind = KindBinary
		}
	}
	return col
}

// selectExpr is the expression a SELECT reads column c through, so that
// its text is the form the decoders reduce topic values to. wkbOnly drops
// the 4-byte SRID of spatial values (the DTS Avro format carries the WKB
// alone).
func selectExpr(c *Column, wkbOnly bool) string {
	q := sourcedb.QuoteIdent(c.Name)
	switch c.Kind {
	case KindText, KindEnum, KindSet:
		return "CONVERT(" + q + " USING utf8mb4)"
	case KindBinary:
		return "HEX(" + q + ")"
	case KindGeometry:
		if wkbOnly {
			return "HEX(SUBSTRING(" + q + ", 5))"
		}
		return "HEX(" + q + ")"
	case KindBit:
		return "CAST(" + q + " AS UNSIGNED)"
	}
	return q
}
