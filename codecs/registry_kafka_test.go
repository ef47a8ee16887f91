package codecs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// TestEncode_Registry_ThroughRealKafka writes avro and dts-avro records
// (Confluent wire format, schemas in an in-process registry) to the bed's
// Kafka, reads them back, and decodes every key and value with goavro and the
// schema fetched from the registry by the id in the record.
func TestEncode_Registry_ThroughRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, f := range []topology.Format{topology.FormatAvro, topology.FormatDTSAvro} {
		t.Run(string(f), func(t *testing.T) {
			srv := registrytest.New(t)
			topic := testbed.NewTopic(t, 1)
			opts := OptionsFor(&topology.Sink{Name: "k", Registry: &topology.SchemaRegistry{URL: srv.URL}}, &topology.Source{Name: "bed"})
			opts.Now = codectest.Now
			enc, err := New(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			var sent []kafka.Message
			for _, op := range codectest.Ops {
				c := codectest.Changes()[op]
				c.Topic = topic
				rec := codectest.Encode(t, enc, c)
				sent = append(sent, kafka.Message{Key: rec.Key, Value: rec.Value})
			}
			w := &kafka.Writer{Addr: kafka.TCP(testbed.Kafka(t)...), Topic: topic, RequiredAcks: kafka.RequireAll}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			for {
				err = w.WriteMessages(ctx, sent...)
				if !errors.Is(err, kafka.UnknownTopicOrPartition) || ctx.Err() != nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("producing to %s: %v", topic, err)
			}
			reader, err := registry.New(registry.Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			decode := func(b []byte) map[string]any {
				t.Helper()
				id, body, err := registry.ParseHeader(b)
				if err != nil {
					t.Fatal(err)
				}
				schema, err := reader.Schema(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				gc, err := goavro.NewCodec(schema)
				if err != nil {
					t.Fatal(err)
				}
				native, rest, err := gc.NativeFromBinary(body)
				if err != nil || len(rest) != 0 {
					t.Fatalf("goavro: %v (%d bytes left)", err, len(rest))
				}
				return native.(map[string]any)
			}
			got := testbed.ReadTopic(t, topic, len(sent), 30*time.Second)
			wantOp := map[string]string{"insert": "c", "update": "u", "delete": "d", "snapshot": "r"}
			for i, m := range got {
				op := codectest.Ops[i]
				v := decode(m.Value)
				if f == topology.FormatDTSAvro {
					if v["sourcePosition"] == nil || m.Key != nil {
						t.Errorf("%s: %v", op, v)
					}
					continue
				}
				key := decode(m.Key)
				if strings.HasPrefix(op, "ddl") {
					if v["ddl"] != codectest.Changes()[op].SQL || key["databaseName"] != "shop" {
						t.Errorf("%s: key %v value %v", op, key, v)
					}
					continue
				}
				if v["op"] != wantOp[op] || key["id"] == nil {
					t.Errorf("%s: op %v key %v", op, v["op"], key)
				}
			}
		})
	}
}
