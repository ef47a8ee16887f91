package dtsavro

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
)

const ns = "com.alibaba.dts.formats.avro."

// recordSchema is the self-contained Record schema the decoders use.
func recordSchema(t testing.TB) string {
	t.Helper()
	return RecordSchema()
}

var goavroCodec *goavro.Codec

// decodeGoavro decodes a record with linkedin/goavro, which DTS's own Go demo
// uses, and requires every byte to be consumed.
func decodeGoavro(t testing.TB, b []byte) map[string]any {
	t.Helper()
	if goavroCodec == nil {
		c, err := goavro.NewCodec(recordSchema(t))
		if err != nil {
			t.Fatalf("goavro cannot parse Record.avsc: %v", err)
		}
		goavroCodec = c
	}
	native, rest, err := goavroCodec.NativeFromBinary(b)
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("goavro: %d bytes left after the record", len(rest))
	}
	return native.(map[string]any)
}

// decodeHamba decodes a record with hamba/avro.
func decodeHamba(t testing.TB, b []byte) map[string]any {
	t.Helper()
	s, err := avro.Parse(recordSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := avro.Unmarshal(s, b, &out); err != nil {
		t.Fatalf("hamba/avro: %v", err)
	}
	return out
}

// union unwraps goavro's {"type name": value} union form.
func union(v any) (string, any) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", v
	}
	for k, x := range m {
		return strings.TrimPrefix(k, ns), x
	}
	return "", nil
}

// valueText renders one decoded image item as text the way DTS's reference
// consumer (MysqlFieldConverter) does, so tests compare with MySQL's text.
func valueText(t testing.TB, item any) *string {
	name, v := union(item)
	if v == nil {
		return nil
	}
	m := v.(map[string]any)
	var s string
	switch name {
	case "Integer", "Decimal":
		s = m["value"].(string)
	case "Character", "BinaryObject", "BinaryGeometry":
		s = string(m["value"].([]byte))
	case "TextObject":
		s = m["value"].(string)
	case "Float":
		s = strconv.FormatFloat(m["value"].(float64), 'g', -1, 64)
	case "Timestamp":
		s = fmt.Sprintf("%d.%06d", m["timestamp"].(int64), m["millis"].(int32))
	case "DateTime":
		part := func(k string) string {
			_, x := union(m[k])
			if x == nil {
				return "_"
			}
			return strconv.Itoa(int(x.(int32)))
		}
		s = strings.Join([]string{part("year"), part("month"), part("day"), part("hour"), part("minute"), part("second"), part("millis")}, "/")
	default:
		t.Fatalf("unexpected union branch %q", name)
	}
	return &s
}

func image(t *testing.T, rec map[string]any, which string) map[string]*string {
	_, img := union(rec[which+"Images"])
	items, ok := img.([]any)
	if !ok {
		return nil
	}
	_, f := union(rec["fields"])
	fields := f.([]any)
	row := map[string]*string{}
	for i, it := range items {
		row[fields[i].(map[string]any)["name"].(string)] = valueText(t, it)
	}
	return row
}

func suite() codectest.Suite {
	return codectest.Suite{
		New: func(t *testing.T) codec.Encoder { return New(codec.Options{Now: codectest.Now}) },
		Row: func(t *testing.T, rec *codec.Record, which string) map[string]*string {
			return image(t, decodeGoavro(t, rec.Value), which)
		},
	}
}

func TestEncoder_Conformance(t *testing.T) { codectest.Run(t, suite()) }

