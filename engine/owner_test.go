package engine

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestRun_FencedRecordsNameTheirOwner runs a task as a cluster node does
// (Fenced, Node, Epoch): every record carries sluice.node and sluice.epoch.
// The same task run as a single sluice run then adds records without them.
func TestRun_FencedRecordsNameTheirOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash", ddl: []string{
		"CREATE TABLE $db.orders (id INT PRIMARY KEY, note VARCHAR(32))"}})
	tables := map[string][]string{"orders": {"id"}}
	h.opts = Options{Fenced: true, Node: "node-a", Epoch: 4711}
	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (1,'a'),(2,'b'),(3,'c')")
	fenced := h.converge(tables, 60*time.Second).Applied
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	h.opts = Options{}
	stop = h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (4,'d'),(5,'e')")
	h.converge(tables, 60*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	msgs, err := verify.ReadAll(context.Background(), testbed.Kafka(t)[0], h.topic)
	if err != nil {
		t.Fatal(err)
	}
	var tagged, plain int
	for _, m := range msgs {
		node, epoch := header(m, codec.HeaderNode), header(m, codec.HeaderEpoch)
		switch {
		case node == "node-a" && epoch == "4711":
			tagged++
		case node == "" && epoch == "":
			plain++
		default:
			t.Errorf("record at %d/%d: sluice.node %q, sluice.epoch %q; want node-a and 4711, or neither", m.Partition, m.Offset, node, epoch)
		}
	}
	if tagged < fenced || plain < 2 {
		t.Errorf("%d records name their owner (want the fenced run's %d), %d name none (want the single run's 2 or more)", tagged, fenced, plain)
	}
}

// header is m's header key, or "" when absent.
func header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
