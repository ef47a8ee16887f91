package render

import (
	"strings"

	"github.com/sluicecdc/sluice/change"
)

// TableCache holds per-table-version data a codec derives once (rendered
// names, type lists, schemas). Tables are immutable and shared by every change
// of one table version, so the pointer is the key. It is bounded: past Max
// entries it starts over, which only costs recomputation.
type TableCache[T any] struct {
	m map[*change.Table]*T
}

// maxTables bounds a TableCache; a DDL-heavy stream rebuilds entries rather
// than growing without bound.
const maxTables = 4096

// Get returns the entry for t, building it with build on a miss.
func (c *TableCache[T]) Get(t *change.Table, build func(*change.Table) *T) *T {
	if v, ok := c.m[t]; ok {
		return v
	}
	if c.m == nil || len(c.m) >= maxTables {
		c.m = make(map[*change.Table]*T)
	}
	v := build(t)
	c.m[t] = v
	return v
}

// BaseType returns a COLUMN_TYPE text without its parenthesised length,
// precision or value list: "bigint(20) unsigned" → "bigint unsigned",
// "enum('a','b')" → "enum", "decimal(10,2)" → "decimal".
func BaseType(columnType string) string {
	open := strings.IndexByte(columnType, '(')
	if open < 0 {
		return columnType
	}
	inQuote := false
	for i := open + 1; i < len(columnType); i++ {
		switch c := columnType[i]; {
		case c == '\'':
			inQuote = !inQuote
		case c == ')' && !inQuote:
			return columnType[:open] + columnType[i+1:]
		}
	}
	return columnType[:open]
}

// BlobType maps a BLOB-family column to the protocol type of its size
// (binlogs log every BLOB and TEXT as TypeBlob with the length bytes in Meta).
func BlobType(col *change.Column) byte {
	if col.Type != change.TypeBlob {
		return col.Type
	}
	switch col.Meta {
	case 1:
		return change.TypeTinyBlob
	case 3:
		return change.TypeMediumBlob
	case 4:
		return change.TypeLongBlob
	}
	lower := strings.ToLower(col.ColumnType)
	switch {
	case strings.HasPrefix(lower, "tiny"):
		return change.TypeTinyBlob
	case strings.HasPrefix(lower, "medium"):
		return change.TypeMediumBlob
	case strings.HasPrefix(lower, "long"):
		return change.TypeLongBlob
	}
	return change.TypeBlob
}

// IsTextType reports whether a column of a string or BLOB type holds text
// (has a character set other than binary).
func IsTextType(col *change.Column) bool { return col.Charset != "" && col.Charset != "binary" }

// IsStringType reports whether col is CHAR, VARCHAR, BINARY, VARBINARY or a
// BLOB/TEXT type: the types whose bytes are in the column's charset.
func IsStringType(col *change.Column) bool {
	switch col.Type {
	case change.TypeVarchar, change.TypeVarString, change.TypeString,
		change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeBlob:
		return true
	}
	return false
}

// ColumnKind says how a column's string or []byte values become text: by
// charset for string types, one character per byte for GEOMETRY, and UTF-8
// for the rest (DECIMAL, temporal, ENUM, SET and JSON values are text the
// decoder produced).
func ColumnKind(col *change.Column) TextKind {
	switch {
	case IsStringType(col):
		return KindOf(col.Charset)
	case col.Type == change.TypeGeometry:
		return TextBinary
	}
	return TextUTF8
}