func TestEncoder_RecordFields(t *testing.T) {
	e := New(codec.Options{SourceVersion: "10.11.6-MariaDB"})
	ch := codectest.Changes()
	rec := decodeGoavro(t, codectest.Encode(t, e, ch["update"]).Value)
	for k, want := range map[string]any{
		"version": int32(1), "id": int64(1001), "sourceTimestamp": int64(1_700_000_000),
		"sourcePosition": "mysql-bin.000003:4567", "safeSourcePosition": "", "sourceTxid": "0-1-42",
		"operation": "UPDATE", "bornTimestamp": int64(1_700_000_000_000),
	} {
		if rec[k] != want {
			t.Errorf("%s = %#v, want %#v", k, rec[k], want)
		}
	}
	if src := rec["source"].(map[string]any); src["sourceType"] != "MySQL" || src["version"] != "10.11.6-MariaDB" {
		t.Errorf("source = %v", src)
	}
	if _, on := union(rec["objectName"]); on != "shop.all_types" {
		t.Errorf("objectName = %v", on)
	}
	if rec["processTimestamps"] != nil {
		t.Errorf("processTimestamps = %v, want null", rec["processTimestamps"])
	}
	tags := rec["tags"].(map[string]any)
	var pk map[string][]string
	if err := json.Unmarshal([]byte(tags["pk_uk_info"].(string)), &pk); err != nil {
		t.Fatalf("pk_uk_info %q: %v", tags["pk_uk_info"], err)
	}
	if fmt.Sprint(pk) != "map[PRIMARY:[id] uk_varchar:[c_varchar c_latin1]]" {
		t.Errorf("pk_uk_info = %v", pk)
	}
	_, f := union(rec["fields"])
	fields := f.([]any)
	want := map[string]int32{"id": 8, "c_tiny": 1, "c_medium": 9, "c_dec": 246, "c_float": 4, "c_double": 5,
		"c_bit64": 16, "c_date": 10, "c_time": 11, "c_datetime6": 12, "c_ts3": 7, "c_year": 13,
		"c_varchar": 253, "c_binary": 254, "c_text": 252, "c_longtext": 251, "c_json": 245, "c_enum": 247,
		"c_set": 248, "c_point": 255}
	for _, fl := range fields {
		m := fl.(map[string]any)
		if n, ok := want[m["name"].(string)]; ok && m["dataTypeNumber"] != n {
			t.Errorf("field %s dataTypeNumber = %v, want %d", m["name"], m["dataTypeNumber"], n)
		}
	}
	if len(fields) != len(codectest.TypesTable().Columns) {
		t.Errorf("%d fields", len(fields))
	}

	for op, wantOp := range map[string]string{"insert": "INSERT", "delete": "DELETE", "snapshot": "INIT", "ddl": "DDL"} {
		r := decodeGoavro(t, codectest.Encode(t, e, ch[op]).Value)
		if r["operation"] != wantOp {
			t.Errorf("%s: operation %v", op, r["operation"])
		}
		b, a := r["beforeImages"], r["afterImages"]
		switch op {
		case "insert", "snapshot":
			if b != nil || a == nil {
				t.Errorf("%s: before %v after-null %v", op, b, a == nil)
			}
		case "delete":
			if b == nil || a != nil {
				t.Errorf("delete: before-null %v after %v", b == nil, a)
			}
		case "ddl":
			if _, sql := union(a); sql != ch["ddl"].SQL || r["fields"] != nil || b != nil {
				t.Errorf("ddl: after %v fields %v before %v", a, r["fields"], b)
			}
		}
	}
	for _, op := range []string{"ddl", "ddl_db"} {
		r := decodeGoavro(t, codectest.Encode(t, e, ch[op]).Value)
		if _, on := union(r["objectName"]); on != "shop" {
			t.Errorf("%s objectName = %v, want the database alone", op, on)
		}
	}
}

// sdkCache stands for DTS's SDK with its schema cache on
// (LazyRecordDeserializer): the first record of an objectName fixes the
// fields its later records are read with, until tags["metaVersion"] changes.
type sdkCache map[string]struct {
	fields  string
	version any
}

// read reports an error where the SDK would fail or misread rec.
func (c sdkCache) read(rec map[string]any) error {
	_, on := union(rec["objectName"])
	name, _ := on.(string)
	fields := fmt.Sprint(rec["fields"])
	version := rec["tags"].(map[string]any)["metaVersion"]
	cached, ok := c[name]
	if ok && (version == nil || version == cached.version) {
		if cached.fields != fields {
			return fmt.Errorf("%s %s would be read with the fields an earlier record of that objectName left in the cache", rec["operation"], name)
		}
		return nil
	}
	c[name] = struct {
		fields  string
		version any
	}{fields, version}
	return nil
}

// TestEncoder_SDKSchemaCache_DDLThenRows pins that a table's DDL does not
// share its rows' objectName: DDL for db.table used to, so the SDK read the
// next rows with the DDL's null fields and threw.
func TestEncoder_SDKSchemaCache_DDLThenRows(t *testing.T) {
	e, ch := New(codec.Options{}), codectest.Changes()
	cache := sdkCache{}
	for _, op := range []string{"ddl", "insert", "ddl", "update", "ddl_db", "delete"} {
		if err := cache.read(decodeGoavro(t, codectest.Encode(t, e, ch[op]).Value)); err != nil {
			t.Error(err)
		}
	}
}

