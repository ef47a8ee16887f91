package debeziumjson

import (
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/render"
)

// Kafka Connect schema JSON (as JsonConverter writes it with
// schemas.enable=true), built once per table version.

// field renders one Connect field schema. extra holds pre-rendered members
// (name, version, parameters) placed after "optional".
func field(typ string, optional bool, name, extra string) string {
	var b strings.Builder
	b.WriteString(`{"type":"` + typ + `","optional":` + strconv.FormatBool(optional))
	if extra != "" {
		b.WriteString("," + extra)
	}
	b.WriteString(`,"field":` + string(render.JSONString(nil, name)) + "}")
	return b.String()
}

func named(name string) string { return `"name":"` + name + `","version":1` }

func params(kv ...string) string {
	var b strings.Builder
	b.WriteString(`"parameters":{`)
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(render.JSONString(nil, kv[i]))
		b.WriteByte(':')
		b.Write(render.JSONString(nil, kv[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

// columnSchema is the Connect schema of one column's values.
func (e *Encoder) columnSchema(col *change.Column, c *column) string {
	opt := col.Nullable
	n := col.Name
	switch c.kind {
	case kUBigDecimal:
		return field("bytes", opt, n, named("org.apache.kafka.connect.data.Decimal")+","+
			params("scale", "0", "connect.decimal.precision", "20"))
	case kInt, kUint, kUBigLong:
		typ := "int32"
		switch col.Type {
		case change.TypeTiny:
			typ = "int16"
		case change.TypeShort:
			if !col.Unsigned {
				typ = "int16"
			}
		case change.TypeLong:
			if col.Unsigned {
				typ = "int64"
			}
		case change.TypeLongLong:
			typ = "int64"
		}
		return field(typ, opt, n, "")
	case kYear:
		return field("int32", opt, n, named("io.debezium.time.Year"))
	case kFloat:
		return field("float", opt, n, "")
	case kDouble, kFloatDouble:
		return field("double", opt, n, "")
	case kDecimal:
		switch e.opts.Decimal {
		case codec.DecimalString:
			return field("string", opt, n, "")
		case codec.DecimalDouble:
			return field("double", opt, n, "")
		}
		return field("bytes", opt, n, named("org.apache.kafka.connect.data.Decimal")+","+
			params("scale", strconv.Itoa(col.Scale), "connect.decimal.precision", strconv.Itoa(col.Precision)))
	case kBool:
		return field("boolean", opt, n, "")
	case kBits:
		return field("bytes", opt, n, named("io.debezium.data.Bits")+","+params("length", strconv.Itoa(c.bits)))
	case kDate:
		if e.opts.Time == codec.TimeConnect {
			return field("int32", opt, n, named("org.apache.kafka.connect.data.Date"))
		}
		return field("int32", opt, n, named("io.debezium.time.Date"))
	case kTime:
		if c.micros {
			return field("int64", opt, n, named("io.debezium.time.MicroTime"))
		}
		return field("int32", opt, n, named("org.apache.kafka.connect.data.Time"))
	case kDateTime:
		switch {
		case c.micros:
			return field("int64", opt, n, named("io.debezium.time.MicroTimestamp"))
		case e.opts.Time == codec.TimeConnect:
			return field("int64", opt, n, named("org.apache.kafka.connect.data.Timestamp"))
		}
		return field("int64", opt, n, named("io.debezium.time.Timestamp"))
	case kTimestamp:
		return field("string", opt, n, named("io.debezium.time.ZonedTimestamp"))
	case kBytes:
		return field("bytes", opt, n, "")
	case kGeometry:
		// Debezium's Geometry.builder() is optional whatever the column.
		return `{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},` +
			`{"type":"int32","optional":true,"field":"srid"}],"optional":true,` +
			named("io.debezium.data.geometry.Geometry") + `,"doc":"Geometry","field":` +
			string(render.JSONString(nil, n)) + `}`
	case kPoint:
		return `{"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},` +
			`{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},` +
			`{"type":"int32","optional":true,"field":"srid"}],"optional":` + strconv.FormatBool(opt) + `,` +
			named("io.debezium.data.geometry.Point") + `,"doc":"Geometry (POINT)","field":` +
			string(render.JSONString(nil, n)) + `}`
	}
	switch col.Type {
	case change.TypeJSON:
		return field("string", opt, n, named("io.debezium.data.Json"))
	case change.TypeEnum:
		return field("string", opt, n, named("io.debezium.data.Enum")+","+params("allowed", strings.Join(col.Elements, ",")))
	case change.TypeSet:
		return field("string", opt, n, named("io.debezium.data.EnumSet")+","+params("allowed", strings.Join(col.Elements, ",")))
	}
	return field("string", opt, n, "")
}

const sourceSchema = `{"type":"struct","fields":[` +
	`{"type":"string","optional":false,"field":"version"},` +
	`{"type":"string","optional":false,"field":"connector"},` +
	`{"type":"string","optional":false,"field":"name"},` +
	`{"type":"int64","optional":false,"field":"ts_ms"},` +
	`{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,last,false,incremental"},"default":"false","field":"snapshot"},` +
	`{"type":"string","optional":false,"field":"db"},` +
	`{"type":"string","optional":true,"field":"sequence"},` +
	`{"type":"string","optional":true,"field":"table"},` +
	`{"type":"int64","optional":false,"field":"server_id"},` +
	`{"type":"string","optional":true,"field":"gtid"},` +
	`{"type":"string","optional":false,"field":"file"},` +
	`{"type":"int64","optional":false,"field":"pos"},` +
	`{"type":"int32","optional":false,"field":"row"},` +
	`{"type":"int64","optional":true,"field":"thread"},` +
	`{"type":"string","optional":true,"field":"query"}` +
	`],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"}`

const transactionSchema = `{"type":"struct","fields":[` +
	`{"type":"string","optional":false,"field":"id"},` +
	`{"type":"int64","optional":false,"field":"total_order"},` +
	`{"type":"int64","optional":false,"field":"data_collection_order"}` +
	`],"optional":true,"name":"event.block","version":1,"field":"transaction"}`

// schemas returns the key and value prefixes `{"schema":…,"payload":` for t.
func (e *Encoder) schemas(t *change.Table, ti *tableInfo) (key, value []byte) {
	prefix := e.server + "." + t.Schema + "." + t.Name
	var kf, vf []string
	for _, i := range ti.key {
		kf = append(kf, e.columnSchema(&t.Columns[i], &ti.cols[i]))
	}
	for i := range t.Columns {
		vf = append(vf, e.columnSchema(&t.Columns[i], &ti.cols[i]))
	}
	row := func(fieldName string) string {
		return `{"type":"struct","fields":[` + strings.Join(vf, ",") + `],"optional":true,"name":` +
			string(render.JSONString(nil, prefix+".Value")) + `,"field":"` + fieldName + `"}`
	}
	keySchema := `{"type":"struct","fields":[` + strings.Join(kf, ",") + `],"optional":false,"name":` +
		string(render.JSONString(nil, prefix+".Key")) + `}`
	valSchema := `{"type":"struct","fields":[` + row("before") + "," + row("after") + "," + e.sourceSchema + "," +
		`{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},` +
		transactionSchema + `],"optional":false,"name":` + string(render.JSONString(nil, prefix+".Envelope")) +
		`,"version":1}`
	return []byte(`{"schema":` + keySchema + `,"payload":`), []byte(`{"schema":` + valSchema + `,"payload":`)
}

// connectorSchemas returns the source block's schema and the schema-change
// key and value schemas for Debezium's connector name conn ("mysql",
// "mariadb"), which names them (io.debezium.connector.<conn>.Source, as
// Debezium's SchemaFactory builds the names from the connector's).
func connectorSchemas(conn string) (source, ddlKey, ddlValue string) {
	r := strings.NewReplacer("io.debezium.connector.mysql.", "io.debezium.connector."+conn+".")
	return r.Replace(sourceSchema), r.Replace(ddlKeySchema), r.Replace(ddlValueSchema)
}

// The schemas of Debezium's schema-change topic (SchemaFactory's
// schemaHistoryConnectorKeySchema and schemaHistoryConnectorValueSchema): DDL
// records carry them so that JsonConverter with schemas on reads them.
const (
	ddlKeySchema = `{"type":"struct","fields":[{"type":"string","optional":false,"field":"databaseName"}],` +
		`"optional":false,"name":"io.debezium.connector.mysql.SchemaChangeKey","version":1}`

	ddlColumnSchema = `{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"name"},` +
		`{"type":"int32","optional":false,"field":"jdbcType"},` +
		`{"type":"int32","optional":true,"field":"nativeType"},` +
		`{"type":"string","optional":false,"field":"typeName"},` +
		`{"type":"string","optional":true,"field":"typeExpression"},` +
		`{"type":"string","optional":true,"field":"charsetName"},` +
		`{"type":"int32","optional":true,"field":"length"},` +
		`{"type":"int32","optional":true,"field":"scale"},` +
		`{"type":"int32","optional":false,"field":"position"},` +
		`{"type":"boolean","optional":true,"field":"optional"},` +
		`{"type":"boolean","optional":true,"field":"autoIncremented"},` +
		`{"type":"boolean","optional":true,"field":"generated"},` +
		`{"type":"string","optional":true,"field":"comment"},` +
		`{"type":"string","optional":true,"field":"defaultValueExpression"},` +
		`{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"enumValues"}` +
		`],"optional":false,"name":"io.debezium.connector.schema.Column","version":1}`

	ddlChangeSchema = `{"type":"struct","fields":[` +
		`{"type":"string","optional":false,"field":"type"},` +
		`{"type":"string","optional":false,"field":"id"},` +
		`{"type":"struct","fields":[` +
		`{"type":"string","optional":true,"field":"defaultCharsetName"},` +
		`{"type":"array","items":{"type":"string","optional":false},"optional":true,"field":"primaryKeyColumnNames"},` +
		`{"type":"array","items":` + ddlColumnSchema + `,"optional":false,"field":"columns"},` +
		`{"type":"string","optional":true,"field":"comment"}` +
		`],"optional":true,"name":"io.debezium.connector.schema.Table","version":1,"field":"table"}` +
		`],"optional":false,"name":"io.debezium.connector.schema.Change","version":1}`

	ddlValueSchema = `{"type":"struct","fields":[` + sourceSchema + `,` +
		`{"type":"int64","optional":false,"field":"ts_ms"},` +
		`{"type":"string","optional":true,"field":"databaseName"},` +
		`{"type":"string","optional":true,"field":"schemaName"},` +
		`{"type":"string","optional":true,"field":"ddl"},` +
		`{"type":"array","items":` + ddlChangeSchema + `,"optional":false,"field":"tableChanges"}` +
		`],"optional":false,"name":"io.debezium.connector.mysql.SchemaChangeValue","version":1}`
)
