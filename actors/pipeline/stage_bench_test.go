package pipeline

import (
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/topology"
)

const benchTopology = `version: 1
sources:
  - name: db
    flavor: mariadb
    host: 127.0.0.1
    user: u
    password: p
    server_id: 9
    start: latest
    objects:
      tables:
        - pattern: shop.orders
routers:
  - {name: r, from: db, policy: pk_hash}
sinks:
  - name: k
    from: r
    brokers: [127.0.0.1:9092]
    topic: shop
    format: %s
`

// BenchmarkStage_Run measures one pipeline stage (transform with no rules,
// pk_hash routing over 12 partitions, encoding, the batch's record arena)
// per format, on 500-row batches of codectest's benchmark rows, 70 %
// inserts and 30 % updates. One op is one row event. The avro format needs
// a schema registry: its encoder alone is in codecs/confluentavro.
func BenchmarkStage_Run(b *testing.B) {
	for _, format := range []string{"canal-json", "dts-avro", "debezium-json"} {
		b.Run(format, func(b *testing.B) {
			g := benchPipeline(b, format)
			st, err := NewStage(g, map[string]int{"shop": 12}, codecs.Options{Now: codectest.Now})
			if err != nil {
				b.Fatal(err)
			}
			in := benchBatch(500)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += len(in.Changes) {
				msgs, err := st.Run(in, false)
				if err != nil {
					b.Fatal(err)
				}
				if len(msgs) != len(in.Changes) {
					b.Fatalf("%d messages for %d changes", len(msgs), len(in.Changes))
				}
			}
		})
	}
}

func benchPipeline(b *testing.B, format string) *topology.Pipeline {
	b.Helper()
	g, diags := topology.Parse("bench.yaml", []byte(fmt.Sprintf(benchTopology, format)))
	if g == nil {
		b.Fatalf("topology: %s", diags.String())
	}
	return g.Pipelines[0]
}

// benchBatch is n changes on codectest.BenchTable with distinct keys.
func benchBatch(n int) *change.Batch {
	in := &change.Batch{Source: "db"}
	cs := codectest.BenchChanges()
	for i := range n {
		c := *cs["insert"]
		if i%10 >= 7 {
			c = *cs["update"]
			c.Before = append([]any(nil), c.Before...)
			c.Before[0] = int64(i)
		}
		c.After = append([]any(nil), c.After...)
		c.After[0] = int64(i)
		c.Seq, c.Row, c.Size = uint64(i+1), uint32(i), 200
		in.Add(c)
	}
	return in
}
