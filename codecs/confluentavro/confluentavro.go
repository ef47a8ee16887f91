package confluentavro

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/avrobin"
	"github.com/sluicecdc/sluice/codecs/internal/render"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// ConnectorVersion is source.version: the Sluice record layout version.
const ConnectorVersion = "sluice-1"

// Encoder writes Avro records in the Confluent wire format. It is not safe
// for concurrent use.
type Encoder struct {
	opts   codec.Options
	reg    codec.Registry
	server string
	// srcHead is the encoded start of every source record: version,
	// connector and name.
	srcHead []byte
	tables  render.TableCache[tableInfo]
	ddl     topicIDs // DDL records' schema ids per topic
}

var (
	_ codec.Encoder           = (*Encoder)(nil)
	_ codec.KeyChangeSplitter = (*Encoder)(nil)
)

// New returns an Avro encoder registering its schemas in opts.Registry.
func New(opts codec.Options) (*Encoder, error) {
	if opts.Registry == nil {
		return nil, errkind.Terminal(fmt.Errorf("avro: no schema registry: add schema_registry: {url: \"http://registry:8081\"} to the sink, or use format dts-avro"))
	}
	opts, server, err := opts.DebeziumModes("avro")
	if err != nil {
		return nil, err
	}
	h := avrobin.AppendString(nil, ConnectorVersion)
	h = avrobin.AppendString(h, opts.DebeziumConnector())
	h = avrobin.AppendString(h, server)
	return &Encoder{opts: opts, reg: opts.Registry, server: server, srcHead: h}, nil
}

// kind is how one column's values are written.
type kind uint8

const (
	kInt    kind = iota // Avro int
	kLong               // Avro long
	kUint64             // BIGINT UNSIGNED: decimal(20,0) bytes
	kFloat
	kDouble
	kDecimal       // decimal bytes
	kDecimalString // decimal.handling.mode string
	kDecimalDouble // decimal.handling.mode double
	kBool          // BIT(1)
	kBits          // BIT(n>1): little-endian bytes
	kDate          // days since the epoch
	kTimeMicros
	kTimeMillis
	kDateTimeMicros
	kDateTimeMillis
	kTimestamp // ISO-8601 UTC string
	kYear
	kText
	kBytes
	kGeometry
)

type column struct {
	kind     kind
	text     render.TextKind
	nullable bool
	scale    int
	bytes    int // BIT(n>1) byte count
	bits     int // BIT(n>1) n
}

type tableInfo struct {
	cols        []column
	key         []int
	keyOptional []bool // per column: a nullable key column (unique key)
	keySchema   string // "" for a keyless table
	valSchema   string
	err         error    // the schemas cannot be built (a name clash)
	source      []byte   // encoded db and table of the source record
	ids         topicIDs // schema ids per topic
}

// topicIDs caches the key and value schema ids of one table version (or of
// the DDL records) per topic; the last topic is checked first.
type topicIDs struct {
	topic      string
	key, value int32
	set        bool
	more       map[string][2]int32
}

func (e *Encoder) buildTable(t *change.Table) *tableInfo {
	ti := &tableInfo{cols: make([]column, len(t.Columns)), key: t.KeyColumns(), keyOptional: make([]bool, len(t.Columns))}
	for i := range t.Columns {
		ti.cols[i] = e.columnOf(&t.Columns[i])
	}
	for _, i := range ti.key {
		ti.keyOptional[i] = t.Columns[i].Nullable
	}
	ti.source = avrobin.AppendString(nil, t.Schema)
	ti.source = append(ti.source, 0) // sequence: null
	ti.source = avrobin.AppendLong(ti.source, 1)
	ti.source = avrobin.AppendString(ti.source, t.Name)
	ti.keySchema, ti.valSchema, ti.err = e.schemas(t, ti)
	if ti.err != nil {
		ti.err = errkind.Terminal(fmt.Errorf("avro: %w", ti.err))
	}
	return ti
}

