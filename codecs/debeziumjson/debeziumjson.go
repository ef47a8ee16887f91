package debeziumjson

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/render"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// ConnectorVersion is source.version: the Sluice record layout version.
const ConnectorVersion = "sluice-1"

// Encoder writes Debezium JSON. It is not safe for concurrent use.
type Encoder struct {
	opts    codec.Options
	server  string
	tables  render.TableCache[tableInfo]
	scratch []byte // a key-change header's value
	// connector is Debezium's connector name, "mysql" or "mariadb", and the
	// schemas that name it.
	connector                                  string
	sourceSchema, ddlKeySchema, ddlValueSchema string
}

var (
	_ codec.Encoder           = (*Encoder)(nil)
	_ codec.TombstoneEncoder  = (*Encoder)(nil)
	_ codec.KeyChangeSplitter = (*Encoder)(nil)
)

// New returns a Debezium JSON encoder.
func New(opts codec.Options) (*Encoder, error) {
	opts, server, err := opts.DebeziumModes("debezium-json")
	if err != nil {
		return nil, err
	}
	e := &Encoder{opts: opts, server: server, connector: opts.DebeziumConnector()}
	e.sourceSchema, e.ddlKeySchema, e.ddlValueSchema = connectorSchemas(e.connector)
	return e, nil
}

// kind is how one column's values are written.
type kind uint8

const (
	kInt kind = iota
	kUint
	kUBigLong    // BIGINT UNSIGNED, bigint.unsigned.handling.mode long
	kUBigDecimal // BIGINT UNSIGNED, precise
	kFloat
	kFloatDouble // FLOAT(M,D): a float written as a double
	kDouble
	kDecimal
	kBool // BIT(1)
	kBits // BIT(n>1)
	kDate // days
	kTime // micro or milli seconds
	kDateTime
	kTimestamp // ISO-8601 string
	kYear
	kText
	kBytes
	kGeometry
	kPoint
)

type column struct {
	kind     kind
	text     render.TextKind
	nullable bool
	scale    int
	micros   bool // TIME/DATETIME in microseconds (else milliseconds)
	bytes    int  // BIT(n>1) byte count
	bits     int  // BIT(n>1) n
}

type tableInfo struct {
	names     [][]byte // `"name":`
	cols      []column
	key       []int
	keySchema []byte // `{"schema":…,"payload":` prefix when schemas are on
	valSchema []byte
	source    []byte // `"source":{"version":…,"table":"t",` up to server_id
}

func (e *Encoder) buildTable(t *change.Table) *tableInfo {
	ti := &tableInfo{names: make([][]byte, len(t.Columns)), cols: make([]column, len(t.Columns)), key: t.KeyColumns()}
	for i := range t.Columns {
		ti.names[i] = append(render.JSONString(nil, t.Columns[i].Name), ':')
		ti.cols[i] = e.columnOf(&t.Columns[i])
	}
	ti.source = e.sourcePrefix()
	if e.opts.SchemasEnable {
		ti.keySchema, ti.valSchema = e.schemas(t, ti)
	}
	return ti
}

