package schema

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"

	"github.com/sluicecdc/sluice/change"
)

// style says how COLUMN_TYPE text is rendered for columns defined by DDL, so
// that it reads as information_schema on the source would show it.
type style struct {
	// widths: integer types show a display width, "int(11)" (MariaDB, MySQL
	// before 8.0.19); otherwise "int".
	widths bool
	// mariadb: JSON is an alias of LONGTEXT.
	mariadb bool
}

// charsetOfCollation is the character set a collation belongs to.
func charsetOfCollation(coll string) string {
	coll = strings.ToLower(coll)
	if coll == "binary" {
		return "binary"
	}
	if i := strings.IndexByte(coll, '_'); i > 0 {
		return normCharset(coll[:i])
	}
	return ""
}

// normCharset spells a charset as information_schema does: utf8 is utf8mb3.
func normCharset(cs string) string {
	cs = strings.ToLower(cs)
	if cs == "utf8" {
		return "utf8mb3"
	}
	return cs
}

// maxBytes is the longest character of a charset, in bytes.
func maxBytes(cs string) int {
	switch cs {
	case "utf8mb4", "utf16", "utf16le", "utf32", "gb18030":
		return 4
	case "utf8mb3", "utf8", "ujis", "eucjpms":
		return 3
	case "ucs2", "gbk", "gb2312", "big5", "sjis", "cp932", "euckr":
		return 2
	}
	return 1
}

