package codecs

import (
	"testing"

	"github.com/sluicecdc/sluice/codecs/codectest"
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

func TestOptionsFor_SinkAndSource(t *testing.T) {
	o := OptionsFor(&topology.Sink{CanalFlavor: topology.CanalFlavorCanal}, &topology.Source{Name: "orders-db"})
	if o.CanalFlavor != "canal" || o.SourceName != "orders-db" {
		t.Errorf("OptionsFor = %+v", o)
	}
}
