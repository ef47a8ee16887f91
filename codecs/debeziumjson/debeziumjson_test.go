package debeziumjson

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/internal/errkind"
)

func newEncoder(t testing.TB, opts codec.Options) *Encoder {
	t.Helper()
	opts.Now = codectest.Now
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// decodeJSON reads a key or value with encoding/json, numbers as text; with
// schemas on it checks the envelope and returns the payload.
func decodeJSON(t *testing.T, b []byte, schemas bool) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	if schemas {
		if _, ok := m["schema"].(map[string]any); !ok {
			t.Fatalf("no schema part: %s", b)
		}
		p, ok := m["payload"].(map[string]any)
		if !ok {
			t.Fatalf("no payload: %s", b)
		}
		return p
	}
	return m
}

func text(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = map[bool]string{true: "true", false: "false"}[x]
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return &s
}

func suite(schemas bool) codectest.Suite {
	return codectest.Suite{
		New:   func(t *testing.T) codec.Encoder { return newEncoder(t, codec.Options{SchemasEnable: schemas}) },
		Keyed: true,
		Row: func(t *testing.T, rec *codec.Record, image string) map[string]*string {
			v := decodeJSON(t, rec.Value, schemas)
			if _, ok := v["ddl"]; ok {
				return nil
			}
			row, ok := v[image].(map[string]any)
			if !ok {
				return nil
			}
			out := map[string]*string{}
			for k, x := range row {
				out[k] = text(x)
			}
			// A consumer reads long-mode BIGINT UNSIGNED back as unsigned.
			if id := out["id"]; id != nil {
				if n, err := strconv.ParseInt(*id, 10, 64); err == nil {
					u := strconv.FormatUint(uint64(n), 10)
					out["id"] = &u
				}
			}
			return out
		},
	}
}

func TestEncoder_Conformance(t *testing.T) {
	t.Run("payload", func(t *testing.T) { codectest.Run(t, suite(false)) })
	t.Run("schemas", func(t *testing.T) { codectest.Run(t, suite(true)) })
}

func TestEncoder_Envelope(t *testing.T) {
	e := newEncoder(t, codec.Options{SourceName: "orders-db"})
	ch := codectest.Changes()
	for op, want := range map[string]string{"insert": "c", "update": "u", "delete": "d", "snapshot": "r"} {
		// source.server_id is the change's origin server (the binlog event
		// header's), 0 for a snapshot row as in Debezium; it was always
		// an unset option.
		serverID := "7"
		if op == "snapshot" {
			serverID = "0"
		} else {
			ch[op].ServerID = 7
		}
		rec := codectest.Encode(t, e, ch[op])
		v := decodeJSON(t, rec.Value, false)
		if v["op"] != want {
			t.Errorf("%s: op %v, want %s", op, v["op"], want)
		}
		src := v["source"].(map[string]any)
		snap := "false"
		if op == "snapshot" {
			snap = "true"
		}
		if src["snapshot"] != snap || src["connector"] != "mysql" || src["name"] != "orders-db" ||
			src["db"] != "shop" || src["table"] != "all_types" || *text(src["server_id"]) != serverID ||
			*text(src["ts_ms"]) != "1700000000000" || src["file"] != "mysql-bin.000003" {
			t.Errorf("%s: source %v", op, src)
		}
		if *text(v["ts_ms"]) != "1700000000123" {
			t.Errorf("%s: ts_ms %v", op, v["ts_ms"])
		}
		if k := decodeJSON(t, rec.Key, false); *text(k["id"]) != "-1" || len(k) != 1 { // BIGINT UNSIGNED max as Java's long
			t.Errorf("%s: key %v", op, k)
		}
	}
	ins := decodeJSON(t, codectest.Encode(t, e, ch["insert"]).Value, false)
	if src := ins["source"].(map[string]any); src["gtid"] != "0-1-42" || *text(src["pos"]) != "4567" || *text(src["row"]) != "1" { // the index in the rows event, not the transaction's 2
		t.Errorf("insert source position %v", src)
	}
	ddl := codectest.Encode(t, e, ch["ddl"])
	dv := decodeJSON(t, ddl.Value, false)
	if dv["ddl"] != ch["ddl"].SQL || dv["databaseName"] != "shop" || string(ddl.Key) != `{"databaseName":"shop"}` {
		t.Errorf("ddl: %s / %s", ddl.Key, ddl.Value)
	}
}

