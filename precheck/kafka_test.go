package precheck

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

func TestKafkaConnectItem_Causes(t *testing.T) {
	s := &topology.Sink{Name: "main", Brokers: []string{"kafka:9093"},
		SASL: topology.SASL{Mechanism: topology.SASLScramSHA512, User: "cdc", Password: topology.NewSecret("s3cret")}}
	for _, tc := range []struct {
		name   string
		err    error
		detail string
		fix    string
	}{
		{"wrong password", fmt.Errorf("sasl: %w", kafka.SASLAuthenticationFailed),
			`SASL SCRAM-SHA-512 login as "cdc" refused by broker kafka:9093 (sink main)`, "correct sasl.user / sasl.password of sink main"},
		{"mechanism", kafka.UnsupportedSASLMechanism, "cannot talk to Kafka broker kafka:9093", "sasl.enabled.mechanisms"},
		{"unknown host", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "kafka"}}, "unknown host in broker kafka:9093", "correct brokers of sink main"},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused at Kafka broker kafka:9093", "check that Kafka runs"},
		{"untrusted", x509.UnknownAuthorityError{}, "cannot talk", "tls.ca_file of sink main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := kafkaConnectItem(s, "kafka:9093", tc.err)
			wantItem(t, it, Fail, tc.detail, tc.fix)
			if containsSecret(it, "s3cret") {
				t.Errorf("item prints the password: %+v", it)
			}
		})
	}
}

func containsSecret(it Item, secret string) bool {
	return strings.Contains(it.Detail, secret) || strings.Contains(it.Fix, secret)
}

func TestRecordedPartitions_FromTheCheckpoints(t *testing.T) {
	cps := map[string]store.Checkpoint{
		"b": {Partitions: map[string]map[string]int{"kafka": {"orders": 6, "items": 2}}},
		"a": {Partitions: map[string]map[string]int{"kafka": {"orders": 3}}},
		"c": {},
	}
	got := recordedPartitions(cps)
	if len(got) != 1 || got["kafka"]["orders"] != 3 || got["kafka"]["items"] != 2 || len(got["kafka"]) != 2 {
		t.Fatalf("recordedPartitions = %v, want kafka: orders 3 (source a first), items 2", got)
	}
	s := &topology.Sink{Name: "kafka", Brokers: []string{"b:9092"}}
	if it := topicItem(s, "orders", 3, 1, got["kafka"]); it.Status != Pass {
		t.Errorf("unchanged count: %+v", it)
	}
	it := topicItem(s, "orders", 4, 1, got["kafka"])
	if it.Status != Fail || !strings.Contains(it.Detail, "has 4 partitions but had 3") || !strings.Contains(it.Fix, "recreate topic orders with 3 partitions") {
		t.Errorf("changed count: %+v", it)
	}
	if it := topicItem(s, "new", 4, 1, got["kafka"]); it.Status != Pass {
		t.Errorf("a topic nothing recorded: %+v", it)
	}
}
