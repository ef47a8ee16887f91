package codecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// TestEncode_ThroughRealKafka writes every format's records to the bed's
// Kafka and reads them back with kcat and with kafka-go: keys, values and
// position headers arrive byte for byte, and the JSON formats are one valid
// JSON document per record as kcat prints them.
func TestEncode_ThroughRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, f := range []topology.Format{topology.FormatCanalJSON, topology.FormatDTSAvro, topology.FormatDebeziumJSON} {
		t.Run(string(f), func(t *testing.T) {
			enc, err := New(f, Options{Now: codectest.Now})
			if err != nil {
				t.Fatal(err)
			}
			var sent []kafka.Message
			for _, op := range codectest.Ops {
				rec := codectest.Encode(t, enc, codectest.Changes()[op])
				m := kafka.Message{Key: rec.Key, Value: rec.Value}
				for _, h := range rec.Headers {
					m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
				}
				sent = append(sent, m)
			}
			topic := testbed.NewTopic(t, 1)
			w := &kafka.Writer{Addr: kafka.TCP(testbed.Kafka(t)...), Topic: topic, RequiredAcks: kafka.RequireAll}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// A new topic's metadata can reach the broker the writer asks
			// after NewTopic returns: retry that one error briefly.
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

			got := testbed.ReadTopic(t, topic, len(sent), 30*time.Second)
			for i, m := range got {
				if !bytes.Equal(m.Key, sent[i].Key) || !bytes.Equal(m.Value, sent[i].Value) {
					t.Errorf("record %d (%s) changed in Kafka", i, codectest.Ops[i])
				}
			}

			// kcat: value sizes and headers of every record.
			lines := strings.Split(strings.TrimSpace(testbed.Kcat(t, "-C", "-t", topic, "-e", "-q", "-f", "%S|%h\n")), "\n")
			if len(lines) != len(sent) {
				t.Fatalf("kcat read %d records, want %d", len(lines), len(sent))
			}
			for i, l := range lines {
				size, hdrs, _ := strings.Cut(l, "|")
				if size != strconv.Itoa(len(sent[i].Value)) || !strings.Contains(hdrs, "sluice.pos=mysql-bin.000003:") ||
					!strings.Contains(hdrs, "sluice.seq=1001") {
					t.Errorf("kcat record %d: %q", i, l)
				}
			}
			if f == topology.FormatDTSAvro {
				return
			}
			vals := strings.Split(strings.TrimSpace(testbed.Kcat(t, "-C", "-t", topic, "-e", "-q", "-f", "%s\n")), "\n")
			for i, v := range vals {
				if !json.Valid([]byte(v)) || v != string(sent[i].Value) {
					t.Errorf("kcat value %d is not the JSON sent: %.120s", i, v)
				}
			}
		})
	}
}
