package confluentavro

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/render"
)

// Avro schema JSON, built once per table version. Types carry Kafka
// Connect's "connect.name" (and "connect.parameters") as Debezium's
// AvroConverter writes them, so Connect sinks see Debezium's semantic types;
// Avro logical types are added where their meaning is exactly the column's.

// SourceName is the full name of the source record.
const SourceName = "io.debezium.connector.mysql.Source"

// Full names of the DDL records' key and value schemas.
const (
	SchemaChangeKeyName   = "io.sluice.connector.mysql.SchemaChangeKey"
	SchemaChangeValueName = "io.sluice.connector.mysql.SchemaChangeValue"
)

const geometryName = "io.debezium.data.geometry.Geometry"

// sourceSchema is the source block, as Debezium's MySQL connector declares it.
const sourceSchema = `{"type":"record","name":"Source","namespace":"io.debezium.connector.mysql","fields":[` +
	`{"name":"version","type":"string"},` +
	`{"name":"connector","type":"string"},` +
	`{"name":"name","type":"string"},` +
	`{"name":"ts_ms","type":"long"},` +
	`{"name":"snapshot","type":[{"type":"string","connect.version":1,"connect.parameters":{"allowed":"true,last,false,incremental"},"connect.default":"false","connect.name":"io.debezium.data.Enum"},"null"],"default":"false"},` +
	`{"name":"db","type":"string"},` +
	`{"name":"sequence","type":["null","string"],"default":null},` +
	`{"name":"table","type":["null","string"],"default":null},` +
	`{"name":"server_id","type":"long"},` +
	`{"name":"gtid","type":["null","string"],"default":null},` +
	`{"name":"file","type":"string"},` +
	`{"name":"pos","type":"long"},` +
	`{"name":"row","type":"int"},` +
	`{"name":"thread","type":["null","long"],"default":null},` +
	`{"name":"query","type":["null","string"],"default":null}` +
	`],"connect.name":"` + SourceName + `"}`

// schemaChangeKey and schemaChangeValue are the fixed schemas of DDL records.
const schemaChangeKey = `{"type":"record","name":"SchemaChangeKey","namespace":"io.sluice.connector.mysql","fields":[` +
	`{"name":"databaseName","type":"string"}],"connect.name":"` + SchemaChangeKeyName + `"}`

const schemaChangeValue = `{"type":"record","name":"SchemaChangeValue","namespace":"io.sluice.connector.mysql","fields":[` +
	`{"name":"source","type":` + sourceSchema + `},` +
	`{"name":"ts_ms","type":"long"},` +
	`{"name":"databaseName","type":"string"},` +
	`{"name":"schemaName","type":["null","string"],"default":null},` +
	`{"name":"ddl","type":"string"}` +
	`],"connect.name":"` + SchemaChangeValueName + `"}`