func (e *Encoder) columnOf(col *change.Column) column {
	c := column{text: render.ColumnKind(col), nullable: col.Nullable, scale: col.Scale}
	switch col.Type {
	case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong:
		switch {
		case col.Unsigned && col.Type == change.TypeLongLong && e.opts.BigIntUnsigned == codec.BigIntPrecise:
			c.kind = kUBigDecimal
		case col.Unsigned && col.Type == change.TypeLongLong:
			c.kind = kUBigLong
		case col.Unsigned:
			c.kind = kUint
		default:
			c.kind = kInt
		}
	case change.TypeFloat:
		// Debezium keeps float32 only for FLOAT without a scale; FLOAT(M,D)
		// (COLUMN_TYPE "float(7,3)") is a double.
		c.kind = kFloat
		if strings.IndexByte(col.ColumnType, '(') >= 0 {
			c.kind = kFloatDouble
		}
	case change.TypeDouble:
		c.kind = kDouble
	case change.TypeDecimal, change.TypeNewDecimal:
		c.kind = kDecimal
	case change.TypeBit:
		n := int(col.Meta>>8)*8 + int(col.Meta&0xff)
		if n <= 1 {
			c.kind = kBool
		} else {
			c.kind, c.bytes, c.bits = kBits, (n+7)/8, n
		}
	case change.TypeDate, change.TypeNewDate:
		c.kind = kDate
	case change.TypeTime, change.TypeTime2:
		c.kind, c.micros = kTime, e.opts.Time == codec.TimeAdaptiveMicros
	case change.TypeDateTime, change.TypeDateTime2:
		c.kind, c.micros = kDateTime, e.opts.Time == codec.TimeAdaptiveMicros && col.Scale > 3
	case change.TypeTimestamp, change.TypeTimestamp2:
		c.kind = kTimestamp
	case change.TypeYear:
		c.kind = kYear
	case change.TypeGeometry:
		c.kind = kGeometry
		if strings.EqualFold(render.BaseType(col.ColumnType), "point") {
			c.kind = kPoint
		}
	case change.TypeVarchar, change.TypeVarString, change.TypeString,
		change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeBlob:
		c.kind = kText
		if col.IsBinary() {
			c.kind = kBytes
		}
	default: // JSON, ENUM, SET and anything else with text values
		c.kind = kText
	}
	return c
}

// Encode implements codec.Encoder.
func (e *Encoder) Encode(c *change.Change, rec *codec.Record) error {
	var err error
	if c.Op == change.OpDDL {
		rec.Key, rec.Value = e.appendDDL(rec.Key, rec.Value, c)
		codec.PositionHeaders(c, rec)
		return nil
	}
	if c.Table == nil {
		return errkind.Terminal(fmt.Errorf("debezium-json: %s change without a table at %s", c.Op, c.Pos))
	}
	ti := e.tables.Get(c.Table, e.buildTable)
	var op byte
	var before, after []any
	switch c.Op {
	case change.OpInsert:
		op, after = 'c', c.After
	case change.OpUpdate:
		op, before, after = 'u', c.Before, c.After
	case change.OpDelete:
		op, before = 'd', c.Before
	case change.OpSnapshot:
		op, after = 'r', c.After
	default:
		return errkind.Terminal(fmt.Errorf("debezium-json: unknown op %s at %s", c.Op, c.Pos))
	}
	if rec.Key, err = e.appendKey(rec.Key, c, ti, c.KeyRow()); err != nil {
		return err
	}
	v := rec.Value
	if ti.valSchema != nil {
		v = append(v, ti.valSchema...)
	}
	v = append(v, `{"before":`...)
	if v, err = e.appendRow(v, c, ti, before); err != nil {
		return err
	}
	v = append(v, `,"after":`...)
	if v, err = e.appendRow(v, c, ti, after); err != nil {
		return err
	}
	v = append(v, ',')
	v = e.appendSource(v, c, ti.source, c.Table.Schema, c.Table.Name)
	v = append(v, `,"op":"`...)
	v = append(v, op, '"')
	v = append(v, `,"ts_ms":`...)
	v = strconv.AppendInt(v, e.opts.NowMillis(), 10)
	v = append(v, `,"transaction":null}`...)
	if ti.valSchema != nil {
		v = append(v, '}')
	}
	rec.Value = v
	codec.PositionHeaders(c, rec)
	return e.keyChangeHeader(c, ti, rec)
}

// Header keys Debezium puts on the records of a split key change
// (RelationalChangeRecordEmitter.PK_UPDATE_NEWKEY_FIELD / _OLDKEY_FIELD).
const (
	HeaderNewKey = "__debezium.newkey"
	HeaderOldKey = "__debezium.oldkey"
)

