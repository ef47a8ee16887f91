package snapshot

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// keyVersion is the first byte of an encoded key tuple.
const keyVersion = 1

// EncodeKey encodes a key tuple (each value's text-protocol bytes, in key
// column order) as a chunk bound for store.Chunk.Low/High. Values may be any
// bytes; the encoding is a version byte, the value count and each value's
// length and bytes (uvarints).
func EncodeKey(vals [][]byte) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, v := range vals {
		n += binary.MaxVarintLen64 + len(v)
	}
	b := make([]byte, 0, n)
	b = append(b, keyVersion)
	b = binary.AppendUvarint(b, uint64(len(vals)))
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// errBadKey is returned for a bound that EncodeKey did not write.
var errBadKey = errors.New("malformed chunk bound")

// DecodeKey decodes a bound written by EncodeKey. The values alias b.
func DecodeKey(b []byte) ([][]byte, error) {
	if len(b) == 0 || b[0] != keyVersion {
		return nil, errBadKey
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errBadKey
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, errBadKey
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, errBadKey
	}
	return out, nil
}

// keyKind says how a key column's values are written back into SQL.
type keyKind uint8

const (
	keyNone     keyKind = iota // not usable for chunking
	keyNumber                  // integers and DECIMAL: the text as a number literal
	keyTemporal                // DATE, TIME, DATETIME, TIMESTAMP: a quoted literal
	keyBinary                  // binary strings: X'hex'
	keyText                    // character strings: _charset X'hex'
)

// kindOf classifies a column as a chunking key part. Types whose ORDER BY is
// not the order their comparison with a literal uses (ENUM, SET), that sort
// on a prefix (BLOB, TEXT), or that compare inexactly (FLOAT, DOUBLE) are
// not usable.
func kindOf(c *change.Column) keyKind {
	switch c.Type {
	case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong,
		change.TypeYear, change.TypeNewDecimal, change.TypeDecimal:
		return keyNumber
	case change.TypeDate, change.TypeNewDate, change.TypeTime, change.TypeTime2,
		change.TypeDateTime, change.TypeDateTime2, change.TypeTimestamp, change.TypeTimestamp2:
		return keyTemporal
	case change.TypeString, change.TypeVarchar, change.TypeVarString:
		switch strings.ToLower(c.ColumnType) {
		case "uuid", "inet6", "inet4":
			return keyNone
		}
		if c.IsBinary() {
			return keyBinary
		}
		if validCharset(c.Charset) {
			return keyText
		}
	}
	return keyNone
}

func validCharset(cs string) bool {
	if cs == "" {
		return false
	}
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ChunkKey returns the columns a table is chunked and ordered by: the
// primary key, else the first unique key whose columns are all NOT NULL
// (rows with NULL in a unique key would fall outside every range), provided
// every column has a usable type. Nil means the table is read in one chunk.
func ChunkKey(t *change.Table) []int {
	var key []int
	if len(t.PrimaryKey) > 0 {
		key = t.PrimaryKey
	} else {
	keys:
		for _, k := range t.UniqueKeys {
			for _, c := range k.Columns {
				if t.Columns[c].Nullable {
					continue keys
				}
			}
			key = k.Columns
			break
		}
	}
	for _, c := range key {
		if kindOf(&t.Columns[c]) == keyNone {
			return nil
		}
	}
	return key
}

// appendLiteral renders one key value as an SQL literal of column c.
func appendLiteral(b []byte, c *change.Column, v []byte) ([]byte, error) {
	switch kindOf(c) {
	case keyNumber:
		if len(v) == 0 || !allIn(v, "0123456789+-.eE") {
			return b, fmt.Errorf("%w: %q is not a number for column %s", errBadKey, v, c.Name)
		}
		return append(b, v...), nil
	case keyTemporal:
		if !allIn(v, "0123456789-:. ") {
			return b, fmt.Errorf("%w: %q is not a time for column %s", errBadKey, v, c.Name)
		}
		b = append(b, '\'')
		b = append(b, v...)
		return append(b, '\''), nil
	case keyText:
		b = append(b, '_')
		b = append(b, c.Charset...)
		b = append(b, ' ')
		fallthrough
	case keyBinary:
		if len(v) == 0 {
			return append(b, "''"...), nil
		}
		b = append(b, "X'"...)
		b = hex.AppendEncode(b, v)
		return append(b, '\''), nil
	}
	return b, fmt.Errorf("column %s (%s) cannot bound a chunk", c.Name, c.ColumnType)
}

func allIn(v []byte, set string) bool {
	for _, c := range v {
		if strings.IndexByte(set, c) < 0 {
			return false
		}
	}
	return true
}

// appendBound renders "key >= low" (lower) or "key < high" (upper) for a key
// of one or more columns, expanded so that the server uses a range scan on
// the key (MariaDB does not for row-value comparisons):
// (a > x OR (a = x AND b >= y)).
func appendBound(b []byte, t *change.Table, key []int, vals [][]byte, lower bool) ([]byte, error) {
	if len(vals) != len(key) {
		return b, fmt.Errorf("%w: %d values for a key of %d columns", errBadKey, len(vals), len(key))
	}
	strict, last := " < ", " < "
	if lower {
		strict, last = " > ", " >= "
	}
	var err error
	for i, ci := range key {
		c := &t.Columns[ci]
		b = append(b, '(')
		b = append(b, sourcedb.QuoteIdent(c.Name)...)
		if i == len(key)-1 {
			b = append(b, last...)
		} else {
			b = append(b, strict...)
		}
		if b, err = appendLiteral(b, c, vals[i]); err != nil {
			return b, err
		}
		if i == len(key)-1 {
			break
		}
		b = append(b, " OR ("...)
		b = append(b, sourcedb.QuoteIdent(c.Name)...)
		b = append(b, " = "...)
		if b, err = appendLiteral(b, c, vals[i]); err != nil {
			return b, err
		}
		b = append(b, " AND "...)
	}
	for i := range key {
		if i == len(key)-1 {
			b = append(b, ')')
		} else {
			b = append(b, "))"...)
		}
	}
	return b, nil
}

// appendFieldText appends a text-protocol field's text (numbers are parsed by
// the client; they are formatted back).
func appendFieldText(b []byte, fv *mysql.FieldValue) []byte {
	switch fv.Type {
	case mysql.FieldValueTypeUnsigned:
		return strconv.AppendUint(b, fv.AsUint64(), 10)
	case mysql.FieldValueTypeSigned:
		return strconv.AppendInt(b, fv.AsInt64(), 10)
	case mysql.FieldValueTypeFloat:
		return strconv.AppendFloat(b, fv.AsFloat64(), 'g', -1, 64)
	}
	return append(b, fv.AsString()...)
}
