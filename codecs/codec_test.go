package codecs

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestNew_EveryFormat(t *testing.T) {
	for _, tc := range []struct {
		format  topology.Format
		flavor  string
		keyed   bool
		wantErr bool
	}{
		{topology.FormatCanalJSON, "", false, false},
		{topology.FormatCanalJSON, "canal", false, false},
		{topology.FormatDTSAvro, "", false, false},
		{topology.FormatDebeziumJSON, "", true, false},
		{topology.FormatAvro, "", false, true},
		{"protobuf", "", false, true},
		{topology.FormatCanalJSON, "maxwell", false, true},
	} {
		enc, err := New(tc.format, Options{CanalFlavor: tc.flavor, Now: codectest.Now})
		if tc.wantErr {
			if err == nil || !errkind.IsTerminal(err) {
				t.Errorf("New(%q, %q): err = %v, want a terminal error", tc.format, tc.flavor, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q): %v", tc.format, err)
		}
		rec := codectest.Encode(t, enc, codectest.Changes()["insert"])
		if len(rec.Value) == 0 || (rec.Key != nil) != tc.keyed || len(rec.Headers) != 4 {
			t.Errorf("New(%q): value %d bytes, key %q, %d headers", tc.format, len(rec.Value), rec.Key, len(rec.Headers))
		}
	}
}

func TestNew_Avro_FromSinkRegistry(t *testing.T) {
	var sink *topology.Sink
	for _, f := range []topology.Format{topology.FormatAvro, topology.FormatDTSAvro} {
		// A registry each: both formats write topic cdc, and their schemas
		// are not compatible with each other.
		srv := registrytest.New(t)
		srv.User, srv.Password = "reg", "pw"
		sink = &topology.Sink{Name: "main", Format: f,
			Registry: &topology.SchemaRegistry{URL: srv.URL, User: "reg", Password: topology.NewSecret("pw")}}
		opts := OptionsFor(sink, &topology.Source{Name: "src"})
		opts.Now = codectest.Now
		enc, err := New(f, opts)
		if err != nil {
			t.Fatalf("New(%s): %v", f, err)
		}
		c := codectest.Changes()["insert"]
		rec := codectest.Encode(t, enc, c)
		if _, _, err := registry.ParseHeader(rec.Value); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if len(srv.Versions(c.Topic+"-value")) != 1 {
			t.Errorf("%s: no schema under %s-value", f, c.Topic)
		}
	}
	// A ca_file that cannot be read fails New, naming the sink.
	sink.Registry.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	_, err := New(topology.FormatAvro, OptionsFor(sink, nil))
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "sink main") || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("unreadable ca_file: err = %v", err)
	}
	// Formats without a registry ignore it.
	if _, err := New(topology.FormatCanalJSON, OptionsFor(sink, nil)); err != nil {
		t.Errorf("canal-json with a broken registry setting: %v", err)
	}
}

func TestOptionsFor_SinkAndSource(t *testing.T) {
	o := OptionsFor(&topology.Sink{CanalFlavor: topology.CanalFlavorCanal, CanalEnumNames: true, Debezium: topology.DebeziumOptions{
		Schemas: true, Tombstones: true, DecimalHandling: "string", TimePrecision: "connect", BigIntUnsignedHandling: "precise",
	}}, &topology.Source{Name: "orders-db"})
	if o.CanalFlavor != "canal" || !o.CanalEnumNames || o.SourceName != "orders-db" || !o.SchemasEnable || !o.Tombstones ||
		o.Decimal != codec.DecimalString || o.Time != codec.TimeConnect || o.BigIntUnsigned != codec.BigIntPrecise {
		t.Errorf("OptionsFor = %+v", o)
	}
}

// Regression: GBK text reached Kafka as "����" (its bytes read as UTF-8).
// Every JSON format decodes a column by its charset.
func TestNew_JSONFormats_DecodeByCharset(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "notes", PrimaryKey: []int{0}, Columns: []change.Column{
		{Name: "id", Type: change.TypeLong, ColumnType: "int(11)"},
		{Name: "v", Type: change.TypeVarchar, ColumnType: "varchar(20)", Charset: "gbk", Nullable: true},
		{Name: "tx", Type: change.TypeBlob, ColumnType: "text", Charset: "big5", Meta: 2, Nullable: true},
	}}
	c := &change.Change{Seq: 1, Op: change.OpInsert, Table: tbl, Topic: "t",
		After: []any{int32(1), "\xc4\xe3\xba\xc3", []byte("\xa4\xa4\xa4\xe5")},
		Pos:   change.Position{File: "bin.000001", Pos: 4}}
	for _, f := range []topology.Format{topology.FormatCanalJSON, topology.FormatDebeziumJSON} {
		enc, err := New(f, Options{Now: codectest.Now})
		if err != nil {
			t.Fatal(err)
		}
		v := string(codectest.Encode(t, enc, c).Value)
		if !strings.Contains(v, `"你好"`) || !strings.Contains(v, `"中文"`) {
			t.Errorf("%s: %s; want the GBK and Big5 values as their text", f, v)
		}
	}
}

// TestNew_KeyChangeSplitting: the Debezium-shaped formats write a key change
// as a delete and an insert, as Debezium does; Canal JSON and DTS Avro keep
// their references' one UPDATE.
func TestNew_KeyChangeSplitting(t *testing.T) {
	for _, tc := range []struct {
		format topology.Format
		splits bool
	}{
		{topology.FormatCanalJSON, false},
		{topology.FormatDTSAvro, false},
		{topology.FormatDebeziumJSON, true},
		{topology.FormatAvro, true},
	} {
		enc, err := New(tc.format, Options{Registry: unusedRegistry{}})
		if err != nil {
			t.Fatal(err)
		}
		k, ok := enc.(KeyChangeSplitter)
		if got := ok && k.SplitsKeyChanges(); got != tc.splits {
			t.Errorf("%s splits key changes: %v, want %v", tc.format, got, tc.splits)
		}
	}
}

type unusedRegistry struct{}

func (unusedRegistry) Register(context.Context, string, string) (int32, error) {
	return 0, errors.New("not used")
}
