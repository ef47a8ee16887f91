package dtsavro

import (
	_ "embed"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/avrobin"
	"github.com/sluicecdc/sluice/codecs/internal/render"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Schema is DTS's published Record.avsc (a JSON array of named types, the
// last being com.alibaba.dts.formats.avro.Record).
//
//go:embed Record.avsc
var Schema string

// Version is the value of Record.version: the layout of this encoder's
// records (fields and conventions in docs/formats.md).
const Version = 1

// Operation enum indexes (Record.operation).
const (
	opInsert = 0
	opUpdate = 1
	opDelete = 2
	opDDL    = 3
	opInit   = 16
)

// Image item union branches (beforeImages/afterImages array items).
const (
	brNull           = 0
	brInteger        = 1
	brCharacter      = 2
	brDecimal        = 3
	brFloat          = 4
	brTimestamp      = 5
	brDateTime       = 6
	brBinaryGeometry = 8
	brBinaryObject   = 10
	brTextObject     = 11
)

// Encoder writes DTS Avro records. It is not safe for concurrent use.
type Encoder struct {
	source []byte // the encoded Source record
	tables render.TableCache[tableInfo]
	ids    *schemaIDs // nil without a registry
}

var _ codec.Encoder = (*Encoder)(nil)

// New returns a DTS Avro encoder. opts.SourceVersion fills source.version
// (default "mysql"). With opts.Registry, every record is in the Confluent wire
// format: RecordSchema is registered under <topic>-value on the first record
// for each topic, and its id prefixes the Avro body.
func New(opts codec.Options) *Encoder {
	version := opts.SourceVersion
	if version == "" {
		version = "mysql"
	}
	src := avrobin.AppendLong(nil, 0) // SourceType MySQL
	src = avrobin.AppendString(src, version)
	e := &Encoder{source: src}
	if opts.Registry != nil {
		e.ids = &schemaIDs{reg: opts.Registry}
	}
	return e
}

// valueKind is how one column's values are written.
type valueKind uint8

const (
	kInteger valueKind = iota
	kBit
	kDecimal
	kFloat
	kDouble
	kTimestamp
	kDateTime
	kDate
	kTime
	kYear
	kCharacter
	kBinaryObject
	kTextObject
	kGeometry
)

type column struct {
	kind             valueKind
	precision, scale int32
	fsp              bool   // fractional seconds written
	text             string // Character charset or object/geometry type name
}

type tableInfo struct {
	// mid is everything between operation and beforeImages: objectName,
	// processTimestamps (null), tags (pk_uk_info) and fields.
	mid  []byte
	cols []column
}

func buildTable(t *change.Table) *tableInfo {
	ti := &tableInfo{cols: make([]column, len(t.Columns))}
	fields := avrobin.AppendLong(nil, 2) // fields: array branch
	if n := len(t.Columns); n > 0 {
		fields = avrobin.AppendLong(fields, int64(n))
		for i := range t.Columns {
			col := &t.Columns[i]
			fields = avrobin.AppendString(fields, col.Name)
			fields = avrobin.AppendLong(fields, int64(DataTypeNumber(col)))
			ti.cols[i] = columnOf(col)
		}
	}
	fields = avrobin.AppendLong(fields, 0)
	keys := PKUKInfo(t)
	mid := avrobin.AppendLong(nil, 1)
	mid = avrobin.AppendString(mid, ObjectName(t.Schema, t.Name))
	mid = avrobin.AppendLong(mid, 0) // processTimestamps: null
	mid = avrobin.AppendLong(mid, 2) // tags: two entries
	mid = avrobin.AppendString(mid, "pk_uk_info")
	mid = avrobin.AppendString(mid, keys)
	mid = avrobin.AppendString(mid, "metaVersion")
	mid = avrobin.AppendString(mid, strconv.FormatInt(metaVersion(fields, keys), 10))
	mid = avrobin.AppendLong(mid, 0)
	ti.mid = append(mid, fields...)
	return ti
}

// metaVersion is the metaVersion tag of a table version: DTS's SDK with its
// schema cache on reads an objectName's rows with the fields of its first
// record until this tag changes. A hash of the fields and keys changes with
// them and survives restarts; the SDK only compares it (and needs it > 0).
func metaVersion(fields []byte, keys string) int64 {
	h := fnv.New64a()
	h.Write(fields)
	h.Write([]byte(keys))
	if v := int64(h.Sum64() >> 1); v > 0 {
		return v
	}
	return 1
}

// ObjectName is "db.table" with every '.' inside a name written as the six
// characters \u002E, as DTS escapes them.
func ObjectName(db, table string) string {
	esc := func(s string) string { return strings.ReplaceAll(s, ".", `\u002E`) }
	if table == "" {
		return esc(db)
	}
	return esc(db) + "." + esc(table)
}

// PKUKInfo renders the pk_uk_info tag: {"PRIMARY":[pk columns], "<unique key
// name>":[its columns], ...}, "{}" for a table without keys.
func PKUKInfo(t *change.Table) string {
	b := []byte{'{'}
	keys := 0
	appendKey := func(name string, cols []int) {
		if keys > 0 {
			b = append(b, ',')
		}
		keys++
		b = render.JSONString(b, name)
		b = append(b, ':', '[')
		for i, ci := range cols {
			if i > 0 {
				b = append(b, ',')
			}
			b = render.JSONString(b, t.Columns[ci].Name)
		}
		b = append(b, ']')
	}
	if len(t.PrimaryKey) > 0 {
		appendKey("PRIMARY", t.PrimaryKey)
	}
	for _, k := range t.UniqueKeys {
		appendKey(k.Name, k.Columns)
	}
	return string(append(b, '}'))
}

// DataTypeNumber is the Field.dataTypeNumber of col: the MySQL protocol type,
// with binlog storage codes folded to the types DTS consumers know.
func DataTypeNumber(col *change.Column) int {
	switch col.Type {
	case change.TypeTimestamp2:
		return int(change.TypeTimestamp)
	case change.TypeDateTime2:
		return int(change.TypeDateTime)
	case change.TypeTime2:
		return int(change.TypeTime)
	case change.TypeNewDate:
		return int(change.TypeDate)
	case change.TypeVarchar:
		return int(change.TypeVarString)
	case change.TypeBlob:
		return int(render.BlobType(col))
	}
	return int(col.Type)
}

// integerPrecision is the most decimal digits of an integer type.
func integerPrecision(col *change.Column) int32 {
	switch col.Type {
	case change.TypeTiny:
		return 3
	case change.TypeShort:
		return 5
	case change.TypeInt24:
		if col.Unsigned {
			return 8
		}
		return 7
	case change.TypeLong:
		return 10
	}
	if col.Unsigned {
		return 20
	}
	return 19
}

// bitWidth is n of BIT(n).
func bitWidth(col *change.Column) int32 {
	if n := int32(col.Meta>>8)*8 + int32(col.Meta&0xff); n > 0 {
		return n
	}
	if i := strings.IndexByte(col.ColumnType, '('); i >= 0 {
		if j := strings.IndexByte(col.ColumnType[i:], ')'); j > 0 {
			if n, err := strconv.Atoi(col.ColumnType[i+1 : i+j]); err == nil {
				return int32(n)
			}
		}
	}
	return 1
}

// typeName is the upper-case base type of col ("LONGTEXT", "POINT").
func typeName(col *change.Column) string {
	base := render.BaseType(col.ColumnType)
	if i := strings.IndexByte(base, ' '); i >= 0 {
		base = base[:i]
	}
	return strings.ToUpper(base)
}

func columnOf(col *change.Column) column {
	fsp := col.Scale > 0
	switch col.Type {
	case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong:
		return column{kind: kInteger, precision: integerPrecision(col)}
	case change.TypeBit:
		return column{kind: kBit, precision: bitWidth(col)}
	case change.TypeDecimal, change.TypeNewDecimal:
		return column{kind: kDecimal, precision: int32(col.Precision), scale: int32(col.Scale)}
	case change.TypeFloat:
		p := int32(col.Precision)
		if p == 0 {
			p = 12
		}
		return column{kind: kFloat, precision: p, scale: int32(col.Scale)}
	case change.TypeDouble:
		p := int32(col.Precision)
		if p == 0 {
			p = 22
		}
		return column{kind: kDouble, precision: p, scale: int32(col.Scale)}
	case change.TypeTimestamp, change.TypeTimestamp2:
		return column{kind: kTimestamp}
	case change.TypeDateTime, change.TypeDateTime2:
		return column{kind: kDateTime, fsp: fsp}
	case change.TypeDate, change.TypeNewDate:
		return column{kind: kDate}
	case change.TypeTime, change.TypeTime2:
		return column{kind: kTime, fsp: fsp}
	case change.TypeYear:
		return column{kind: kYear}
	case change.TypeVarchar, change.TypeVarString, change.TypeString:
		cs := col.Charset
		if cs == "" {
			cs = "binary"
		}
		return column{kind: kCharacter, text: cs}
	case change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeBlob:
		name := "BLOB"
		if render.IsTextType(col) {
			name = "TEXT"
		}
		return column{kind: kBinaryObject, text: name}
	case change.TypeJSON:
		return column{kind: kTextObject, text: "JSON"}
	case change.TypeEnum:
		return column{kind: kTextObject, text: "ENUM"}
	case change.TypeSet:
		return column{kind: kTextObject, text: "SET"}
	case change.TypeGeometry:
		name := typeName(col)
		if name == "" {
			name = "GEOMETRY"
		}
		return column{kind: kGeometry, text: name}
	}
	// NULL-typed or unknown columns: their text as a Character.
	return column{kind: kCharacter, text: "utf8mb4"}
}

// Encode implements codec.Encoder.
func (e *Encoder) Encode(c *change.Change, rec *codec.Record) error {
	rec.Key = nil
	v := rec.Value
	if e.ids != nil {
		var err error
		if v, err = e.ids.header(v, c.Topic); err != nil {
			return err
		}
	}
	v = avrobin.AppendLong(v, Version)
	v = avrobin.AppendLong(v, int64(c.Seq))
	v = avrobin.AppendLong(v, int64(c.CommitTime))
	// sourcePosition "file:pos".
	var pos [64]byte
	p := append(pos[:0], c.Pos.File...)
	p = append(p, ':')
	p = strconv.AppendUint(p, uint64(c.Pos.Pos), 10)
	v = avrobin.AppendString(v, p)
	v = avrobin.AppendString(v, "") // safeSourcePosition: see docs/formats.md
	v = avrobin.AppendString(v, c.Pos.GTID)
	v = append(v, e.source...)

	var err error
	if c.Op == change.OpDDL {
		v = avrobin.AppendLong(v, opDDL)
		db := c.Schema
		if c.Table != nil {
			db = c.Table.Schema
		}
		// DTS names the database alone: the SDK's schema cache, keyed by
		// objectName, would otherwise give the DDL's field-less schema to
		// the table's next rows.
		v = avrobin.AppendLong(v, 1)
		v = avrobin.AppendString(v, ObjectName(db, ""))
		v = avrobin.AppendLong(v, 0) // processTimestamps
		v = avrobin.AppendLong(v, 0) // tags: empty map
		v = avrobin.AppendLong(v, 0) // fields: null
		v = avrobin.AppendLong(v, 0) // beforeImages: null
		v = avrobin.AppendLong(v, 1) // afterImages: the statement
		v = avrobin.AppendString(v, c.SQL)
	} else {
		if v, err = e.appendDML(v, c); err != nil {
			return err
		}
	}
	v = avrobin.AppendLong(v, int64(c.CommitTime)*1000) // bornTimestamp, ms
	rec.Value = v
	codec.PositionHeaders(c, rec)
	return nil
}

func (e *Encoder) appendDML(v []byte, c *change.Change) ([]byte, error) {
	t := c.Table
	if t == nil {
		return v, errkind.Terminal(fmt.Errorf("dts-avro: %s change without a table at %s", c.Op, c.Pos))
	}
	var op int64
	var before, after []any
	switch c.Op {
	case change.OpInsert:
		op, after = opInsert, c.After
	case change.OpUpdate:
		op, before, after = opUpdate, c.Before, c.After
	case change.OpDelete:
		op, before = opDelete, c.Before
	case change.OpSnapshot:
		op, after = opInit, c.After
	default:
		return v, errkind.Terminal(fmt.Errorf("dts-avro: unknown op %s at %s", c.Op, c.Pos))
	}
	ti := e.tables.Get(t, buildTable)
	v = avrobin.AppendLong(v, op)
	v = append(v, ti.mid...)
	var err error
	if v, err = appendImage(v, c, ti, before); err != nil {
		return v, err
	}
	return appendImage(v, c, ti, after)
}

// appendImage writes a beforeImages/afterImages union: null, or the array of
// the row's values.
func appendImage(v []byte, c *change.Change, ti *tableInfo, row []any) ([]byte, error) {
	if row == nil {
		return avrobin.AppendLong(v, 0), nil
	}
	if len(row) != len(ti.cols) {
		return v, errkind.Terminal(fmt.Errorf("dts-avro: %s: row has %d values for %d columns at %s",
			c.Table.QualifiedName(), len(row), len(ti.cols), c.Pos))
	}
	v = avrobin.AppendLong(v, 2)
	if len(row) > 0 {
		v = avrobin.AppendLong(v, int64(len(row)))
		for i, val := range row {
			var ok bool
			if v, ok = appendValue(v, &ti.cols[i], val); !ok {
				col := &c.Table.Columns[i]
				return v, errkind.Terminal(fmt.Errorf("dts-avro: %s column %s (%s): cannot encode %T %v at %s",
					c.Table.QualifiedName(), col.Name, col.ColumnType, val, val, c.Pos))
			}
		}
	}
	return avrobin.AppendLong(v, 0), nil
}

// appendValue writes one array item (a union) for val.
func appendValue(v []byte, col *column, val any) ([]byte, bool) {
	if val == nil {
		return avrobin.AppendLong(v, brNull), true
	}
	var num [40]byte
	switch col.kind {
	case kInteger, kBit:
		var n []byte
		if i, ok := change.Int64(val); ok {
			if col.kind == kBit {
				n = strconv.AppendUint(num[:0], uint64(i), 10)
			} else {
				n = strconv.AppendInt(num[:0], i, 10)
			}
		} else if u, ok := change.Uint64(val); ok {
			n = strconv.AppendUint(num[:0], u, 10)
		} else {
			return v, false
		}
		v = avrobin.AppendLong(v, brInteger)
		v = avrobin.AppendLong(v, int64(col.precision))
		return avrobin.AppendString(v, n), true
	case kDecimal:
		s, ok := val.(string)
		if !ok {
			return v, false
		}
		v = avrobin.AppendLong(v, brDecimal)
		v = avrobin.AppendString(v, s)
		v = avrobin.AppendLong(v, int64(col.precision))
		return avrobin.AppendLong(v, int64(col.scale)), true
	case kFloat, kDouble:
		var f float64
		switch x := val.(type) {
		case float64:
			f = x
		case float32:
			// The double whose shortest text is the float's (0.1, not
			// 0.10000000149011612).
			f, _ = strconv.ParseFloat(string(strconv.AppendFloat(num[:0], float64(x), 'g', -1, 32)), 64)
		default:
			return v, false
		}
		v = avrobin.AppendLong(v, brFloat)
		v = avrobin.AppendDouble(v, f)
		v = avrobin.AppendLong(v, int64(col.precision))
		return avrobin.AppendLong(v, int64(col.scale)), true
	case kTimestamp:
		dt, ok := render.DateTimeOf(val)
		if !ok {
			return v, false
		}
		var sec int64
		if !dt.IsZeroDate() {
			sec = dt.UnixSeconds()
		}
		v = avrobin.AppendLong(v, brTimestamp)
		v = avrobin.AppendLong(v, sec)
		return avrobin.AppendLong(v, int64(dt.Micro)), true
	case kDateTime, kDate:
		dt, ok := render.DateTimeOf(val)
		if !ok {
			return v, false
		}
		v = avrobin.AppendLong(v, brDateTime)
		v = appendOptInt(v, dt.Year, true)
		v = appendOptInt(v, dt.Month, true)
		v = appendOptInt(v, dt.Day, true)
		isDT := col.kind == kDateTime
		v = appendOptInt(v, dt.Hour, isDT)
		v = appendOptInt(v, dt.Minute, isDT)
		v = appendOptInt(v, dt.Second, isDT)
		return appendOptInt(v, dt.Micro, isDT && col.fsp), true
	case kTime:
		t, ok := render.TimeOf(val)
		if !ok {
			return v, false
		}
		sign := 1
		if t.Neg {
			sign = -1
		}
		v = avrobin.AppendLong(v, brDateTime)
		v = appendOptInt(v, 0, false)
		v = appendOptInt(v, 0, false)
		v = appendOptInt(v, 0, false)
		v = appendOptInt(v, sign*t.Hour, true)
		v = appendOptInt(v, sign*t.Minute, true)
		v = appendOptInt(v, sign*t.Second, true)
		return appendOptInt(v, sign*t.Micro, col.fsp), true
	case kYear:
		y, ok := change.Int64(val)
		if !ok {
			u, uok := change.Uint64(val)
			if !uok {
				return v, false
			}
			y = int64(u)
		}
		v = avrobin.AppendLong(v, brDateTime)
		v = appendOptInt(v, int(y), true)
		for range 6 {
			v = avrobin.AppendLong(v, 0)
		}
		return v, true
	case kCharacter:
		v = avrobin.AppendLong(v, brCharacter)
		v = avrobin.AppendString(v, col.text)
		return appendBytes(v, val)
	case kBinaryObject:
		v = avrobin.AppendLong(v, brBinaryObject)
		v = avrobin.AppendString(v, col.text)
		return appendBytes(v, val)
	case kGeometry:
		// DTS's SDK reads BinaryGeometry.value as plain WKB (JTS WKBReader):
		// MySQL's 4-byte SRID prefix is dropped.
		b, ok := val.([]byte)
		if !ok || len(b) < 4 {
			return v, false
		}
		v = avrobin.AppendLong(v, brBinaryGeometry)
		v = avrobin.AppendString(v, col.text)
		return avrobin.AppendString(v, b[4:]), true
	case kTextObject:
		v = avrobin.AppendLong(v, brTextObject)
		v = avrobin.AppendString(v, col.text)
		return appendBytes(v, val)
	}
	return v, false
}

// appendBytes writes a string or []byte value as Avro bytes/string.
func appendBytes(v []byte, val any) ([]byte, bool) {
	switch x := val.(type) {
	case string:
		return avrobin.AppendString(v, x), true
	case []byte:
		return avrobin.AppendString(v, x), true
	}
	return v, false
}

// appendOptInt writes a ["null","int"] union.
func appendOptInt(v []byte, n int, set bool) []byte {
	if !set {
		return avrobin.AppendLong(v, 0)
	}
	v = avrobin.AppendLong(v, 1)
	return avrobin.AppendLong(v, int64(n))
}