func TestEncoder_Tombstone(t *testing.T) {
	ch := codectest.Changes()
	off := newEncoder(t, codec.Options{})
	if ok, err := off.Tombstone(ch["delete"], &codec.Record{}); ok || err != nil {
		t.Fatalf("tombstone without the option: %v %v", ok, err)
	}
	on := newEncoder(t, codec.Options{Tombstones: true})
	del := codectest.Encode(t, on, ch["delete"])
	var ts codec.Record
	ok, err := on.Tombstone(ch["delete"], &ts)
	if !ok || err != nil || ts.Value != nil || !bytes.Equal(ts.Key, del.Key) || len(ts.Headers) == 0 {
		t.Fatalf("tombstone: ok %v err %v value %q key %q (delete key %q)", ok, err, ts.Value, ts.Key, del.Key)
	}
	if ok, _ := on.Tombstone(ch["insert"], &codec.Record{}); ok {
		t.Error("tombstone after an insert")
	}
}

// TestEncoder_ValueRendering pins each type's Debezium rendering
// (docs/types.md), computing expectations with the standard library.
func TestEncoder_ValueRendering(t *testing.T) {
	v := decodeJSON(t, codectest.Encode(t, newEncoder(t, codec.Options{}), codectest.Changes()["insert"]).Value, false)
	after := v["after"].(map[string]any)
	day := func(s string) string {
		d, _ := time.Parse("2006-01-02", s)
		return big.NewInt(d.Unix() / 86400).String()
	}
	micros := func(s string) string {
		d, _ := time.Parse("2006-01-02 15:04:05.999999", s)
		return big.NewInt(d.UnixMicro()).String()
	}
	millis := func(s string) string {
		d, _ := time.Parse("2006-01-02 15:04:05", s)
		return big.NewInt(d.UnixMilli()).String()
	}
	for col, want := range map[string]string{
		"id":          "-1", // BIGINT UNSIGNED max, long mode
		"c_tiny":      "-128",
		"c_big":       "-9223372036854775808",
		"c_float":     "0.1",
		"c_double":    "1.0E10",
		"c_bit1":      "true",
		"c_bit64":     base64.StdEncoding.EncodeToString([]byte{255, 255, 255, 255, 255, 255, 255, 255}),
		"c_date":      day("2024-02-29"),
		"c_time":      "-3020399000000",
		"c_time_long": "360001000000",
		"c_datetime":  millis("1999-12-31 23:59:59"),
		"c_datetime6": micros("2024-02-29 12:34:56.000789"),
		"c_ts3":       "2038-01-19T03:14:07.999Z",
		"c_year":      "2155",
		"c_varchar":   "héllo \"wörld\"\n😀",
		"c_latin1":    "café €",
		"c_varbinary": base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}),
		"c_binary":    base64.StdEncoding.EncodeToString([]byte("ab\x00\x00")),
		"c_text":      "long text\twith tab",
		"c_blob":      base64.StdEncoding.EncodeToString([]byte{0, 0xde, 0xad, 0xbe, 0xef}),
		"c_json":      `{"a": [1, 2.5, "x"], "b": null}`,
		"c_enum":      "large",
		"c_set":       "a,c",
		"c_point":     `{"srid":null,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","x":1.0,"y":2.0}`,
		"c_empty":     "",
	} {
		if got := text(after[col]); got == nil || *got != want {
			t.Errorf("%s = %v, want %s", col, after[col], want)
		}
	}
	if after["c_zero_dt"] != nil || after["c_null"] != nil {
		t.Errorf("zero date %v, null %v: want null", after["c_zero_dt"], after["c_null"])
	}
}