// column builds a column from its definition. cs is the table's default
// charset (used when the column names none). notNull is set when a
// column-level PRIMARY KEY makes it NOT NULL; keys are returned as inline
// key markers.
func (st style) column(def *ast.ColumnDef, tableCharset string) (change.Column, inlineKeys, error) {
	ft := def.Tp
	c := change.Column{Name: def.Name.Name.O, Nullable: true}
	var keys inlineKeys
	collate := ft.GetCollate()
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			c.Nullable = false
		case ast.ColumnOptionNull:
			c.Nullable = true
		case ast.ColumnOptionPrimaryKey:
			keys.primary = true
			c.Nullable = false
		case ast.ColumnOptionUniqKey:
			keys.unique = true
		case ast.ColumnOptionCollate:
			collate = o.StrValue
		}
	}
	flag := ft.GetFlag()
	c.Unsigned = flag&(pmysql.UnsignedFlag|pmysql.ZerofillFlag) != 0
	zerofill := flag&pmysql.ZerofillFlag != 0
	flen, dec := ft.GetFlen(), ft.GetDecimal()
	charset := func() string {
		switch {
		case strings.EqualFold(ft.GetCharset(), "binary"):
			return "binary"
		case ft.GetCharset() != "":
			return normCharset(ft.GetCharset())
		case collate != "":
			return charsetOfCollation(collate)
		}
		return tableCharset
	}
	intType := func(name string, tp byte, signedW, unsignedW int) {
		c.Type = tp
		w := signedW
		if c.Unsigned {
			w = unsignedW
		}
		if flen > 0 {
			w = flen
		}
		text := name
		if st.widths || zerofill || (tp == change.TypeTiny && flen == 1) {
			text += "(" + strconv.Itoa(w) + ")"
		}
		if c.Unsigned {
			text += " unsigned"
		}
		if zerofill {
			text += " zerofill"
		}
		c.ColumnType = text
	}
	sign := func(text string) string {
		if c.Unsigned {
			text += " unsigned"
		}
		if zerofill {
			text += " zerofill"
		}
		return text
	}
	temporal := func(tp byte, name string) {
		fsp := max(dec, 0)
		c.Type, c.Scale, c.Meta = tp, fsp, uint16(fsp)
		c.ColumnType = name
		if fsp > 0 {
			c.ColumnType += "(" + strconv.Itoa(fsp) + ")"
		}
	}
	str := func(tp byte) {
		c.Type = tp
		c.Charset = charset()
	}
	switch ft.GetType() {
	case pmysql.TypeTiny:
		intType("tinyint", change.TypeTiny, 4, 3)
	case pmysql.TypeShort:
		intType("smallint", change.TypeShort, 6, 5)
	case pmysql.TypeInt24:
		intType("mediumint", change.TypeInt24, 9, 8)
	case pmysql.TypeLong:
		intType("int", change.TypeLong, 11, 10)
	case pmysql.TypeLonglong:
		intType("bigint", change.TypeLongLong, 20, 20)
	case pmysql.TypeFloat, pmysql.TypeDouble:
		name, tp, meta := "float", change.TypeFloat, uint16(4)
		if ft.GetType() == pmysql.TypeDouble {
			name, tp, meta = "double", change.TypeDouble, 8
		}
		if flen > 0 && dec >= 0 {
			name += "(" + strconv.Itoa(flen) + "," + strconv.Itoa(dec) + ")"
		}
		c.Type, c.Meta, c.ColumnType = tp, meta, sign(name)
	case pmysql.TypeNewDecimal:
		p, s := flen, dec
		if p <= 0 {
			p = 10
		}
		if s < 0 {
			s = 0
		}
		c.Type, c.Precision, c.Scale = change.TypeNewDecimal, p, s
		c.Meta = uint16(p)<<8 | uint16(s)
		c.ColumnType = sign("decimal(" + strconv.Itoa(p) + "," + strconv.Itoa(s) + ")")
	case pmysql.TypeBit:
		bits := flen
		if bits <= 0 {
			bits = 1
		}
		c.Type, c.Meta = change.TypeBit, uint16(bits/8)<<8|uint16(bits%8)
		c.ColumnType = "bit(" + strconv.Itoa(bits) + ")"
	case pmysql.TypeDate, pmysql.TypeNewDate:
		c.Type, c.ColumnType = change.TypeDate, "date"
	case pmysql.TypeDuration:
		temporal(change.TypeTime2, "time")
	case pmysql.TypeDatetime:
		temporal(change.TypeDateTime2, "datetime")
	case pmysql.TypeTimestamp:
		temporal(change.TypeTimestamp2, "timestamp")
	case pmysql.TypeYear:
		// The binlog's signedness metadata flags YEAR unsigned.
		c.Type, c.Unsigned, c.ColumnType = change.TypeYear, true, "year"
		if st.widths {
			c.ColumnType = "year(4)"
		}
	case pmysql.TypeString:
		str(change.TypeString)
		n := max(flen, 1)
		octets := n
		if c.Charset == "binary" {
			c.ColumnType = "binary(" + strconv.Itoa(n) + ")"
		} else {
			octets = n * maxBytes(c.Charset)
			c.ColumnType = "char(" + strconv.Itoa(n) + ")"
		}
		c.Meta = uint16(change.TypeString)<<8 | uint16(octets&0xff)
	case pmysql.TypeVarchar, pmysql.TypeVarString:
		str(change.TypeVarchar)
		if c.Charset == "binary" {
			c.Meta, c.ColumnType = uint16(flen), "varbinary("+strconv.Itoa(flen)+")"
		} else {
			c.Meta, c.ColumnType = uint16(flen*maxBytes(c.Charset)), "varchar("+strconv.Itoa(flen)+")"
		}
	case pmysql.TypeTinyBlob, pmysql.TypeBlob, pmysql.TypeMediumBlob, pmysql.TypeLongBlob:
		str(change.TypeBlob)
		size := map[byte]uint16{pmysql.TypeTinyBlob: 1, pmysql.TypeBlob: 2, pmysql.TypeMediumBlob: 3, pmysql.TypeLongBlob: 4}[ft.GetType()]
		if ft.GetType() == pmysql.TypeBlob && flen > 0 {
			// TEXT(M)/BLOB(M): the smallest type that holds M characters.
			bytes := flen
			if c.Charset != "binary" {
				bytes *= maxBytes(c.Charset)
			}
			switch {
			case bytes < 1<<8:
				size = 1
			case bytes < 1<<16:
				size = 2
			case bytes < 1<<24:
				size = 3
			default:
				size = 4
			}
		}
		c.Meta = size
		prefix := [...]string{"tiny", "", "medium", "long"}[size-1]
		if c.Charset == "binary" {
			c.ColumnType = prefix + "blob"
		} else {
			c.ColumnType = prefix + "text"
		}
	case pmysql.TypeJSON:
		if st.mariadb {
			// MariaDB's JSON is LONGTEXT (utf8mb4_bin) with a CHECK.
			c.Type, c.Meta, c.Charset, c.ColumnType = change.TypeBlob, 4, "utf8mb4", "longtext"
		} else {
			c.Type, c.Meta, c.Charset, c.ColumnType = change.TypeJSON, 4, "utf8mb4", "json"
		}
	case pmysql.TypeEnum, pmysql.TypeSet:
		elems := append([]string(nil), ft.GetElems()...)
		if ft.GetType() == pmysql.TypeEnum {
			str(change.TypeEnum)
			c.Meta = change.EnumSetMeta(change.TypeEnum, len(elems))
			c.ColumnType = change.EnumSetType(change.TypeEnum, elems)
		} else {
			str(change.TypeSet)
			c.Meta = change.EnumSetMeta(change.TypeSet, len(elems))
			c.ColumnType = change.EnumSetType(change.TypeSet, elems)
		}
		c.Elements = elems
	default:
		return c, keys, fmt.Errorf("column %s has type %s, which the schema history cannot map", c.Name, typeText(ft))
	}
	return c, keys, nil
}

func typeText(ft *types.FieldType) string { return ft.String() }

// inlineKeys are the keys a column definition declares itself.
type inlineKeys struct{ primary, unique bool }
