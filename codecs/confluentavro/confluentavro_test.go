package confluentavro_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/codecs/confluentavro"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// bed is a fake registry, the encoder's client and an independent reader
// (its own client, so schemas are fetched from the registry by id).
type bed struct {
	srv    *registrytest.Server
	reader *registry.Client
	codecs map[int32]*goavro.Codec
}

func newBed(t *testing.T) *bed {
	t.Helper()
	srv := registrytest.New(t)
	r, err := registry.New(registry.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return &bed{srv: srv, reader: r, codecs: map[int32]*goavro.Codec{}}
}

func (b *bed) encoder(t *testing.T, mod func(*codec.Options)) *confluentavro.Encoder {
	t.Helper()
	cl, err := registry.New(registry.Config{URL: b.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	opts := codec.Options{Now: codectest.Now, Registry: cl, SourceName: "shop-src"}
	if mod != nil {
		mod(&opts)
	}
	e, err := confluentavro.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// decode reads one Confluent-framed datum with goavro and the schema the
// registry holds for its id.
func (b *bed) decode(t *testing.T, data []byte) (map[string]any, int32) {
	t.Helper()
	id, body, err := registry.ParseHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := b.codecs[id]
	if !ok {
		schema, err := b.reader.Schema(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c, err = goavro.NewCodec(schema); err != nil {
			t.Fatalf("goavro cannot parse schema %d: %v\n%s", id, err, schema)
		}
		b.codecs[id] = c
	}
	native, rest, err := c.NativeFromBinary(body)
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	if len(rest) != 0 {
		t.Fatalf("goavro left %d bytes", len(rest))
	}
	return native.(map[string]any), id
}

// unwrap takes the value out of goavro's union form {"type": value}.
func unwrap(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// image returns the before/after row of a decoded envelope, nil when null.
func image(env map[string]any, name string) map[string]any {
	v := unwrap(env[name])
	if v == nil {
		return nil
	}
	return v.(map[string]any)
}

func text(v any) *string {
	v = unwrap(v)
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case *big.Rat:
		if x.IsInt() {
			s = x.FloatString(0)
		} else {
			s = x.RatString()
		}
	default:
		s = fmt.Sprint(x)
	}
	return &s
}

func TestEncoder_Conformance(t *testing.T) {
	b := newBed(t)
	codectest.Run(t, codectest.Suite{
		New:   func(t *testing.T) codec.Encoder { return b.encoder(t, nil) },
		Keyed: true,
		Row: func(t *testing.T, rec *codec.Record, name string) map[string]*string {
			env, _ := b.decode(t, rec.Value)
			if _, ok := env["ddl"]; ok {
				return nil
			}
			row := image(env, name)
			if row == nil {
				return nil
			}
			out := map[string]*string{}
			for k, v := range row {
				out[k] = text(v)
			}
			return out
		},
	})
}

func TestEncoder_EveryType_DecodedByGoavro(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	rec := codectest.Encode(t, e, codectest.Changes()["insert"])
	env, _ := b.decode(t, rec.Value)
	if env["before"] != nil || env["op"] != "c" || unwrap(env["ts_ms"]) != codectest.Now().UnixMilli() {
		t.Errorf("envelope: before %v op %v ts_ms %v", env["before"], env["op"], env["ts_ms"])
	}
	row := image(env, "after")
	utc := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	dec, _ := new(big.Rat).SetString("-12345678901234567890123456789012345.123456789012345678901234567890")
	maxU, _ := new(big.Rat).SetString("18446744073709551615")
	want := map[string]any{
		"id":          maxU,
		"c_tiny":      int32(-128),
		"c_tiny_u":    int32(255),
		"c_small":     int32(-32768),
		"c_medium":    int32(-8388608),
		"c_medium_u":  int32(16777215),
		"c_int":       int32(-2147483648),
		"c_int_u":     int64(4294967295),
		"c_big":       int64(-9223372036854775808),
		"c_dec":       dec,
		"c_float":     float32(0.1),
		"c_double":    float64(1e10),
		"c_bit1":      true,
		"c_bit64":     []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"c_date":      utc(2024, 2, 29, 0, 0, 0, 0),
		"c_time":      int64(-(838*3600 + 59*60 + 59) * 1_000_000),
		"c_time_long": int64((100*3600 + 1) * 1_000_000),
		"c_datetime":  utc(1999, 12, 31, 23, 59, 59, 0).UnixMilli(),
		"c_datetime6": utc(2024, 2, 29, 12, 34, 56, 789).UnixMicro(),
		"c_ts3":       "2038-01-19T03:14:07.999Z",
		"c_year":      int32(2155),
		"c_varchar":   "héllo \"wörld\"\n😀",
		"c_latin1":    "café €",
		"c_varbinary": []byte{0, 1, 0xff},
		"c_binary":    []byte("ab\x00\x00"),
		"c_char":      "",
		"c_text":      "long text\twith tab",
		"c_blob":      []byte{0x00, 0xde, 0xad, 0xbe, 0xef},
		"c_longtext":  "LONGTEXT ✓",
		"c_json":      `{"a": [1, 2.5, "x"], "b": null}`,
		"c_enum":      "large",
		"c_set":       "a,c",
		"c_point": map[string]any{
			"wkb":  []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40},
			"srid": map[string]any{"int": int32(0)},
		},
		"c_null":    nil,
		"c_zero_dt": nil,
		"c_empty":   "",
	}
	if len(row) != len(want) {
		t.Errorf("row has %d fields, want %d", len(row), len(want))
	}
	for name, w := range want {
		got, ok := row[name]
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		got = unwrap(got)
		if wr, ok := w.(*big.Rat); ok {
			if gr, ok := got.(*big.Rat); !ok || gr.Cmp(wr) != 0 {
				t.Errorf("%s = %v, want %v", name, got, wr.FloatString(30))
			}
			continue
		}
		if wt, ok := w.(time.Time); ok {
			if gt, ok := got.(time.Time); !ok || !gt.Equal(wt) {
				t.Errorf("%s = %v, want %v", name, got, wt)
			}
			continue
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", name, got, w)
		}
	}
	src := env["source"].(map[string]any)
	for k, w := range map[string]any{
		"version": confluentavro.ConnectorVersion, "connector": "mysql", "name": "shop-src", "ts_ms": int64(1_700_000_000_000),
		"db": "shop", "server_id": int64(1), "file": "mysql-bin.000003", "pos": int64(4567), "row": int32(1), // the index in the rows event
	} {
		if !reflect.DeepEqual(src[k], w) {
			t.Errorf("source.%s = %#v, want %#v", k, src[k], w)
		}
	}
	for k, w := range map[string]any{"snapshot": "false", "table": "all_types", "gtid": "0-1-42"} {
		if got := unwrap(src[k]); got != w {
			t.Errorf("source.%s = %#v, want %q", k, src[k], w)
		}
	}
	// The key: the primary key column alone, not a union (NOT NULL).
	key, _ := b.decode(t, rec.Key)
	if k, ok := key["id"].(*big.Rat); !ok || k.Cmp(maxU) != 0 || len(key) != 1 {
		t.Errorf("key = %v", key)
	}
}

func TestEncoder_Subjects_And_WireFormat(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	c := codectest.Changes()["insert"]
	c.Topic = "orders"
	rec := codectest.Encode(t, e, c)
	keyIDs, valIDs := b.srv.Versions("orders-key"), b.srv.Versions("orders-value")
	if len(keyIDs) != 1 || len(valIDs) != 1 {
		t.Fatalf("subjects: key %v value %v, want one version each", keyIDs, valIDs)
	}
	if rec.Value[0] != 0 || rec.Key[0] != 0 {
		t.Fatalf("magic bytes: key %d value %d", rec.Key[0], rec.Value[0])
	}
	if id, _, _ := registry.ParseHeader(rec.Value); id != valIDs[0] {
		t.Errorf("value schema id %d, registered %d", id, valIDs[0])
	}
	if id, _, _ := registry.ParseHeader(rec.Key); id != keyIDs[0] {
		t.Errorf("key schema id %d, registered %d", id, keyIDs[0])
	}
	schema, _ := b.srv.SchemaByID(valIDs[0])
	for _, want := range []string{`"name":"Envelope","namespace":"shop_src.shop.all_types"`, `"connect.name":"io.debezium.time.MicroTimestamp"`,
		`"logicalType":"decimal","precision":65,"scale":30`, `"name":"c_null","type":["null","int"],"default":null`} {
		if !strings.Contains(schema, want) {
			t.Errorf("value schema lacks %s", want)
		}
	}
	// Later records of the table version make no request.
	n := b.srv.Requests()
	for range 5 {
		rec.Reset()
		if err := e.Encode(c, rec); err != nil {
			t.Fatal(err)
		}
	}
	if b.srv.Requests() != n {
		t.Errorf("%d registry requests for records of a registered table version", b.srv.Requests()-n)
	}
	// Another topic: its own subjects.
	c2 := codectest.Changes()["insert"]
	c2.Topic = "orders2"
	codectest.Encode(t, e, c2)
	if len(b.srv.Versions("orders2-value")) != 1 {
		t.Error("second topic's value subject not registered")
	}
}

func TestEncoder_Keyless_NullKey(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	c := codectest.Changes()["insert"]
	tbl := *c.Table
	tbl.PrimaryKey, tbl.UniqueKeys = nil, nil
	c.Table, c.Topic = &tbl, "nokey"
	rec := codectest.Encode(t, e, c)
	if rec.Key != nil {
		t.Errorf("keyless table: key %x, want nil", rec.Key)
	}
	if len(b.srv.Versions("nokey-key")) != 0 {
		t.Error("keyless table registered a key schema")
	}
	// A nullable unique key: a union field.
	tbl2 := *c.Table
	tbl2.UniqueKeys = []change.Key{{Name: "uk", Columns: []int{33}}}
	c.Table, c.Topic = &tbl2, "uk"
	rec = codectest.Encode(t, e, c)
	key, _ := b.decode(t, rec.Key)
	if v, ok := key["c_null"]; !ok || v != nil {
		t.Errorf("nullable unique key: key = %v", key)
	}
}

func TestEncoder_SchemaEvolution(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	c := codectest.Changes()["insert"]
	c.Topic = "evo"
	rec := codectest.Encode(t, e, c)
	v1, _, _ := registry.ParseHeader(rec.Value)

	// ALTER TABLE ADD COLUMN c_new INT NOT NULL: a new table version.
	t2 := *c.Table
	t2.Columns = append(append([]change.Column(nil), t2.Columns...), change.Column{Name: "c_new", Type: change.TypeLong, ColumnType: "int(11)"})
	c2 := codectest.Changes()["insert"]
	c2.Table, c2.Topic = &t2, "evo"
	c2.After = append(c2.After, int32(5))
	rec2 := codectest.Encode(t, e, c2)
	v2, _, _ := registry.ParseHeader(rec2.Value)
	if v2 == v1 {
		t.Fatal("a new column did not register a new schema version")
	}
	if vs := b.srv.Versions("evo-value"); len(vs) != 2 {
		t.Errorf("evo-value versions = %v, want 2", vs)
	}
	if vs := b.srv.Versions("evo-key"); len(vs) != 1 {
		t.Errorf("evo-key versions = %v, want 1 (the key did not change)", vs)
	}
	env, _ := b.decode(t, rec2.Value)
	if got := unwrap(image(env, "after")["c_new"]); got != int32(5) {
		t.Errorf("c_new = %v", got)
	}
	// The old version's records still decode (with their own schema id).
	if env, _ := b.decode(t, rec.Value); image(env, "after")["c_new"] != nil {
		t.Error("old record has c_new")
	}

	// The same definition again (a DDL that did not change columns): same id,
	// no new version.
	t3 := t2
	c3 := *c2
	c3.Table = &t3
	rec3 := codectest.Encode(t, e, &c3)
	if v3, _, _ := registry.ParseHeader(rec3.Value); v3 != v2 {
		t.Errorf("unchanged definition got schema id %d, want %d", v3, v2)
	}

	// An incompatible change (a column's type int → varchar): terminal, with
	// the subject and what to do.
	t4 := t2
	t4.Columns = append([]change.Column(nil), t2.Columns...)
	t4.Columns[len(t4.Columns)-1] = change.Column{Name: "c_new", Type: change.TypeVarchar, ColumnType: "varchar(8)", Charset: "utf8mb4"}
	c4 := *c2
	c4.Table = &t4
	c4.After = append(codectest.TypesRow(), "x")
	err := e.Encode(&c4, &codec.Record{})
	if err == nil || !errkind.IsTerminal(err) || !registry.Incompatible(err) {
		t.Fatalf("incompatible change: err = %v, want terminal incompatible", err)
	}
	for _, want := range []string{"shop.all_types", "evo-value", "compatibility"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestEncoder_RegistryDown_Retryable(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	c := codectest.Changes()["insert"]
	b.srv.FailNext(http.StatusServiceUnavailable)
	err := e.Encode(c, &codec.Record{})
	if err == nil || errkind.IsTerminal(err) {
		t.Fatalf("registry answering 503: err = %v, want retryable", err)
	}
	if !strings.Contains(err.Error(), "shop.all_types") || !strings.Contains(err.Error(), "mysql-bin.000003:4567") {
		t.Errorf("error does not say where: %v", err)
	}
	// The next try registers and encodes.
	rec := codectest.Encode(t, e, c)
	if env, _ := b.decode(t, rec.Value); env["op"] != "c" {
		t.Errorf("after recovery: %v", env)
	}
}

func TestEncoder_DDL(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	for _, op := range []string{"ddl", "ddl_db"} {
		c := codectest.Changes()[op]
		rec := codectest.Encode(t, e, c)
		env, _ := b.decode(t, rec.Value)
		if env["ddl"] != c.SQL || env["databaseName"] != "shop" || env["schemaName"] != nil {
			t.Errorf("%s: value %v", op, env)
		}
		src := env["source"].(map[string]any)
		wantTable := any(nil)
		if c.Table != nil {
			wantTable = "all_types"
		}
		if unwrap(src["table"]) != wantTable || src["db"] != "shop" {
			t.Errorf("%s: source %v", op, src)
		}
		key, _ := b.decode(t, rec.Key)
		if key["databaseName"] != "shop" {
			t.Errorf("%s: key %v", op, key)
		}
	}
	// DDL and rows share the topic: the DDL subjects are apart from -value.
	codectest.Encode(t, e, codectest.Changes()["insert"])
	if len(b.srv.Versions("cdc-"+confluentavro.SchemaChangeValueName)) != 1 || len(b.srv.Versions("cdc-"+confluentavro.SchemaChangeKeyName)) != 1 ||
		len(b.srv.Versions("cdc-value")) != 1 {
		t.Error("DDL and row subjects not registered apart")
	}
}

func TestEncoder_Options_DecimalAndTime(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, func(o *codec.Options) { o.Decimal, o.Time = codec.DecimalString, codec.TimeConnect })
	rec := codectest.Encode(t, e, codectest.Changes()["insert"])
	row := image(func() map[string]any { m, _ := b.decode(t, rec.Value); return m }(), "after")
	if got := unwrap(row["c_dec"]); got != "-12345678901234567890123456789012345.123456789012345678901234567890" {
		t.Errorf("decimal string = %v", got)
	}
	if got, ok := unwrap(row["c_datetime6"]).(time.Time); !ok || !got.Equal(time.Date(2024, 2, 29, 12, 34, 56, 0, time.UTC)) {
		t.Errorf("connect datetime6 = %v (milliseconds, timestamp-millis)", row["c_datetime6"])
	}
	// Connect's Time is a time of day: 100:00:01 and -838:59:59 were written
	// as such (the latter past Avro's int); Debezium writes null for them in
	// a nullable column and stops on a NOT NULL one.
	if row["c_time_long"] != nil || row["c_time"] != nil {
		t.Errorf("connect time outside 0-24 h = %#v, %#v; want null", row["c_time_long"], row["c_time"])
	}
	inDay := *codectest.Changes()["insert"]
	inDay.After = codectest.TypesRow()
	inDay.After[16] = "23:59:59"
	rec = codectest.Encode(t, e, &inDay)
	row = image(func() map[string]any { m, _ := b.decode(t, rec.Value); return m }(), "after")
	if got, ok := unwrap(row["c_time_long"]).(time.Duration); !ok || got != 24*time.Hour-time.Second {
		t.Errorf("connect time 23:59:59 = %#v", row["c_time_long"])
	}
	notNull := &change.Table{Schema: "shop", Name: "t", Columns: []change.Column{{Name: "tm", Type: change.TypeTime2, ColumnType: "time"}}}
	err := e.Encode(&change.Change{Op: change.OpInsert, Table: notNull, After: []any{"100:00:01"}, Topic: "cdc"}, &codec.Record{})
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "adaptive_time_microseconds") {
		t.Errorf("NOT NULL TIME 100:00:01 in connect mode: err = %v, want a terminal error naming the fix", err)
	}
	if _, err := confluentavro.New(codec.Options{Registry: b.reader, Decimal: "nope"}); err == nil {
		t.Error("unknown decimal mode accepted")
	}
	if _, err := confluentavro.New(codec.Options{}); err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "schema_registry") {
		t.Errorf("no registry: err = %v", err)
	}
}

func TestEncoder_NameClash_Terminal(t *testing.T) {
	b := newBed(t)
	e := b.encoder(t, nil)
	tbl := &change.Table{Schema: "shop", Name: "weird-name", Columns: []change.Column{
		{Name: "a-b", Type: change.TypeLong}, {Name: "a_b", Type: change.TypeLong}, {Name: "1x", Type: change.TypeLong}}}
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{int32(1), int32(2), int32(3)}, Topic: "t"}
	err := e.Encode(c, &codec.Record{})
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), `"a-b" and "a_b"`) {
		t.Fatalf("name clash: err = %v", err)
	}
	// After a rename, a new table version encodes.
	c.Table = &change.Table{Schema: tbl.Schema, Name: tbl.Name, Columns: tbl.Columns[1:]}
	c.After = c.After[1:]
	rec := codectest.Encode(t, e, c)
	env, _ := b.decode(t, rec.Value)
	if row := image(env, "after"); unwrap(row["_1x"]) != int32(3) {
		t.Errorf("sanitized names: %v", row)
	}
}