// keyChangeHeader adds, to a half of a split key change, the header naming
// the other key: __debezium.newkey on the delete (and its tombstone),
// __debezium.oldkey on the insert. Its value is the key struct as JSON
// without a schema, as Kafka Connect's default SimpleHeaderConverter writes
// a struct.
func (e *Encoder) keyChangeHeader(c *change.Change, ti *tableInfo, rec *codec.Record) error {
	other := c.OtherRow()
	if other == nil || len(ti.key) == 0 {
		return nil
	}
	name := HeaderNewKey
	if c.Half == change.KeyChangeInsert {
		name = HeaderOldKey
	}
	var err error
	if e.scratch, err = e.appendKeyStruct(e.scratch[:0], c, ti, other, nil); err != nil {
		return err
	}
	codec.AppendHeader(rec, name, e.scratch)
	return nil
}

// SplitsKeyChanges implements codec.KeyChangeSplitter: an update that
// changes the row's key is a delete, its tombstone and an insert, as
// Debezium writes it.
func (e *Encoder) SplitsKeyChanges() bool { return true }

// Tombstone implements codec.TombstoneEncoder: with Options.Tombstones, a
// delete is followed by a record with its key and a null value.
func (e *Encoder) Tombstone(c *change.Change, rec *codec.Record) (bool, error) {
	if !e.opts.Tombstones || c.Op != change.OpDelete || c.Table == nil {
		return false, nil
	}
	ti := e.tables.Get(c.Table, e.buildTable)
	var err error
	if rec.Key, err = e.appendKey(rec.Key, c, ti, c.KeyRow()); err != nil || rec.Key == nil {
		return false, err
	}
	rec.Value = nil
	codec.PositionHeaders(c, rec)
	return true, e.keyChangeHeader(c, ti, rec)
}

// appendKey writes the key struct of the row's key columns, or a nil key for
// a table without a primary or unique key.
func (e *Encoder) appendKey(k []byte, c *change.Change, ti *tableInfo, row []any) ([]byte, error) {
	return e.appendKeyStruct(k, c, ti, row, ti.keySchema)
}

// appendKeyStruct writes the key struct of row, inside the schema/payload
// wrapper when schema (the wrapper's prefix) is set.
func (e *Encoder) appendKeyStruct(k []byte, c *change.Change, ti *tableInfo, row []any, schema []byte) ([]byte, error) {
	if len(ti.key) == 0 {
		return nil, nil
	}
	if len(row) != len(ti.cols) {
		return k, errkind.Terminal(fmt.Errorf("debezium-json: %s: row has %d values for %d columns at %s",
			c.Table.QualifiedName(), len(row), len(ti.cols), c.Pos))
	}
	if schema != nil {
		k = append(k, schema...)
	}
	k = append(k, '{')
	for n, i := range ti.key {
		if n > 0 {
			k = append(k, ',')
		}
		k = append(k, ti.names[i]...)
		var ok bool
		if k, ok = e.appendValue(k, &ti.cols[i], row[i]); !ok {
			return k, e.badValue(c, i, row[i])
		}
	}
	k = append(k, '}')
	if schema != nil {
		k = append(k, '}')
	}
	return k, nil
}

func (e *Encoder) badValue(c *change.Change, i int, v any) error {
	col := &c.Table.Columns[i]
	if _, ok := render.TimeOf(v); ok && isTime(col) && e.opts.Time == codec.TimeConnect {
		return errkind.Terminal(fmt.Errorf("debezium-json: %s column %s (%s NOT NULL): TIME %s is outside 00:00:00 to 24:00:00, "+
			"which time.precision.mode connect cannot hold (Debezium stops there too) at %s: use time_precision: adaptive_time_microseconds",
			c.Table.QualifiedName(), col.Name, col.ColumnType, v, c.Pos))
	}
	return errkind.Terminal(fmt.Errorf("debezium-json: %s column %s (%s): cannot encode %T %v at %s",
		c.Table.QualifiedName(), col.Name, col.ColumnType, v, v, c.Pos))
}