// Name turns s into an Avro name ([A-Za-z_][A-Za-z0-9_]*) as Debezium's
// schema name adjuster does: every other character becomes '_', and a
// leading digit gets a '_' in front.
func Name(s string) string {
	ok := s != "" && !(s[0] >= '0' && s[0] <= '9')
	for i := 0; ok && i < len(s); i++ {
		ok = isNameByte(s[i])
	}
	if ok {
		return s
	}
	var b strings.Builder
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		b.WriteByte('_')
	}
	for _, r := range s {
		if r < 0x80 && isNameByte(byte(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func isNameByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// Namespace is the namespace of a table's schemas: "<source>.<db>.<table>",
// each part an Avro name (Debezium's topic-derived names).
func Namespace(source, db, table string) string {
	return Name(source) + "." + Name(db) + "." + Name(table)
}

func connectName(name string) string { return `"connect.version":1,"connect.name":"` + name + `"` }

func connectParams(kv ...string) string {
	var b []byte
	b = append(b, `"connect.parameters":{`...)
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = render.JSONString(b, kv[i])
		b = append(b, ':')
		b = render.JSONString(b, kv[i+1])
	}
	return string(append(b, '}'))
}

func decimalType(precision, scale int) string {
	return `{"type":"bytes","logicalType":"decimal","precision":` + strconv.Itoa(precision) +
		`,"scale":` + strconv.Itoa(scale) + `,` +
		connectParams("scale", strconv.Itoa(scale), "connect.decimal.precision", strconv.Itoa(precision)) + `,` +
		connectName("org.apache.kafka.connect.data.Decimal") + `}`
}

// typeSchema is the Avro type of one column's non-null values. geometry
// reports whether the Geometry record was defined already (a named type is
// defined once per schema, then referred to by name).
func (e *Encoder) typeSchema(col *change.Column, c *column, geometry *bool) string {
	switch c.kind {
	case kInt:
		return `"int"`
	case kLong:
		return `"long"`
	case kUint64:
		return decimalType(20, 0)
	case kYear:
		return `{"type":"int",` + connectName("io.debezium.time.Year") + `}`
	case kFloat:
		return `"float"`
	case kDouble:
		return `"double"`
	case kDecimal:
		p := col.Precision
		if p <= 0 {
			p = 65
		}
		if p < c.scale {
			p = c.scale
		}
		return decimalType(p, c.scale)
	case kDecimalString:
		return `"string"`
	case kDecimalDouble:
		return `"double"`
	case kBool:
		return `"boolean"`
	case kBits:
		return `{"type":"bytes",` + connectParams("length", strconv.Itoa(c.bits)) + `,` + connectName("io.debezium.data.Bits") + `}`
	case kDate:
		if e.opts.Time == codec.TimeConnect {
			return `{"type":"int","logicalType":"date",` + connectName("org.apache.kafka.connect.data.Date") + `}`
		}
		return `{"type":"int","logicalType":"date",` + connectName("io.debezium.time.Date") + `}`
	case kTimeMicros:
		// No Avro logical type: TIME may be negative or past 24 hours.
		return `{"type":"long",` + connectName("io.debezium.time.MicroTime") + `}`
	case kTimeMillis:
		return `{"type":"int","logicalType":"time-millis",` + connectName("org.apache.kafka.connect.data.Time") + `}`
	case kDateTimeMicros:
		return `{"type":"long","logicalType":"local-timestamp-micros",` + connectName("io.debezium.time.MicroTimestamp") + `}`
	case kDateTimeMillis:
		if e.opts.Time == codec.TimeConnect {
			return `{"type":"long","logicalType":"timestamp-millis",` + connectName("org.apache.kafka.connect.data.Timestamp") + `}`
		}
		return `{"type":"long","logicalType":"local-timestamp-millis",` + connectName("io.debezium.time.Timestamp") + `}`
	case kTimestamp:
		return `{"type":"string",` + connectName("io.debezium.time.ZonedTimestamp") + `}`
	case kBytes:
		return `"bytes"`
	case kGeometry:
		if *geometry {
			return `"` + geometryName + `"`
		}
		*geometry = true
		return `{"type":"record","name":"Geometry","namespace":"io.debezium.data.geometry","fields":[` +
			`{"name":"wkb","type":"bytes"},{"name":"srid","type":["null","int"],"default":null}],` +
			`"doc":"Geometry",` + connectName(geometryName) + `}`
	}
	switch col.Type {
	case change.TypeJSON:
		return `{"type":"string",` + connectName("io.debezium.data.Json") + `}`
	case change.TypeEnum:
		return `{"type":"string",` + connectParams("allowed", strings.Join(col.Elements, ",")) + `,` + connectName("io.debezium.data.Enum") + `}`
	case change.TypeSet:
		return `{"type":"string",` + connectParams("allowed", strings.Join(col.Elements, ",")) + `,` + connectName("io.debezium.data.EnumSet") + `}`
	}
	return `"string"`
}

// recordSchema renders a record of the given columns. Columns listed in
// optional are ["null", T] unions with a null default; the others are plain.
func (e *Encoder) recordSchema(t *change.Table, ti *tableInfo, name, namespace string, cols []int, optional func(int) bool) (string, error) {
	var b strings.Builder
	b.WriteString(`{"type":"record","name":"` + name + `"`)
	if namespace != "" {
		b.WriteString(`,"namespace":"` + namespace + `"`)
	}
	b.WriteString(`,"fields":[`)
	geometry := false
	seen := make(map[string]string, len(cols))
	for n, i := range cols {
		col := &t.Columns[i]
		fname := Name(col.Name)
		if prev, dup := seen[fname]; dup {
			return "", fmt.Errorf("columns %q and %q of %s both become the Avro field name %q: rename one",
				prev, col.Name, t.QualifiedName(), fname)
		}
		seen[fname] = col.Name
		if n > 0 {
			b.WriteByte(',')
		}
		typ := e.typeSchema(col, &ti.cols[i], &geometry)
		if optional(i) {
			b.WriteString(`{"name":"` + fname + `","type":["null",` + typ + `],"default":null}`)
		} else {
			b.WriteString(`{"name":"` + fname + `","type":` + typ + `}`)
		}
	}
	full := name
	if namespace != "" {
		full = namespace + "." + name
	}
	b.WriteString(`],"connect.name":"` + full + `"}`)
	return b.String(), nil
}

// schemas builds the key schema (empty for a keyless table) and the value
// (envelope) schema of t.
func (e *Encoder) schemas(t *change.Table, ti *tableInfo) (key, value string, err error) {
	ns := Namespace(e.server, t.Schema, t.Name)
	if len(ti.key) > 0 {
		if key, err = e.recordSchema(t, ti, "Key", ns, ti.key, func(i int) bool { return ti.keyOptional[i] }); err != nil {
			return "", "", err
		}
	}
	all := make([]int, len(t.Columns))
	for i := range all {
		all[i] = i
	}
	row, err := e.recordSchema(t, ti, "Value", ns, all, func(int) bool { return true })
	if err != nil {
		return "", "", err
	}
	value = `{"type":"record","name":"Envelope","namespace":"` + ns + `","fields":[` +
		`{"name":"before","type":["null",` + row + `],"default":null},` +
		`{"name":"after","type":["null","` + ns + `.Value"],"default":null},` +
		`{"name":"source","type":` + sourceSchema + `},` +
		`{"name":"op","type":"string"},` +
		`{"name":"ts_ms","type":["null","long"],"default":null}` +
		`],"connect.name":"` + ns + `.Envelope"}`
	return key, value, nil
}