// TestEncoder_ValueUnions pins each type's union branch and fields
// (docs/types.md).
func TestEncoder_ValueUnions(t *testing.T) {
	rec := decodeGoavro(t, codectest.Encode(t, New(codec.Options{}), codectest.Changes()["insert"]).Value)
	row := image(t, rec, "after")
	for col, want := range map[string]string{
		"id":          "18446744073709551615",
		"c_tiny":      "-128",
		"c_int_u":     "4294967295",
		"c_big":       "-9223372036854775808",
		"c_dec":       "-12345678901234567890123456789012345.123456789012345678901234567890",
		"c_float":     "0.1",
		"c_double":    "1e+10",
		"c_bit64":     "18446744073709551615",
		"c_date":      "2024/2/29/_/_/_/_",
		"c_time":      "_/_/_/-838/-59/-59/0",
		"c_time_long": "_/_/_/100/0/1/_",
		"c_datetime":  "1999/12/31/23/59/59/_",
		"c_datetime6": "2024/2/29/12/34/56/789",
		"c_ts3":       "2147483647.999000",
		"c_year":      "2155/_/_/_/_/_/_",
		"c_varchar":   "héllo \"wörld\"\n😀",
		"c_latin1":    "caf\xe9 \x80",
		"c_varbinary": "\x00\x01\xff",
		"c_text":      "long text\twith tab",
		"c_json":      `{"a": [1, 2.5, "x"], "b": null}`,
		"c_enum":      "large",
		"c_set":       "a,c",
		"c_zero_dt":   "0/0/0/0/0/0/_",
		"c_empty":     "",
	} {
		if got := row[col]; got == nil || *got != want {
			g := "<NULL>"
			if got != nil {
				g = *got
			}
			t.Errorf("%s = %q, want %q", col, g, want)
		}
	}
	_, imgs := union(rec["afterImages"])
	items := imgs.([]any)
	ti := codectest.TypesTable()
	for col, branch := range map[string]string{"id": "Integer", "c_dec": "Decimal", "c_float": "Float",
		"c_ts3": "Timestamp", "c_date": "DateTime", "c_varchar": "Character", "c_binary": "Character",
		"c_blob": "BinaryObject", "c_text": "BinaryObject", "c_json": "TextObject", "c_set": "TextObject",
		"c_point": "BinaryGeometry", "c_null": ""} {
		name, v := union(items[ti.ColumnIndex(col)])
		if name != branch {
			t.Errorf("%s: union branch %q, want %q", col, name, branch)
			continue
		}
		if v == nil {
			continue
		}
		m := v.(map[string]any)
		switch col {
		case "c_varchar":
			if m["charset"] != "utf8mb4" {
				t.Errorf("c_varchar charset %v", m["charset"])
			}
		case "c_binary":
			if m["charset"] != "binary" {
				t.Errorf("c_binary charset %v", m["charset"])
			}
		case "c_dec":
			if m["precision"] != int32(65) || m["scale"] != int32(30) {
				t.Errorf("c_dec precision/scale %v/%v", m["precision"], m["scale"])
			}
		case "c_blob", "c_text", "c_json", "c_set", "c_point":
			want := map[string]string{"c_blob": "BLOB", "c_text": "TEXT", "c_json": "JSON", "c_set": "SET", "c_point": "POINT"}[col]
			if m["type"] != want {
				t.Errorf("%s type %v, want %s", col, m["type"], want)
			}
			if col == "c_point" {
				checkWKBPoint(t, m["value"].([]byte), 1, 2)
			}
		case "c_float":
			if m["value"].(float64) != 0.1 || math.IsNaN(m["value"].(float64)) {
				t.Errorf("c_float %v", m["value"])
			}
		}
	}
}

// TestEncoder_HambaAgrees decodes every op with hamba/avro too.
func TestEncoder_HambaAgrees(t *testing.T) {
	e := New(codec.Options{})
	for _, op := range codectest.Ops {
		rec := codectest.Encode(t, e, codectest.Changes()[op])
		h := decodeHamba(t, rec.Value)
		g := decodeGoavro(t, rec.Value)
		for _, k := range []string{"id", "sourcePosition", "sourceTimestamp", "bornTimestamp"} {
			if fmt.Sprint(h[k]) != fmt.Sprint(g[k]) {
				t.Errorf("%s: %s: hamba %v, goavro %v", op, k, h[k], g[k])
			}
		}
	}
}

func TestObjectName_EscapesDots(t *testing.T) {
	if got := ObjectName("my.db", "t.1"); got != `my\u002Edb.t\u002E1` {
		t.Errorf("ObjectName = %s", got)
	}
	if got := ObjectName("db", ""); got != "db" {
		t.Errorf("ObjectName = %s", got)
	}
}