func TestName_Sanitizes(t *testing.T) {
	for in, want := range map[string]string{"ok_Name1": "ok_Name1", "a-b": "a_b", "1st": "_1st", "": "_", "é": "_", "x.y": "x_y"} {
		if got := confluentavro.Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkEncode_Avro(b *testing.B) {
	srv := registrytest.New(b)
	cl, err := registry.New(registry.Config{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	codectest.Bench(b, func() codec.Encoder {
		e, err := confluentavro.New(codec.Options{Registry: cl, Now: codectest.Now})
		if err != nil {
			b.Fatal(err)
		}
		return e
	})
}

// TestEncoder_ZeroDates_NotNullIsEpoch: a zero date is null in a nullable
// column and the epoch in a NOT NULL one, key included, as Debezium writes
// it (and debezium-json does); the NOT NULL key could not be encoded before.
func TestEncoder_ZeroDates_NotNullIsEpoch(t *testing.T) {
	b := newBed(t)
	rec := codectest.Encode(t, b.encoder(t, nil), codectest.ZeroDates())
	key, _ := b.decode(t, rec.Key)
	env, _ := b.decode(t, rec.Value)
	after := image(env, "after")
	if got := unwrap(key["k"]); got != int64(0) {
		t.Errorf("key k = %#v, want the epoch 0", got)
	}
	for col, want := range map[string]any{"k": int64(0), "d": time.Unix(0, 0).UTC(), "dt6": int64(0), "ts": "1970-01-01T00:00:00Z"} {
		got := unwrap(after[col])
		if w, ok := want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(w) {
				t.Errorf("NOT NULL %s = %#v, want %v", col, got, w)
			}
		} else if got != want {
			t.Errorf("NOT NULL %s = %#v, want %#v", col, got, want)
		}
	}
	for _, col := range []string{"d_null", "dt_null", "ts_null"} {
		if after[col] != nil {
			t.Errorf("nullable %s = %v, want null", col, after[col])
		}
	}
}