func (e *Encoder) appendRow(v []byte, c *change.Change, ti *tableInfo, row []any) ([]byte, error) {
	if row == nil {
		return append(v, "null"...), nil
	}
	if len(row) != len(ti.cols) {
		return v, errkind.Terminal(fmt.Errorf("debezium-json: %s: row has %d values for %d columns at %s",
			c.Table.QualifiedName(), len(row), len(ti.cols), c.Pos))
	}
	v = append(v, '{')
	for i, val := range row {
		if i > 0 {
			v = append(v, ',')
		}
		v = append(v, ti.names[i]...)
		var ok bool
		if v, ok = e.appendValue(v, &ti.cols[i], val); !ok {
			return v, e.badValue(c, i, val)
		}
	}
	return append(v, '}'), nil
}

func (e *Encoder) appendSource(v []byte, c *change.Change, prefix []byte, db, table string) []byte {
	v = append(v, prefix...)
	v = append(v, `,"ts_ms":`...)
	v = strconv.AppendUint(v, uint64(c.CommitTime)*1000, 10)
	v = append(v, `,"snapshot":`...)
	if c.FromSnapshot() {
		v = append(v, `"true"`...)
	} else {
		v = append(v, `"false"`...)
	}
	v = append(v, `,"db":`...)
	v = render.JSONString(v, db)
	v = append(v, `,"sequence":null,"table":`...)
	if table == "" {
		v = append(v, "null"...)
	} else {
		v = render.JSONString(v, table)
	}
	v = append(v, `,"server_id":`...)
	v = strconv.AppendUint(v, uint64(c.ServerID), 10)
	v = append(v, `,"gtid":`...)
	if c.Pos.GTID == "" {
		v = append(v, "null"...)
	} else {
		v = render.JSONString(v, c.Pos.GTID)
	}
	v = append(v, `,"file":`...)
	v = render.JSONString(v, c.Pos.File)
	v = append(v, `,"pos":`...)
	v = strconv.AppendUint(v, uint64(c.Pos.Pos), 10)
	v = append(v, `,"row":`...)
	v = strconv.AppendUint(v, uint64(c.EventRow), 10)
	return append(v, `,"thread":null,"query":null}`...)
}

// sourcePrefix is the source block up to its name:
// `"source":{"version":…,"connector":…,"name":"server"`.
func (e *Encoder) sourcePrefix() []byte {
	s := []byte(`"source":{"version":"` + ConnectorVersion + `","connector":"` + e.connector + `","name":`)
	return render.JSONString(s, e.server)
}

// appendDDL writes a schema-change event: key {"databaseName"}, value
// {source, ts_ms, databaseName, schemaName, ddl, tableChanges}, each with
// the schema-change topic's schema when schemas are on.
func (e *Encoder) appendDDL(k, v []byte, c *change.Change) ([]byte, []byte) {
	db, table := c.Schema, ""
	if c.Table != nil {
		db, table = c.Table.Schema, c.Table.Name
	}
	if e.opts.SchemasEnable {
		k = append(append(append(k, `{"schema":`...), e.ddlKeySchema...), `,"payload":`...)
		v = append(append(append(v, `{"schema":`...), e.ddlValueSchema...), `,"payload":`...)
	}
	k = append(k, `{"databaseName":`...)
	k = render.JSONString(k, db)
	k = append(k, '}')
	v = append(v, '{')
	v = e.appendSource(v, c, e.sourcePrefix(), db, table)
	v = append(v, `,"ts_ms":`...)
	v = strconv.AppendInt(v, e.opts.NowMillis(), 10)
	v = append(v, `,"databaseName":`...)
	v = render.JSONString(v, db)
	v = append(v, `,"schemaName":null,"ddl":`...)
	v = render.JSONString(v, c.SQL)
	v = append(v, `,"tableChanges":[]}`...)
	if e.opts.SchemasEnable {
		k = append(k, '}')
		v = append(v, '}')
	}
	return k, v
}