// refDecimal is the Connect Decimal encoding computed with math/big, the
// equivalent of Java's BigInteger.toByteArray.
func refDecimal(t *testing.T, s string, scale int) string {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", scale-len(frac))
	x, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		t.Fatalf("bad decimal %q", s)
	}
	if neg {
		x.Neg(x)
	}
	var b []byte
	if x.Sign() >= 0 {
		b = x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
	} else {
		for n := 1; ; n++ {
			mod := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
			y := new(big.Int).Add(mod, x)
			if y.Sign() >= 0 && y.Bit(8*n-1) == 1 {
				b = y.FillBytes(make([]byte, n))
				break
			}
		}
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestAppendDecimalBytes_MatchesBigInteger(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
	}{
		{"0", 0}, {"0.00", 2}, {"1", 0}, {"-1", 0}, {"127", 0}, {"128", 0}, {"-128", 0}, {"-129", 0},
		{"255", 0}, {"256", 0}, {"-256", 0}, {"1234.50", 2}, {"-1234.50", 2}, {"1234.5", 2},
		{"99999999999999999999999999999999999.999999999999999999999999999999", 30},
		{"-99999999999999999999999999999999999.999999999999999999999999999999", 30},
		{"-12345678901234567890123456789012345.123456789012345678901234567890", 30},
		{"0.000000000000000000000000000001", 30}, {"-0.5", 1}, {"32768", 0}, {"-32768", 0},
	} {
		got, ok := appendDecimalBytes(nil, tc.in, tc.scale)
		if !ok {
			t.Errorf("%s: rejected", tc.in)
			continue
		}
		want := `"` + refDecimal(t, tc.in, tc.scale) + `"`
		if string(got) != want {
			t.Errorf("decimal %s scale %d = %s, want %s", tc.in, tc.scale, got, want)
		}
	}
	if _, ok := appendDecimalBytes(nil, "1.234", 2); ok {
		t.Error("accepted more fraction digits than the scale")
	}
}

func TestEncoder_DecimalAndTimeModes(t *testing.T) {
	c := codectest.Changes()["insert"]
	str := decodeJSON(t, codectest.Encode(t, newEncoder(t, codec.Options{Decimal: codec.DecimalString}), c).Value, false)
	if got := str["after"].(map[string]any)["c_dec"]; got != "-12345678901234567890123456789012345.123456789012345678901234567890" {
		t.Errorf("string decimal = %v", got)
	}
	dbl := decodeJSON(t, codectest.Encode(t, newEncoder(t, codec.Options{Decimal: codec.DecimalDouble}), c).Value, false)
	if got := *text(dbl["after"].(map[string]any)["c_dec"]); got != "-1.234567890123457E34" {
		t.Errorf("double decimal = %v", got)
	}
	conn := decodeJSON(t, codectest.Encode(t, newEncoder(t, codec.Options{Time: codec.TimeConnect}), c).Value, false)
	a := conn["after"].(map[string]any)
	if a["c_time"] != nil || *text(a["c_datetime6"]) != "1709210096000" {
		t.Errorf("connect mode: time %v (want null: -838:59:59 is no time of day) datetime6 %v", a["c_time"], a["c_datetime6"])
	}
	if _, err := New(codec.Options{Decimal: "float"}); err == nil {
		t.Error("accepted an unknown decimal mode")
	}
	if _, err := New(codec.Options{Time: "nanos"}); err == nil {
		t.Error("accepted an unknown time mode")
	}
}