func (e *Encoder) columnOf(col *change.Column) column {
	c := column{text: render.ColumnKind(col), nullable: col.Nullable, scale: col.Scale}
	switch col.Type {
	case change.TypeTiny, change.TypeShort, change.TypeInt24:
		c.kind = kInt
	case change.TypeLong:
		c.kind = kInt
		if col.Unsigned {
			c.kind = kLong
		}
	case change.TypeLongLong:
		c.kind = kLong
		if col.Unsigned {
			c.kind = kUint64
		}
	case change.TypeFloat:
		c.kind = kFloat
	case change.TypeDouble:
		c.kind = kDouble
	case change.TypeDecimal, change.TypeNewDecimal:
		switch e.opts.Decimal {
		case codec.DecimalString:
			c.kind = kDecimalString
		case codec.DecimalDouble:
			c.kind = kDecimalDouble
		default:
			c.kind = kDecimal
		}
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
		c.kind = kTimeMillis
		if e.opts.Time == codec.TimeAdaptiveMicros {
			c.kind = kTimeMicros
		}
	case change.TypeDateTime, change.TypeDateTime2:
		c.kind = kDateTimeMillis
		if e.opts.Time == codec.TimeAdaptiveMicros && col.Scale > 3 {
			c.kind = kDateTimeMicros
		}
	case change.TypeTimestamp, change.TypeTimestamp2:
		c.kind = kTimestamp
	case change.TypeYear:
		c.kind = kYear
	case change.TypeGeometry:
		c.kind = kGeometry
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

// Subjects of a topic's schemas (Confluent's TopicNameStrategy for rows, its
// TopicRecordNameStrategy for DDL records so that both can share a topic).
func keySubject(topic string) string   { return topic + "-key" }
func valueSubject(topic string) string { return topic + "-value" }

// idsFor returns the key and value schema ids of ids's schemas for topic,
// registering them on first use. A failed registration is not cached: the
// next record asks again.
func (e *Encoder) idsFor(ids *topicIDs, topic, keySubj, keySchema, valSubj, valSchema string) (key, value int32, err error) {
	if ids.set && ids.topic == topic {
		return ids.key, ids.value, nil
	}
	if kv, ok := ids.more[topic]; ok {
		ids.topic, ids.key, ids.value, ids.set = topic, kv[0], kv[1], true
		return kv[0], kv[1], nil
	}
	ctx := context.Background()
	if keySchema != "" {
		if key, err = e.reg.Register(ctx, keySubj, keySchema); err != nil {
			return 0, 0, err
		}
	}
	if value, err = e.reg.Register(ctx, valSubj, valSchema); err != nil {
		return 0, 0, err
	}
	if ids.more == nil {
		ids.more = map[string][2]int32{}
	}
	ids.more[topic] = [2]int32{key, value}
	ids.topic, ids.key, ids.value, ids.set = topic, key, value, true
	return key, value, nil
}

// SplitsKeyChanges implements codec.KeyChangeSplitter: an update that
// changes the row's key is a delete and an insert, as Debezium writes it.
func (e *Encoder) SplitsKeyChanges() bool { return true }

// Encode implements codec.Encoder.
func (e *Encoder) Encode(c *change.Change, rec *codec.Record) error {
	if c.Op == change.OpDDL {
		return e.encodeDDL(c, rec)
	}
	if c.Table == nil {
		return errkind.Terminal(fmt.Errorf("avro: %s change without a table at %s", c.Op, c.Pos))
	}
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
		return errkind.Terminal(fmt.Errorf("avro: unknown op %s at %s", c.Op, c.Pos))
	}
	ti := e.tables.Get(c.Table, e.buildTable)
	if ti.err != nil {
		return ti.err
	}
	keyID, valID, err := e.idsFor(&ti.ids, c.Topic, keySubject(c.Topic), ti.keySchema, valueSubject(c.Topic), ti.valSchema)
	if err != nil {
		return fmt.Errorf("avro: schemas of %s at %s: %w", c.Table.QualifiedName(), c.Pos, err)
	}
	if len(ti.key) == 0 {
		rec.Key = nil
	} else {
		row := c.KeyRow()
		if len(row) != len(ti.cols) {
			return rowLenError(c, row, ti)
		}
		k := registry.AppendHeader(rec.Key, keyID)
		for _, i := range ti.key {
			var ok bool
			if k, ok = appendField(k, &ti.cols[i], row[i], ti.keyOptional[i]); !ok {
				return badValue(c, ti, i, row[i])
			}
		}
		rec.Key = k
	}
	v := registry.AppendHeader(rec.Value, valID)
	if v, err = appendRow(v, c, ti, before); err != nil {
		return err
	}
	if v, err = appendRow(v, c, ti, after); err != nil {
		return err
	}
	v = e.appendSource(v, c, ti.source)
	v = append(v, 2, op) // op: a one-character string
	v = append(v, 2)     // ts_ms: the long branch
	v = avrobin.AppendLong(v, e.opts.NowMillis())
	rec.Value = v
	codec.PositionHeaders(c, rec)
	return nil
}

func rowLenError(c *change.Change, row []any, ti *tableInfo) error {
	return errkind.Terminal(fmt.Errorf("avro: %s: row has %d values for %d columns at %s",
		c.Table.QualifiedName(), len(row), len(ti.cols), c.Pos))
}

func badValue(c *change.Change, ti *tableInfo, i int, v any) error {
	col := &c.Table.Columns[i]
	if _, ok := render.TimeOf(v); ok && ti.cols[i].kind == kTimeMillis {
		return errkind.Terminal(fmt.Errorf("avro: %s column %s (%s NOT NULL): TIME %s is outside 00:00:00 to 24:00:00, "+
			"which time.precision.mode connect cannot hold (Debezium stops there too) at %s: use time_precision: adaptive_time_microseconds",
			c.Table.QualifiedName(), col.Name, col.ColumnType, v, c.Pos))
	}
	return errkind.Terminal(fmt.Errorf("avro: %s column %s (%s): cannot encode %T %v at %s",
		c.Table.QualifiedName(), col.Name, col.ColumnType, v, v, c.Pos))
}

// appendRow writes a before/after union: null, or the Value record.
func appendRow(v []byte, c *change.Change, ti *tableInfo, row []any) ([]byte, error) {
	if row == nil {
		return append(v, 0), nil
	}
	if len(row) != len(ti.cols) {
		return v, rowLenError(c, row, ti)
	}
	v = append(v, 2)
	for i, val := range row {
		var ok bool
		if v, ok = appendField(v, &ti.cols[i], val, true); !ok {
			return v, badValue(c, ti, i, val)
		}
	}
	return v, nil
}

// appendSource writes the source record.
func (e *Encoder) appendSource(v []byte, c *change.Change, dbTable []byte) []byte {
	v = append(v, e.srcHead...)
	v = avrobin.AppendLong(v, int64(c.CommitTime)*1000)
	if c.FromSnapshot() {
		v = append(v, 0, 8, 't', 'r', 'u', 'e')
	} else {
		v = append(v, 0, 10, 'f', 'a', 'l', 's', 'e')
	}
	v = append(v, dbTable...)
	v = avrobin.AppendLong(v, int64(c.ServerID))
	if c.Pos.GTID == "" {
		v = append(v, 0)
	} else {
		v = append(v, 2)
		v = avrobin.AppendString(v, c.Pos.GTID)
	}
	v = avrobin.AppendString(v, c.Pos.File)
	v = avrobin.AppendLong(v, int64(c.Pos.Pos))
	v = avrobin.AppendLong(v, int64(c.EventRow))
	return append(v, 0, 0) // thread, query: null
}

// encodeDDL writes a DDL record: key {databaseName}, value {source, ts_ms,
// databaseName, schemaName, ddl}, with the fixed SchemaChange schemas.
func (e *Encoder) encodeDDL(c *change.Change, rec *codec.Record) error {
	keyID, valID, err := e.idsFor(&e.ddl, c.Topic,
		c.Topic+"-"+SchemaChangeKeyName, schemaChangeKey, c.Topic+"-"+SchemaChangeValueName, schemaChangeValue)
	if err != nil {
		return fmt.Errorf("avro: DDL record schemas at %s: %w", c.Pos, err)
	}
	db, table := c.Schema, ""
	if c.Table != nil {
		db, table = c.Table.Schema, c.Table.Name
	}
	k := registry.AppendHeader(rec.Key, keyID)
	rec.Key = avrobin.AppendString(k, db)
	v := registry.AppendHeader(rec.Value, valID)
	dbTable := avrobin.AppendString(nil, db)
	dbTable = append(dbTable, 0) // sequence
	if table == "" {
		dbTable = append(dbTable, 0)
	} else {
		dbTable = append(dbTable, 2)
		dbTable = avrobin.AppendString(dbTable, table)
	}
	v = e.appendSource(v, c, dbTable)
	v = avrobin.AppendLong(v, e.opts.NowMillis())
	v = avrobin.AppendString(v, db)
	v = append(v, 0) // schemaName: null
	v = avrobin.AppendString(v, c.SQL)
	rec.Value = v
	codec.PositionHeaders(c, rec)
	return nil
}

// appendField writes one column value; optional fields are ["null", T]
// unions. A value that must be null (a zero date) in a field that cannot
// hold null fails.
func appendField(v []byte, col *column, val any, optional bool) ([]byte, bool) {
	if val == nil {
		if !optional {
			return v, false
		}
		return append(v, 0), true
	}
	start := len(v)
	if optional {
		v = append(v, 2)
	}
	v, null, ok := appendValue(v, col, val)
	if null {
		if !optional {
			return v, false
		}
		return append(v[:start], 0), true
	}
	return v, ok
}

// The epoch as Avro writes a date or datetime (a long 0) and a
// ZonedTimestamp: what Debezium writes for a zero date in a NOT NULL column.
var (
	epochLong      = avrobin.AppendLong(nil, 0)
	epochTimestamp = avrobin.AppendString(nil, "1970-01-01T00:00:00Z")
)

// zeroDate writes a zero date as Debezium does: its binlog reader makes it
// null, which stays null in a nullable column and becomes the converter's
// fallback, the epoch (already encoded), in a NOT NULL one.
func zeroDate(v []byte, col *column, epoch []byte) ([]byte, bool, bool) {
	if col.nullable {
		return v, true, true
	}
	return append(v, epoch...), false, true
}

// appendValue writes one non-null value of col's Avro type. null reports a
// value Avro gets as null (MySQL's zero dates in nullable columns).
func appendValue(v []byte, col *column, val any) (out []byte, null, ok bool) {
	switch col.kind {
	case kInt, kLong, kYear:
		if i, ok := change.Int64(val); ok {
			return avrobin.AppendLong(v, i), false, true
		}
		if u, ok := change.Uint64(val); ok && u <= math.MaxInt64 {
			return avrobin.AppendLong(v, int64(u)), false, true
		}
	case kUint64:
		var b [9]byte
		if u, ok := change.Uint64(val); ok {
			return avrobin.AppendString(v, render.AppendUnscaledUint(b[:0], u)), false, true
		}
		if i, ok := change.Int64(val); ok && i >= 0 {
			return avrobin.AppendString(v, render.AppendUnscaledUint(b[:0], uint64(i))), false, true
		}
	case kFloat:
		switch x := val.(type) {
		case float32:
			return avrobin.AppendFloat(v, x), false, true
		case float64:
			return avrobin.AppendFloat(v, float32(x)), false, true
		}
	case kDouble:
		if x, ok := val.(float64); ok {
			return avrobin.AppendDouble(v, x), false, true
		}
	case kDecimal:
		s, ok := val.(string)
		if !ok {
			break
		}
		var b [33]byte
		u, ok := render.AppendUnscaled(b[:0], s, col.scale)
		if !ok {
			break
		}
		return avrobin.AppendString(v, u), false, true
	case kDecimalString:
		if s, ok := val.(string); ok {
			return avrobin.AppendString(v, s), false, true
		}
	case kDecimalDouble:
		s, ok := val.(string)
		if !ok {
			break
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			break
		}
		return avrobin.AppendDouble(v, f), false, true
	case kBool:
		if i, ok := change.Int64(val); ok {
			return avrobin.AppendBool(v, i != 0), false, true
		}
	case kBits:
		if i, ok := change.Int64(val); ok {
			var le [8]byte
			binary.LittleEndian.PutUint64(le[:], uint64(i))
			return avrobin.AppendString(v, le[:col.bytes]), false, true
		}
	case kDate:
		dt, ok := dateTime(val)
		if !ok {
			break
		}
		if dt.IsZeroDate() {
			return zeroDate(v, col, epochLong)
		}
		return avrobin.AppendLong(v, render.DaysFromCivil(dt.Year, dt.Month, dt.Day)), false, true
	case kTimeMicros, kTimeMillis:
		s, ok := val.(string)
		if !ok {
			break
		}
		t, ok := render.ParseTime(s)
		if !ok {
			break
		}
		us := t.Micros()
		if col.kind == kTimeMicros {
			return avrobin.AppendLong(v, us), false, true
		}
		// Connect's Time is a time of day: Debezium writes null for a value
		// outside 0..24 h in a nullable column and stops on a NOT NULL one.
		if us < 0 || us > 86_400_000_000 {
			return v, col.nullable, col.nullable
		}
		return avrobin.AppendLong(v, us/1000), false, true
	case kDateTimeMicros, kDateTimeMillis:
		dt, ok := dateTime(val)
		if !ok {
			break
		}
		if dt.IsZeroDate() {
			return zeroDate(v, col, epochLong)
		}
		if col.kind == kDateTimeMicros {
			return avrobin.AppendLong(v, dt.UnixSeconds()*1_000_000+int64(dt.Micro)), false, true
		}
		return avrobin.AppendLong(v, dt.UnixSeconds()*1000+int64(dt.Micro/1000)), false, true
	case kTimestamp:
		s, ok := val.(string)
		if !ok || len(s) < 19 {
			break
		}
		dt, ok := render.ParseDateTime(s)
		if !ok {
			break
		}
		if dt.IsZeroDate() {
			return zeroDate(v, col, epochTimestamp)
		}
		// ISO-8601 in UTC with the column's fraction digits.
		v = avrobin.AppendLong(v, int64(len(s)+1))
		v = append(v, s[:10]...)
		v = append(v, 'T')
		v = append(v, s[11:]...)
		return append(v, 'Z'), false, true
	case kText:
		start := len(v)
		switch x := val.(type) {
		case string:
			return avrobin.PrefixLength(render.AppendUTF8(v, x, col.text), start), false, true
		case []byte:
			return avrobin.PrefixLength(render.AppendUTF8(v, x, col.text), start), false, true
		}
	case kBytes:
		switch x := val.(type) {
		case string:
			return avrobin.AppendString(v, x), false, true
		case []byte:
			return avrobin.AppendString(v, x), false, true
		}
	case kGeometry:
		b, ok := val.([]byte)
		if !ok || len(b) < 4 {
			break
		}
		v = avrobin.AppendString(v, b[4:])
		v = append(v, 2)
		return avrobin.AppendLong(v, int64(int32(binary.LittleEndian.Uint32(b[:4])))), false, true
	}
	return v, false, false
}

func dateTime(val any) (render.DateTime, bool) {
	s, ok := val.(string)
	if !ok {
		return render.DateTime{}, false
	}
	return render.ParseDateTime(s)
}