// appendValue writes one value as Debezium's JsonConverter does.
func (e *Encoder) appendValue(v []byte, col *column, val any) ([]byte, bool) {
	if val == nil {
		return append(v, "null"...), true
	}
	switch col.kind {
	case kInt, kUint, kYear:
		if i, ok := change.Int64(val); ok {
			return strconv.AppendInt(v, i, 10), true
		}
		if u, ok := change.Uint64(val); ok {
			return strconv.AppendUint(v, u, 10), true
		}
	case kUBigLong:
		// Java's long, as Debezium's: 2^64-1 reads back as -1.
		if u, ok := change.Uint64(val); ok {
			return strconv.AppendInt(v, int64(u), 10), true
		}
	case kUBigDecimal:
		if u, ok := change.Uint64(val); ok {
			var buf [9]byte
			return appendBase64(v, render.AppendUnscaledUint(buf[:0], u)), true
		}
	case kFloat:
		switch x := val.(type) {
		case float32:
			return appendFinite(v, float64(x), func(b []byte) []byte { return render.JavaFloat(b, x) }), true
		case float64:
			return appendFinite(v, x, func(b []byte) []byte { return render.JavaFloat(b, float32(x)) }), true
		}
	case kFloatDouble:
		// Debezium widens the float (Float.doubleValue): 1.234f is 1.2339999675750732.
		switch x := val.(type) {
		case float32:
			f := float64(x)
			return appendFinite(v, f, func(b []byte) []byte { return render.JavaDouble(b, f) }), true
		case float64:
			return appendFinite(v, x, func(b []byte) []byte { return render.JavaDouble(b, x) }), true
		}
	case kDouble:
		if x, ok := val.(float64); ok {
			return appendFinite(v, x, func(b []byte) []byte { return render.JavaDouble(b, x) }), true
		}
	case kDecimal:
		s, ok := val.(string)
		if !ok {
			return v, false
		}
		switch e.opts.Decimal {
		case codec.DecimalString:
			return render.JSONString(v, s), true
		case codec.DecimalDouble:
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return v, false
			}
			return appendFinite(v, f, func(b []byte) []byte { return render.JavaDouble(b, f) }), true
		}
		return appendDecimalBytes(v, s, col.scale)
	case kBool:
		if i, ok := change.Int64(val); ok {
			if i != 0 {
				return append(v, "true"...), true
			}
			return append(v, "false"...), true
		}
	case kBits:
		if i, ok := change.Int64(val); ok {
			var le [8]byte
			binary.LittleEndian.PutUint64(le[:], uint64(i))
			return appendBase64(v, le[:col.bytes]), true
		}
	case kDate:
		dt, ok := render.DateTimeOf(val)
		if !ok {
			return v, false
		}
		if dt.IsZeroDate() {
			return appendZeroDate(v, col, "0"), true
		}
		return strconv.AppendInt(v, render.DaysFromCivil(dt.Year, dt.Month, dt.Day), 10), true
	case kTime:
		t, ok := render.TimeOf(val)
		if !ok {
			return v, false
		}
		us := t.Micros()
		if col.micros {
			return strconv.AppendInt(v, us, 10), true
		}
		// Connect's Time is a time of day: Debezium writes null for a value
		// outside 0..24 h in a nullable column and stops on a NOT NULL one.
		if us < 0 || us > 86_400_000_000 {
			return append(v, "null"...), col.nullable
		}
		return strconv.AppendInt(v, us/1000, 10), true
	case kDateTime:
		dt, ok := render.DateTimeOf(val)
		if !ok {
			return v, false
		}
		if dt.IsZeroDate() {
			return appendZeroDate(v, col, "0"), true
		}
		if col.micros {
			return strconv.AppendInt(v, dt.UnixSeconds()*1_000_000+int64(dt.Micro), 10), true
		}
		return strconv.AppendInt(v, dt.UnixSeconds()*1000+int64(dt.Micro/1000), 10), true
	case kTimestamp:
		s, _ := val.(string)
		dt, ok := render.DateTimeOf(val)
		if !ok || len(s) < 19 {
			return v, false
		}
		if dt.IsZeroDate() {
			return appendZeroDate(v, col, `"1970-01-01T00:00:00Z"`), true
		}
		// ISO-8601 in UTC with the column's fraction digits.
		v = append(v, '"')
		v = append(v, s[:10]...)
		v = append(v, 'T')
		v = append(v, s[11:]...)
		return append(v, 'Z', '"'), true
	case kText:
		switch x := val.(type) {
		case string:
			return render.JSONText(v, x, col.text), true
		case []byte:
			return render.JSONText(v, x, col.text), true
		}
	case kBytes:
		switch x := val.(type) {
		case string:
			return appendBase64(v, x), true
		case []byte:
			return appendBase64(v, x), true
		}
	case kGeometry:
		b, ok := val.([]byte)
		if !ok || len(b) < 4 {
			return v, false
		}
		v = append(v, `{"wkb":`...)
		v = appendBase64(v, b[4:])
		return appendSRID(v, b), true
	case kPoint:
		// MySQL's value is the SRID, then a 2D point's 21-byte WKB.
		b, ok := val.([]byte)
		if !ok || len(b) != 4+21 {
			return v, false
		}
		var order binary.ByteOrder = binary.LittleEndian
		if b[4] == 0 {
			order = binary.BigEndian
		}
		if order.Uint32(b[5:9]) != 1 {
			return v, false
		}
		x, y := math.Float64frombits(order.Uint64(b[9:17])), math.Float64frombits(order.Uint64(b[17:25]))
		v = append(v, `{"x":`...)
		v = appendFinite(v, x, func(b []byte) []byte { return render.JavaDouble(b, x) })
		v = append(v, `,"y":`...)
		v = appendFinite(v, y, func(b []byte) []byte { return render.JavaDouble(b, y) })
		v = append(v, `,"wkb":`...)
		v = appendBase64(v, b[4:])
		return appendSRID(v, b), true
	}
	return v, false
}

