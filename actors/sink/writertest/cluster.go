package writertest

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Cluster is the Kafka a case writes to.
type Cluster struct {
	Brokers []string
	// NewTopic creates a topic with the given partitions for the test.
	NewTopic func(t testing.TB, partitions int) string
	// Fake is the in-process cluster, nil on a real one: the cases that
	// make the broker fail need it.
	Fake *kfake.Cluster
}

// MaxMessageBytes is the brokers' message.max.bytes on both clusters:
// Kafka's default, which topics inherit.
const MaxMessageBytes = 1048588

// Fake starts a one-broker kfake cluster for the test.
func Fake(t testing.TB) *Cluster {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	n := 0
	return &Cluster{Brokers: c.ListenAddrs(), Fake: c, NewTopic: func(t testing.TB, partitions int) string {
		t.Helper()
		n++
		name := fmt.Sprintf("topic-%d", n)
		if err := c.CreateTopic(name, int32(partitions), nil); err != nil {
			t.Fatalf("kfake: creating topic %s: %v", name, err)
		}
		return name
	}}
}

// Bed is the test bed's Kafka (make testbed-up): it skips the test in short
// mode and fails it when the bed is down.
func Bed(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	return &Cluster{Brokers: testbed.Kafka(t), NewTopic: func(t testing.TB, partitions int) string {
		t.Helper()
		return testbed.NewTopic(t, partitions)
	}}
}
