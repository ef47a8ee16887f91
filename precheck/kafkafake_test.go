package precheck

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicecdc/sluice/topology"
)

// fakeSink runs the sink checks of a one-sink topology against kfake
// limited to the API versions of one Kafka release.
func fakeSink(t *testing.T, vs *kversion.Versions, topic string) ([]Item, []string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.MaxVersions(vs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	y := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %q
sources:
  - name: src
    flavor: mariadb
    host: 127.0.0.1
    user: u
    password: p
    server_id: 7
    objects:
      tables: ["db.*"]
sinks:
  - name: k
    from: src
    brokers: [%q]
    topic: %q
    create_topics: missing
`, t.TempDir(), c.ListenAddrs()[0], topic)
	g, diags := topology.Parse("fake.yaml", []byte(y))
	if g == nil {
		t.Fatalf("topology: %s", diags)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := g.Sinks[0]
	items := checkSink(ctx, g, s, nil, &Options{Timeout: 10 * time.Second})
	// What exists on the broker afterwards.
	md, err := (&kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...)}).Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range md.Topics {
		names = append(names, tp.Name)
	}
	return items, names
}

// Issue 16: on Kafka 0.10.1 (CreateTopics v0, no validate_only) precheck
// created the topic it only meant to validate.
func TestCheckSink_Fake_CreateTopicsV0CreatesNothing(t *testing.T) {
	items, topics := fakeSink(t, kversion.V0_10_1(), "compat_v0")
	if len(topics) != 0 {
		t.Errorf("precheck created %v", topics)
	}
	wantItem(t, find(t, items, "sink.k.topic.compat_v0"), Warn, "has no validate-only flag", "--create --topic compat_v0")
	wantItem(t, find(t, items, "sink.k.broker_version"), Pass, "Kafka 0.10.1 (from its ApiVersions answer", "")
	wantItem(t, find(t, items, "sink.k.api_versions"), Fail, "predates Kafka 0.11", "upgrade Kafka")
	wantItem(t, find(t, items, "sink.k.message_format"), Fail, "no DescribeConfigs (it predates Kafka 0.11)", "upgrade Kafka")
}

// From CreateTopics v1 on the validate-only request is sent, and creates
// nothing either.
func TestCheckSink_Fake_ValidateOnlyCreatesNothing(t *testing.T) {
	items, topics := fakeSink(t, kversion.V2_7_0(), "compat_v1")
	if len(topics) != 0 {
		t.Errorf("precheck created %v", topics)
	}
	// kfake implements a subset of 2.7's APIs, so its release reads
	// "between …"; the bed test checks the name of a real broker.
	it := find(t, items, "sink.k.topic.compat_v1")
	if strings.Contains(it.Detail, "no validate-only flag") {
		t.Errorf("validate-only skipped on Kafka 2.7: %+v", it)
	}
	wantItem(t, it, Pass, "the broker accepted a validate-only request", "")
}