func TestEncoder_Golden(t *testing.T) {
	e := New(codec.Options{})
	for _, op := range codectest.Ops {
		rec := codectest.Encode(t, e, codectest.Changes()[op])
		codectest.Golden(t, "dtsavro_"+op+".avro", rec.Value)
		// The decoded form, for review.
		native := decodeGoavro(t, rec.Value)
		text, err := goavroCodec.TextualFromNative(nil, native)
		if err != nil {
			t.Fatal(err)
		}
		// goavro's map order is random: re-indent with sorted keys.
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			t.Fatal(err)
		}
		pretty, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		codectest.Golden(t, "dtsavro_"+op+".json", append(pretty, '\n'))
	}
}

func BenchmarkEncode_DTSAvro(b *testing.B) {
	codectest.Bench(b, func() codec.Encoder { return New(codec.Options{}) })
}

// checkWKBPoint reads b as a plain WKB POINT, as DTS's SDK hands
// BinaryGeometry.value to JTS's WKBReader, and checks its coordinates.
func checkWKBPoint(t *testing.T, b []byte, x, y float64) {
	t.Helper()
	if len(b) != 21 {
		t.Fatalf("WKB POINT is %d bytes, want 21 (no SRID prefix): % x", len(b), b)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if b[0] == 0 {
		order = binary.BigEndian
	}
	gx, gy := math.Float64frombits(order.Uint64(b[5:13])), math.Float64frombits(order.Uint64(b[13:21]))
	if b[0] > 1 || order.Uint32(b[1:5]) != 1 || gx != x || gy != y {
		t.Errorf("WKB % x is not POINT(%v %v)", b, x, y)
	}
}

// TestEncoder_Geometry_PlainWKB pins BinaryGeometry.value as the WKB alone,
// whatever the SRID (it held MySQL's internal value, SRID then WKB, which
// the SDK's WKB reader cannot parse).
func TestEncoder_Geometry_PlainWKB(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "geo", Columns: []change.Column{
		{Name: "p", Type: change.TypeGeometry, ColumnType: "point", Charset: "binary", Nullable: true},
	}}
	wkb := []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0x40, 0, 0, 0, 0, 0, 0, 0x59, 0xc0} // POINT(3.5 -100)
	for _, srid := range []uint32{0, 4326} {
		val := append(binary.LittleEndian.AppendUint32(nil, srid), wkb...)
		c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{val}, Pos: codectest.Pos}
		_, imgs := union(decodeGoavro(t, codectest.Encode(t, New(codec.Options{}), c).Value)["afterImages"])
		name, g := union(imgs.([]any)[0])
		if name != "BinaryGeometry" || g.(map[string]any)["type"] != "POINT" {
			t.Fatalf("SRID %d: %s %v", srid, name, g)
		}
		checkWKBPoint(t, g.(map[string]any)["value"].([]byte), 3.5, -100)
	}
}

// TestEncoder_SDKSchemaCache_NewTableVersion pins the metaVersion tag: the
// SDK with its schema cache on rereads an objectName's fields only when the
// tag changes, so rows written after ALTER TABLE were read with the old
// fields. It changes with the columns and keys and is stable otherwise.
func TestEncoder_SDKSchemaCache_NewTableVersion(t *testing.T) {
	e, ch := New(codec.Options{}), codectest.Changes()
	altered := codectest.TypesTable()
	altered.Columns = append(altered.Columns, change.Column{Name: "c_new", Type: change.TypeLong, ColumnType: "int(11)", Nullable: true})
	ins2 := *ch["insert"]
	ins2.Table, ins2.After = altered, append(codectest.TypesRow(), int32(5))
	rekeyed := codectest.TypesTable()
	rekeyed.UniqueKeys = nil
	ins3 := *ch["insert"]
	ins3.Table = rekeyed
	cache := sdkCache{}
	versions := map[any]bool{}
	for _, c := range []*change.Change{ch["insert"], ch["ddl"], &ins2, ch["update"], &ins3, &ins2} {
		rec := decodeGoavro(t, codectest.Encode(t, e, c).Value)
		if err := cache.read(rec); err != nil {
			t.Error(err)
		}
		if c.Op != change.OpDDL {
			v := rec["tags"].(map[string]any)["metaVersion"]
			if n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64); err != nil || n <= 0 {
				t.Errorf("metaVersion %v is not a positive long", v)
			}
			versions[v] = true
		}
	}
	if len(versions) != 3 {
		t.Errorf("%d metaVersions for 3 table versions: %v", len(versions), versions)
	}
	again := decodeGoavro(t, codectest.Encode(t, New(codec.Options{}), ch["insert"]).Value)
	if v := again["tags"].(map[string]any)["metaVersion"]; !versions[v] {
		t.Errorf("a new encoder gives table version 1 metaVersion %v, not one of %v", v, versions)
	}
}