// appendZeroDate writes a zero date as Debezium does: its binlog reader
// makes it null, which stays null in a nullable column and becomes the
// converter's fallback, the epoch, in a NOT NULL one.
func appendZeroDate(v []byte, col *column, epoch string) []byte {
	if col.nullable {
		return append(v, "null"...)
	}
	return append(v, epoch...)
}

func isTime(col *change.Column) bool {
	return col.Type == change.TypeTime || col.Type == change.TypeTime2
}

// appendSRID ends a geometry struct with the SRID of MySQL's value b; 0
// (none) is null, as Debezium's BinlogGeometry has it.
func appendSRID(v, b []byte) []byte {
	v = append(v, `,"srid":`...)
	if srid := binary.LittleEndian.Uint32(b[:4]); srid != 0 {
		v = strconv.AppendUint(v, uint64(srid), 10)
	} else {
		v = append(v, "null"...)
	}
	return append(v, '}')
}

// appendFinite writes f with render, or null for NaN and infinities, which
// JSON cannot hold (MySQL cannot store them either).
func appendFinite(v []byte, f float64, render func([]byte) []byte) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(v, "null"...)
	}
	return render(v)
}

func appendBase64[S ~string | ~[]byte](v []byte, b S) []byte {
	v = append(v, '"')
	v = base64.StdEncoding.AppendEncode(v, []byte(b))
	return append(v, '"')
}

// appendDecimalBytes writes a DECIMAL as Kafka Connect's Decimal: the
// unscaled value (digits scaled to the column's scale) as minimal big-endian
// two's-complement bytes, base64 — what Java's BigInteger.toByteArray gives.
func appendDecimalBytes(v []byte, s string, scale int) ([]byte, bool) {
	var buf [33]byte
	b, ok := render.AppendUnscaled(buf[:0], s, scale)
	if !ok {
		return v, false
	}
	return appendBase64(v, b), true
}
