package topology

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestDAG_Topics_SinkDDLAndRuleTopics(t *testing.T) {
	g, diags := Parse("topics.yaml", []byte(`version: 1
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
        - pattern: shop.audit
          topic: audit
          partitions: 1
routers:
  - {name: r, from: db, policy: pk_hash}
sinks:
  - name: k
    from: r
    brokers: [127.0.0.1:9092]
    topic: shop
    partitions: 6
    ddl_topic: shop-ddl
`))
	if g == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	got := g.Topics(g.Sinks[0])
	want := map[string]int{"shop": 6, "shop-ddl": 6, "audit": 1}
	if !maps.Equal(got, want) {
		t.Fatalf("Topics = %v, want %v", got, want)
	}
}

// TestPipeline_DDLTopic_DebeziumDefault pins where DDL goes without
// ddl_topic: the table's topic was the default for every format, so a
// Debezium consumer (Flink's debezium-json) found the schema sync's CREATE
// record at offset 0 of the table's topic and failed on it. Debezium
// envelopes now default to a topic named for the source, as Debezium's
// schema-change topic is its topic.prefix; Canal JSON and DTS Avro keep DDL
// in the data topic, as Canal and DTS write it.
func TestPipeline_DDLTopic_DebeziumDefault(t *testing.T) {
	const head = `version: 1
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
        - {pattern: shop.audit, topic: %s}
routers:
  - {name: r, from: db, policy: pk_hash}
sinks:
  - name: k
    from: r
    brokers: [127.0.0.1:9092]
    topic: shop
    format: %s
%s`
	for _, tc := range []struct {
		format, extra, audit string
		want                 string
		topics               map[string]int
	}{
		{"debezium-json", "", "audit", "db", map[string]int{"shop": 1, "audit": 1, "db": 1}},
		{"avro", "    schema_registry: {url: http://127.0.0.1:8081}\n", "audit", "db", map[string]int{"shop": 1, "audit": 1, "db": 1}},
		{"debezium-json", "    ddl_topic: shop\n", "audit", "shop", map[string]int{"shop": 1, "audit": 1}},
		{"canal-json", "", "audit", "shop", map[string]int{"shop": 1, "audit": 1}},
		{"dts-avro", "", "audit", "shop", map[string]int{"shop": 1, "audit": 1}},
	} {
		g, diags := Parse("ddl.yaml", []byte(fmt.Sprintf(head, tc.audit, tc.format, tc.extra)))
		if g == nil {
			t.Fatalf("%s %q: %s", tc.format, tc.extra, diags.String())
		}
		if got := g.Pipelines[0].DDLTopic(); got != tc.want {
			t.Errorf("%s %q: DDL topic %q, want %q", tc.format, tc.extra, got, tc.want)
		}
		if got := g.Topics(g.Sinks[0]); !maps.Equal(got, tc.topics) {
			t.Errorf("%s %q: Topics = %v, want %v", tc.format, tc.extra, got, tc.topics)
		}
	}
	// A default DDL topic that is also a table's topic is refused.
	_, diags := Parse("ddl.yaml", []byte(fmt.Sprintf(head, "db", "debezium-json", "")))
	if diags.Errors() == 0 || !strings.Contains(diags.String(), `to the topic named for the source, "db", which also receives rows`) ||
		!strings.Contains(diags.String(), "set ddl_topic") {
		t.Errorf("a Debezium sink whose default DDL topic receives rows: %s", diags.String())
	}
}
