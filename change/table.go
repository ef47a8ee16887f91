package change

import "strings"

// MySQL protocol column type codes (the binlog's and the client protocol's).
// Column.Type holds the real type: ENUM and SET, not the STRING they are
// logged as.
const (
	TypeDecimal    byte = 0
	TypeTiny       byte = 1
	TypeShort      byte = 2
	TypeLong       byte = 3
	TypeFloat      byte = 4
	TypeDouble     byte = 5
	TypeNull       byte = 6
	TypeTimestamp  byte = 7
	TypeLongLong   byte = 8
	TypeInt24      byte = 9
	TypeDate       byte = 10
	TypeTime       byte = 11
	TypeDateTime   byte = 12
	TypeYear       byte = 13
	TypeNewDate    byte = 14
	TypeVarchar    byte = 15
	TypeBit        byte = 16
	TypeTimestamp2 byte = 17
	TypeDateTime2  byte = 18
	TypeTime2      byte = 19
	TypeJSON       byte = 245
	TypeNewDecimal byte = 246
	TypeEnum       byte = 247
	TypeSet        byte = 248
	TypeTinyBlob   byte = 249
	TypeMediumBlob byte = 250
	TypeLongBlob   byte = 251
	TypeBlob       byte = 252
	TypeVarString  byte = 253
	TypeString     byte = 254
	TypeGeometry   byte = 255
)

// Column describes one column of a table version.
type Column struct {
	Name string
	// Type is the MySQL protocol type code (see the Type constants).
	Type byte
	// Meta is the binlog column metadata (length, precision/scale, fsp, ...).
	Meta     uint16
	Unsigned bool
	Nullable bool
	// Charset is the character set name ("utf8mb4", "latin1", ...) or
	// "binary" for binary strings and BLOBs; empty for non-string types.
	Charset string
	// ColumnType is the full type text as information_schema.COLUMNS.COLUMN_TYPE
	// shows it, e.g. "bigint(20) unsigned", "varchar(64)", "decimal(10,2)".
	ColumnType string
	// Precision and Scale of DECIMAL; Scale is also the fractional-seconds
	// precision of TIME, DATETIME and TIMESTAMP.
	Precision, Scale int
	// Elements are the values of an ENUM or SET, in definition order.
	Elements []string
}

// IsBinary reports whether the column's bytes are not text.
func (c *Column) IsBinary() bool { return c.Charset == "binary" }

// Key is a named unique key (the primary key is Table.PrimaryKey).
type Key struct {
	Name    string
	Columns []int
}

// Table is one version of a table's definition.
type Table struct {
	Schema, Name string
	Columns      []Column
	// PrimaryKey holds column indexes of the primary key, in key order.
	PrimaryKey []int
	// UniqueKeys are the other unique keys.
	UniqueKeys []Key
	// Versioning is set for a MariaDB system-versioned table; nil for
	// every other table.
	Versioning *Versioning
}

// Versioning is the period of a MariaDB system-versioned table (WITH SYSTEM
// VERSIONING). Its binlog rows carry ROW START and ROW END, and every UPDATE
// and DELETE also logs the history row it keeps: a row image is current
// when its ROW END holds the type's maximum.
type Versioning struct {
	// RowEnd names the ROW END column when the table declares its period
	// (the column is then in Columns); empty for the implicit ROW_START and
	// ROW_END, which information_schema does not list and binlog rows carry
	// as their last two columns.
	RowEnd string
	// ByTransaction is set when the period is transaction ids (BIGINT
	// UNSIGNED), not timestamps: MariaDB logs such a table's changes as
	// statements, which Sluice cannot read.
	ByTransaction bool
}

// HiddenColumns is how many columns the table's binlog rows have beyond
// Columns: the implicit ROW_START and ROW_END of a system-versioned table.
func (t *Table) HiddenColumns() int {
	if t.Versioning != nil && t.Versioning.RowEnd == "" {
		return 2
	}
	return 0
}

// QualifiedName is "schema.table".
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// KeyColumns returns the columns that identify a row: the primary key, else
// the first unique key, else nil (the table has no key).
func (t *Table) KeyColumns() []int {
	if len(t.PrimaryKey) > 0 {
		return t.PrimaryKey
	}
	if len(t.UniqueKeys) > 0 {
		return t.UniqueKeys[0].Columns
	}
	return nil
}

// ColumnIndex returns the index of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// EnumSetMeta is the binlog metadata of an ENUM or SET column (typ) with n
// elements: the real type in the high byte, the bytes a value takes in the
// low byte (ENUM: 1 or 2; SET: one bit per element, in 1, 2, 4 or 8 bytes).
func EnumSetMeta(typ byte, n int) uint16 {
	var size int
	if typ == TypeEnum {
		size = 1
		if n > 255 {
			size = 2
		}
	} else {
		size = (n + 7) / 8
		if size == 3 {
			size = 4
		} else if size > 4 {
			size = 8
		}
	}
	return uint16(typ)<<8 | uint16(size)
}

// EnumSetType renders an ENUM or SET column's type (typ) as COLUMN_TYPE
// shows it: enum('a','b”c').
func EnumSetType(typ byte, elems []string) string {
	var b strings.Builder
	if typ == TypeEnum {
		b.WriteString("enum(")
	} else {
		b.WriteString("set(")
	}
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(e, "'", "''"))
		b.WriteByte('\'')
	}
	b.WriteByte(')')
	return b.String()
}
