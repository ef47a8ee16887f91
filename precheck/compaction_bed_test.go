package precheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// compactedTopic creates a topic with cleanup.policy=compact, deleted at
// the end of the test.
func compactedTopic(t *testing.T) string {
	t.Helper()
	name := "t_compact_" + fmt.Sprint(time.Now().UnixNano())
	cl := &kafka.Client{Addr: kafka.TCP(testbed.Kafka(t)...), Timeout: 10 * time.Second}
	res, err := cl.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: name, NumPartitions: 1, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}}}})
	if err == nil {
		err = res.Errors[name]
	}
	if err != nil {
		t.Fatalf("creating compacted topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = cl.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{name}})
	})
	return name
}

// A compacted topic refuses records without a key (issue 17: it passed
// precheck, then the sink failed at its first write). Canal JSON and DTS
// Avro key no record; Debezium JSON keys a table's records when it has a
// key, so there only a keyless table fails.
func TestRun_Bed_CompactedTopic(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.orders (id INT PRIMARY KEY)")
	topic := compactedTopic(t)

	// What the sink would meet: the broker refuses a record without a key.
	w := &kafka.Writer{Addr: kafka.TCP(testbed.Kafka(t)...), Topic: topic, MaxAttempts: 1, BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	err := w.WriteMessages(context.Background(), kafka.Message{Value: []byte("x")})
	_ = w.Close()
	var we kafka.WriteErrors
	if errors.As(err, &we) && len(we) == 1 {
		err = we[0]
	}
	if !errors.Is(err, kafka.InvalidMessage) && !errors.Is(err, kafka.InvalidRecord) {
		t.Fatalf("a keyless record on a compacted topic: %v, want the broker's refusal", err)
	}

	bt := newBedTopology(t, db, topic)
	g := bt.dag(t)
	r := runBed(t, g, Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.cleanup_policy"), Fail,
		"topic "+topic+" is compacted (cleanup.policy=compact), and format canal-json writes every record with a null key",
		"--entity-name "+topic+" --add-config cleanup.policy=delete")
	g.Sinks[0].Format = topology.FormatDTSAvro
	wantItem(t, find(t, runBed(t, g, Options{}).Items, "sink.kafka.cleanup_policy"), Fail, "format dts-avro writes every record with a null key", "")

	g.Sinks[0].Format = topology.FormatDebeziumJSON
	wantItem(t, find(t, runBed(t, g, Options{}).Items, "sink.kafka.cleanup_policy"), Pass, "compacted topics: "+topic, "")

	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.nokey (a INT)")
	r = runBed(t, g, Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.cleanup_policy"), Fail,
		fmt.Sprintf("table %s.nokey has no primary or unique key, so its records have a null key, and it goes to topic %s, which is compacted", db, topic),
		"ADD PRIMARY KEY")
	if err := r.Error(nil); err == nil || !strings.Contains(err.Error(), "sink.kafka.cleanup_policy") {
		t.Errorf("Report.Error = %v", err)
	}

	// The fix: cleanup.policy=delete.
	cl := &kafka.Client{Addr: kafka.TCP(testbed.Kafka(t)...), Timeout: 10 * time.Second}
	ares, err := cl.AlterConfigs(context.Background(), &kafka.AlterConfigsRequest{Resources: []kafka.AlterConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
		Configs: []kafka.AlterConfigRequestConfig{{Name: "cleanup.policy", Value: "delete"}}}}})
	if err == nil {
		for _, e := range ares.Errors {
			err = errors.Join(err, e)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	g.Sinks[0].Format = topology.FormatCanalJSON
	wantItem(t, find(t, runBed(t, g, Options{}).Items, "sink.kafka.cleanup_policy"), Pass, "no topic of the sink is compacted", "")
}