func TestEncoder_SchemaPart(t *testing.T) {
	e := newEncoder(t, codec.Options{SchemasEnable: true, SourceName: "srv"})
	rec := codectest.Encode(t, e, codectest.Changes()["update"])
	var v struct {
		Schema struct {
			Name   string `json:"name"`
			Fields []struct {
				Field  string `json:"field"`
				Name   string `json:"name"`
				Fields []struct {
					Field      string            `json:"field"`
					Type       string            `json:"type"`
					Name       string            `json:"name"`
					Optional   bool              `json:"optional"`
					Parameters map[string]string `json:"parameters"`
				} `json:"fields"`
			} `json:"fields"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		t.Fatal(err)
	}
	if v.Schema.Name != "srv.shop.all_types.Envelope" || len(v.Schema.Fields) != 6 || v.Schema.Fields[0].Name != "srv.shop.all_types.Value" {
		t.Fatalf("envelope schema %+v", v.Schema)
	}
	types := map[string]string{}
	for _, f := range v.Schema.Fields[1].Fields {
		types[f.Field] = f.Type + "/" + f.Name
		if f.Field == "c_dec" && (f.Parameters["scale"] != "30" || f.Parameters["connect.decimal.precision"] != "65") {
			t.Errorf("c_dec parameters %v", f.Parameters)
		}
		if f.Field == "id" && f.Optional {
			t.Error("id is NOT NULL but optional")
		}
	}
	for col, want := range map[string]string{
		"c_tiny": "int16/", "c_int_u": "int64/", "c_dec": "bytes/org.apache.kafka.connect.data.Decimal",
		"c_float": "float/", "c_bit1": "boolean/", "c_bit64": "bytes/io.debezium.data.Bits",
		"c_date": "int32/io.debezium.time.Date", "c_time": "int64/io.debezium.time.MicroTime",
		"c_datetime": "int64/io.debezium.time.Timestamp", "c_datetime6": "int64/io.debezium.time.MicroTimestamp",
		"c_ts3": "string/io.debezium.time.ZonedTimestamp", "c_year": "int32/io.debezium.time.Year",
		"c_json": "string/io.debezium.data.Json", "c_enum": "string/io.debezium.data.Enum",
		"c_set": "string/io.debezium.data.EnumSet", "c_blob": "bytes/", "c_point": "struct/io.debezium.data.geometry.Point",
	} {
		if types[col] != want {
			t.Errorf("%s schema %q, want %q", col, types[col], want)
		}
	}
	var k struct {
		Schema struct {
			Name string `json:"name"`
		} `json:"schema"`
		Payload map[string]json.Number `json:"payload"`
	}
	if err := json.Unmarshal(rec.Key, &k); err != nil || k.Schema.Name != "srv.shop.all_types.Key" || k.Payload["id"] != "-1" {
		t.Errorf("key %s: %v", rec.Key, err)
	}
}

func TestEncoder_KeylessTable(t *testing.T) {
	tbl := codectest.BenchTable()
	tbl.PrimaryKey = nil
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: codectest.BenchRow(), Pos: codectest.Pos}
	if rec := codectest.Encode(t, newEncoder(t, codec.Options{}), c); rec.Key != nil {
		t.Errorf("keyless table key = %q, want nil", rec.Key)
	}
}

func TestEncoder_Golden(t *testing.T) {
	for name, opts := range map[string]codec.Options{"payload": {}, "schemas": {SchemasEnable: true}} {
		e := newEncoder(t, opts)
		for _, op := range codectest.Ops {
			rec := codectest.Encode(t, e, codectest.Changes()[op])
			got := append(append(append([]byte(nil), rec.Key...), '\n'), rec.Value...)
			codectest.Golden(t, "debezium_"+name+"_"+op+".golden", append(got, '\n'))
		}
	}
}

func BenchmarkEncode_DebeziumJSON(b *testing.B) {
	for _, name := range []string{"payload", "schemas"} {
		b.Run(name, func(b *testing.B) {
			codectest.Bench(b, func() codec.Encoder { return newEncoder(b, codec.Options{SchemasEnable: name == "schemas"}) })
		})
	}
}

// TestEncoder_SchemasReadByJsonConverter pins that every record with
// schemas on fits its schema as JsonConverter reads it, and that DDL records
// carry the schema-change topic's schemas (they were written without the
// schema/payload wrapper; BIGINT UNSIGNED max did not fit its int64 schema).
func TestEncoder_SchemasReadByJsonConverter(t *testing.T) {
	for _, opts := range []codec.Options{
		{SchemasEnable: true},
		{SchemasEnable: true, BigIntUnsigned: codec.BigIntPrecise, Decimal: codec.DecimalString},
		{SchemasEnable: true, Time: codec.TimeConnect, Decimal: codec.DecimalDouble},
	} {
		e := newEncoder(t, opts)
		for _, op := range codectest.Ops {
			rec := codectest.Encode(t, e, codectest.Changes()[op])
			ks, vs := connectRead(t, rec.Key), connectRead(t, rec.Value)
			if (op == "ddl" || op == "ddl_db") && (ks["name"] != "io.debezium.connector.mysql.SchemaChangeKey" ||
				vs["name"] != "io.debezium.connector.mysql.SchemaChangeValue") {
				t.Errorf("%s: key schema %v, value schema %v", op, ks["name"], vs["name"])
			}
		}
	}
}

// TestEncoder_ConnectTime_OutsideADay pins connect mode's TIME: Connect's
// Time holds a time of day, so Debezium writes null for a nullable column's
// value outside 00:00:00..24:00:00 and stops on a NOT NULL one (Sluice wrote
// 100:00:01 as 360001000, and 838:59:59 past int32).
func TestEncoder_ConnectTime_OutsideADay(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "times", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
		{Name: "t", Type: change.TypeTime2, ColumnType: "time(3)", Scale: 3, Nullable: true},
		{Name: "t_nn", Type: change.TypeTime2, ColumnType: "time", Nullable: false},
	}}
	e := newEncoder(t, codec.Options{Time: codec.TimeConnect, SchemasEnable: true})
	for _, tc := range []struct {
		in   string
		want string // "" means null
	}{
		{"00:00:00.000", "0"},
		{"12:34:56.789", "45296789"},
		{"24:00:00.000", "86400000"},
		{"24:00:00.001", ""},
		{"100:00:01.000", ""},
		{"838:59:59.000", ""},
		{"-00:00:01.000", ""},
		{"-838:59:59.000", ""},
	} {
		c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), tc.in, "00:00:00"}, Pos: codectest.Pos}
		rec := codectest.Encode(t, e, c)
		connectRead(t, rec.Value)
		got := decodeJSON(t, rec.Value, true)["after"].(map[string]any)["t"]
		if (tc.want == "" && got != nil) || (tc.want != "" && (got == nil || *text(got) != tc.want)) {
			t.Errorf("TIME %s = %v, want %q (empty: null)", tc.in, got, tc.want)
		}
	}
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), nil, "100:00:01"}, Pos: codectest.Pos}
	err := e.Encode(c, &codec.Record{})
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "adaptive_time_microseconds") {
		t.Errorf("NOT NULL TIME 100:00:01 in connect mode: err = %v, want a terminal error naming the fix", err)
	}
}

// TestEncoder_Geometry pins spatial values as Debezium writes them: a POINT
// column is io.debezium.data.geometry.Point {x, y, wkb, srid}, any other
// spatial column Geometry {wkb, srid}, and SRID 0 is null (POINT columns were
// a Geometry with srid 0).
func TestEncoder_Geometry(t *testing.T) {
	le := func(srid uint32, wkb ...byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, srid), wkb...)
	}
	pointLE := []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}                                                                   // POINT(1 2)
	pointBE := []byte{0, 0, 0, 0, 1, 0xc0, 0x04, 0, 0, 0, 0, 0, 0, 0x40, 0x59, 0, 0, 0, 0, 0, 0}                                                                // POINT(-2.5 100)
	line := []byte{1, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f} // LINESTRING(0 0,1 1)
	tbl := &change.Table{Schema: "shop", Name: "geo", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
		{Name: "p", Type: change.TypeGeometry, ColumnType: "point", Charset: "binary"},
		{Name: "g", Type: change.TypeGeometry, ColumnType: "linestring", Charset: "binary", Nullable: true},
	}}
	e := newEncoder(t, codec.Options{SchemasEnable: true})
	for _, tc := range []struct {
		p, g         []byte
		wantP, wantG string
	}{
		{le(0, pointLE...), le(0, line...),
			`{"srid":null,"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","x":1.0,"y":2.0}`,
			`{"srid":null,"wkb":"` + base64.StdEncoding.EncodeToString(line) + `"}`},
		{le(4326, pointBE...), le(3857, line...),
			`{"srid":4326,"wkb":"` + base64.StdEncoding.EncodeToString(pointBE) + `","x":-2.5,"y":100.0}`,
			`{"srid":3857,"wkb":"` + base64.StdEncoding.EncodeToString(line) + `"}`},
	} {
		c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), tc.p, tc.g}, Pos: codectest.Pos}
		rec := codectest.Encode(t, e, c)
		vs := connectRead(t, rec.Value)
		after := decodeJSON(t, rec.Value, true)["after"].(map[string]any)
		if got := *text(after["p"]); got != tc.wantP {
			t.Errorf("POINT = %s, want %s", got, tc.wantP)
		}
		if got := *text(after["g"]); got != tc.wantG {
			t.Errorf("LINESTRING = %s, want %s", got, tc.wantG)
		}
		row := vs["fields"].([]any)[1].(map[string]any)["fields"].([]any)
		if p, g := row[1].(map[string]any), row[2].(map[string]any); p["name"] != "io.debezium.data.geometry.Point" || p["optional"] != false ||
			g["name"] != "io.debezium.data.geometry.Geometry" || g["optional"] != true {
			t.Errorf("schemas: point %v %v, geometry %v %v", p["name"], p["optional"], g["name"], g["optional"])
		}
	}
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), le(0, line...), nil}, Pos: codectest.Pos}
	if err := e.Encode(c, &codec.Record{}); err == nil || !errkind.IsTerminal(err) {
		t.Errorf("a LINESTRING in a POINT column: err = %v, want terminal", err)
	}
}

// TestEncoder_FloatWithScale_IsDouble pins Debezium's FLOAT typing: float
// for FLOAT and FLOAT(p), double for FLOAT(M,D) with the float widened
// (Float.doubleValue), as BinlogValueConverters does (it was float).
func TestEncoder_FloatWithScale_IsDouble(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "floats", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
		{Name: "f", Type: change.TypeFloat, ColumnType: "float", Nullable: true},
		{Name: "f73", Type: change.TypeFloat, ColumnType: "float(7,3)", Nullable: true},
		{Name: "f73u", Type: change.TypeFloat, ColumnType: "float(7,3) unsigned", Nullable: true},
	}}
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), float32(1.234), float32(1.234), float32(0.5)}, Pos: codectest.Pos}
	rec := codectest.Encode(t, newEncoder(t, codec.Options{SchemasEnable: true}), c)
	vs := connectRead(t, rec.Value)
	after := decodeJSON(t, rec.Value, true)["after"].(map[string]any)
	row := vs["fields"].([]any)[1].(map[string]any)["fields"].([]any)
	for i, tc := range []struct{ col, typ, val string }{
		{"f", "float", "1.234"},
		{"f73", "double", "1.2339999675750732"},
		{"f73u", "double", "0.5"},
	} {
		if typ := row[i+1].(map[string]any)["type"]; typ != tc.typ || *text(after[tc.col]) != tc.val {
			t.Errorf("%s: %v %v, want %s %s", tc.col, typ, after[tc.col], tc.typ, tc.val)
		}
	}
}

// TestEncoder_BigIntUnsigned_Modes pins bigint.unsigned.handling.mode: long
// (Debezium's default) writes the value as Java's long, wrapping past 2^63-1,
// in an int64 schema; precise writes Connect Decimal(20,0). Sluice wrote the
// exact number in an int64 schema, which JsonConverter cannot read.
func TestEncoder_BigIntUnsigned_Modes(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "u", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLongLong, ColumnType: "bigint(20) unsigned", Unsigned: true},
		{Name: "i", Type: change.TypeLong, ColumnType: "int(10) unsigned", Unsigned: true, Nullable: true},
	}}
	for _, tc := range []struct {
		mode      codec.BigIntUnsignedMode
		in        uint64
		want, typ string
	}{
		{"", 18446744073709551615, "-1", "int64"},
		{codec.BigIntLong, 9223372036854775808, "-9223372036854775808", "int64"},
		{codec.BigIntLong, 9223372036854775807, "9223372036854775807", "int64"},
		{codec.BigIntPrecise, 18446744073709551615, base64.StdEncoding.EncodeToString([]byte{0, 255, 255, 255, 255, 255, 255, 255, 255}), "bytes"},
		{codec.BigIntPrecise, 1, "AQ==", "bytes"},
		{codec.BigIntPrecise, 0, "AA==", "bytes"},
	} {
		e := newEncoder(t, codec.Options{BigIntUnsigned: tc.mode, SchemasEnable: true})
		c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{tc.in, uint32(4294967295)}, Pos: codectest.Pos}
		rec := codectest.Encode(t, e, c)
		ks := connectRead(t, rec.Key)
		vs := connectRead(t, rec.Value)
		key := decodeJSON(t, rec.Key, true)
		after := decodeJSON(t, rec.Value, true)["after"].(map[string]any)
		field := vs["fields"].([]any)[1].(map[string]any)["fields"].([]any)[0].(map[string]any)
		if *text(key["id"]) != tc.want || *text(after["id"]) != tc.want || field["type"] != tc.typ ||
			ks["fields"].([]any)[0].(map[string]any)["type"] != tc.typ {
			t.Errorf("%q %d: key %v after %v schema %v, want %s %s", tc.mode, tc.in, key["id"], after["id"], field["type"], tc.want, tc.typ)
		}
		if tc.typ == "bytes" {
			if p := field["parameters"].(map[string]any); field["name"] != "org.apache.kafka.connect.data.Decimal" || p["scale"] != "0" || p["connect.decimal.precision"] != "20" {
				t.Errorf("precise schema %v", field)
			}
		}
		if *text(after["i"]) != "4294967295" {
			t.Errorf("INT UNSIGNED = %v, want 4294967295 (int64, never wrapped)", after["i"])
		}
	}
	if _, err := New(codec.Options{BigIntUnsigned: "string"}); err == nil {
		t.Error("accepted an unknown bigint unsigned mode")
	}
}

// TestEncoder_ZeroDates_NotNullIsEpoch pins zero dates as Debezium writes
// them: null in a nullable column, the epoch in a NOT NULL one, keys
// included (Sluice wrote null everywhere, which a required field cannot be).
func TestEncoder_ZeroDates_NotNullIsEpoch(t *testing.T) {
	for _, mode := range []codec.TimeMode{codec.TimeAdaptiveMicros, codec.TimeConnect} {
		e := newEncoder(t, codec.Options{SchemasEnable: true, Time: mode})
		rec := codectest.Encode(t, e, codectest.ZeroDates())
		connectRead(t, rec.Key)
		connectRead(t, rec.Value)
		key := decodeJSON(t, rec.Key, true)
		after := decodeJSON(t, rec.Value, true)["after"].(map[string]any)
		if *text(key["k"]) != "0" {
			t.Errorf("%s: key = %v, want the epoch 0", mode, key["k"])
		}
		for col, want := range map[string]string{"k": "0", "d": "0", "dt6": "0", "ts": "1970-01-01T00:00:00Z"} {
			if got := after[col]; got == nil || *text(got) != want {
				t.Errorf("%s: NOT NULL %s = %v, want %s", mode, col, got, want)
			}
		}
		for _, col := range []string{"d_null", "dt_null", "ts_null"} {
			if after[col] != nil {
				t.Errorf("%s: nullable %s = %v, want null", mode, col, after[col])
			}
		}
	}
}

// TestEncoder_SchemaSyncDDLIsASnapshotRecord pins the schema-sync bug: the
// snapshot's CREATE statements had snapshot "false", ts_ms 0 and an empty
// position; Debezium's snapshot schema changes say "true" and carry the
// snapshot's position and time.
func TestEncoder_SchemaSyncDDLIsASnapshotRecord(t *testing.T) {
	e := newEncoder(t, codec.Options{})
	c := *codectest.Changes()["ddl"]
	c.SchemaSync, c.ServerID = true, 0
	c.Pos = change.Position{File: "mysql-bin.000007", Pos: 1234}
	src := decodeJSON(t, codectest.Encode(t, e, &c).Value, false)["source"].(map[string]any)
	if src["snapshot"] != "true" || src["file"] != "mysql-bin.000007" || *text(src["pos"]) != "1234" || *text(src["ts_ms"]) != "1700000000000" {
		t.Errorf("schema-sync DDL source = %v", src)
	}
	bin := decodeJSON(t, codectest.Encode(t, e, codectest.Changes()["ddl"]).Value, false)["source"].(map[string]any)
	if bin["snapshot"] != "false" {
		t.Errorf("binlog DDL source.snapshot = %v, want false", bin["snapshot"])
	}
}

// TestEncoder_Tombstone_NoAllocation pins a per-row allocation: a tombstone's
// null value made the position headers a new buffer each time, which the
// next record then grew again.
func TestEncoder_Tombstone_NoAllocation(t *testing.T) {
	e := newEncoder(t, codec.Options{Tombstones: true})
	del := codectest.Changes()["delete"]
	var rec codec.Record
	run := func() {
		rec.Reset()
		if err := e.Encode(del, &rec); err != nil {
			t.Fatal(err)
		}
		rec.Reset()
		if ok, err := e.Tombstone(del, &rec); !ok || err != nil || rec.Value != nil || len(rec.Headers) != 4 {
			t.Fatalf("tombstone: %v %v, value %q, %d headers", ok, err, rec.Value, len(rec.Headers))
		}
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Errorf("%v allocations per delete and tombstone, want 0", n)
	}
}

// TestEncoder_KeyChangeHeaders pins a missing Debezium header: the halves of
// a key-changing update carry the other key, __debezium.newkey on the delete
// and its tombstone and __debezium.oldkey on the create, as the key struct
// without a schema, whether or not the records carry schemas.
func TestEncoder_KeyChangeHeaders(t *testing.T) {
	upd := *codectest.Changes()["update"]
	upd.After = append([]any(nil), upd.After...)
	upd.After[0] = uint64(7)
	del, ins := upd.SplitKeyChange()
	header := func(rec *codec.Record, key string) (string, int) {
		var v string
		n := 0
		for _, h := range rec.Headers {
			if h.Key == key {
				v, n = string(h.Value), n+1
			}
		}
		return v, n
	}
	for _, schemas := range []bool{false, true} {
		e := newEncoder(t, codec.Options{Tombstones: true, SchemasEnable: schemas})
		d := codectest.Encode(t, e, &del)
		var ts codec.Record
		if ok, err := e.Tombstone(&del, &ts); !ok || err != nil {
			t.Fatalf("tombstone: %v %v", ok, err)
		}
		c := codectest.Encode(t, e, &ins)
		if k := decodeJSON(t, d.Key, schemas); *text(k["id"]) != "-1" {
			t.Errorf("schemas %v: delete key %s, want the old key", schemas, d.Key)
		}
		if k := decodeJSON(t, c.Key, schemas); *text(k["id"]) != "7" {
			t.Errorf("schemas %v: create key %s, want the new key", schemas, c.Key)
		}
		for _, tc := range []struct {
			name      string
			rec       *codec.Record
			key, want string
			absent    string
		}{
			{"delete", d, HeaderNewKey, `{"id":7}`, HeaderOldKey},
			{"tombstone", &ts, HeaderNewKey, `{"id":7}`, HeaderOldKey},
			{"create", c, HeaderOldKey, `{"id":-1}`, HeaderNewKey},
		} {
			if v, n := header(tc.rec, tc.key); n != 1 || v != tc.want {
				t.Errorf("schemas %v: %s: %d %s headers %q, want one %s", schemas, tc.name, n, tc.key, v, tc.want)
			}
			if _, n := header(tc.rec, tc.absent); n != 0 {
				t.Errorf("schemas %v: %s carries %s", schemas, tc.name, tc.absent)
			}
			if _, n := header(tc.rec, codec.HeaderPos); n != 1 {
				t.Errorf("schemas %v: %s lost its position headers", schemas, tc.name)
			}
		}
	}
	// An ordinary delete or insert carries neither.
	e := newEncoder(t, codec.Options{})
	for _, op := range []string{"delete", "insert", "update"} {
		r := codectest.Encode(t, e, codectest.Changes()[op])
		if _, n := header(r, HeaderNewKey); n != 0 {
			t.Errorf("%s carries %s", op, HeaderNewKey)
		}
		if _, n := header(r, HeaderOldKey); n != 0 {
			t.Errorf("%s carries %s", op, HeaderOldKey)
		}
	}
}

// TestEncoder_MariaDBConnector pins source.connector for a MariaDB source:
// Debezium 3.x's MariaDB connector writes "mariadb" and names its schemas
// io.debezium.connector.mariadb.*; Sluice wrote "mysql" whatever the source.
func TestEncoder_MariaDBConnector(t *testing.T) {
	for _, tc := range []struct{ flavor, want string }{{"", "mysql"}, {"mysql", "mysql"}, {"mariadb", "mariadb"}} {
		e := newEncoder(t, codec.Options{SourceFlavor: tc.flavor, SchemasEnable: true})
		for _, op := range []string{"insert", "ddl"} {
			rec := codectest.Encode(t, e, codectest.Changes()[op])
			var v struct {
				Schema  json.RawMessage `json:"schema"`
				Payload struct {
					Source struct {
						Connector string `json:"connector"`
					} `json:"source"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(rec.Value, &v); err != nil {
				t.Fatal(err)
			}
			if v.Payload.Source.Connector != tc.want {
				t.Errorf("flavor %q %s: source.connector %q, want %q", tc.flavor, op, v.Payload.Source.Connector, tc.want)
			}
			name := `"io.debezium.connector.` + tc.want + `.Source"`
			if !bytes.Contains(v.Schema, []byte(name)) {
				t.Errorf("flavor %q %s: the source schema is not named %s", tc.flavor, op, name)
			}
			if op == "ddl" {
				for _, n := range []string{"SchemaChangeValue"} {
					if !bytes.Contains(v.Schema, []byte(`"io.debezium.connector.`+tc.want+`.`+n+`"`)) {
						t.Errorf("flavor %q: DDL value schema not named for %s", tc.flavor, tc.want)
					}
				}
				if !bytes.Contains(rec.Key, []byte(`"io.debezium.connector.`+tc.want+`.SchemaChangeKey"`)) {
					t.Errorf("flavor %q: DDL key schema %s", tc.flavor, rec.Key)
				}
			}
		}
	}
}
