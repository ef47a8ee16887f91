package topology

import (
	"maps"
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
