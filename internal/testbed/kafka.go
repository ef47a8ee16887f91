package testbed

import (
	"context"
	"errors"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// Kafka returns the bed's Kafka bootstrap brokers, after checking that the
// first one answers.
func Kafka(t testing.TB) []string {
	t.Helper()
	brokers := kafkaFromEnv(os.Getenv)
	conn := dialKafka(t, brokers[0])
	_ = conn.Close()
	return brokers
}

func dialKafka(t testing.TB, addr string) *kafka.Conn {
	t.Helper()
	d := &kafka.Dialer{Timeout: dialTimeout}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(unreachable("Kafka", addr, err, KafkaLog()))
	}
	return conn
}

// controller dials the cluster's controller, where topics are created.
func controller(t testing.TB) *kafka.Conn {
	t.Helper()
	brokers := Kafka(t)
	conn := dialKafka(t, brokers[0])
	defer conn.Close()
	b, err := conn.Controller()
	if err != nil {
		t.Fatal(unreachable("Kafka controller", brokers[0], err, KafkaLog()))
	}
	return dialKafka(t, net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
}

// NewTopic creates a topic named t_<random> with the given number of
// partitions (replication factor 1), waits until every partition has a
// leader, and deletes the topic in t.Cleanup. It returns the name.
func NewTopic(t testing.TB, partitions int) string {
	t.Helper()
	name := "t_" + randomSuffix(t)
	conn := controller(t)
	defer conn.Close()
	err := conn.CreateTopics(kafka.TopicConfig{Topic: name, NumPartitions: partitions, ReplicationFactor: 1})
	if err != nil {
		t.Fatalf("testbed: creating topic %s: %v (log: %s)", name, err, KafkaLog())
	}
	t.Cleanup(func() {
		d := &kafka.Dialer{Timeout: dialTimeout}
		conn, err := d.Dial("tcp", kafkaFromEnv(os.Getenv)[0])
		if err != nil {
			t.Errorf("testbed: deleting topic %s: %v", name, err)
			return
		}
		defer conn.Close()
		b, err := conn.Controller()
		if err != nil {
			t.Errorf("testbed: deleting topic %s: %v", name, err)
			return
		}
		cc, err := d.Dial("tcp", net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
		if err != nil {
			t.Errorf("testbed: deleting topic %s: %v", name, err)
			return
		}
		defer cc.Close()
		if err := cc.DeleteTopics(name); err != nil {
			t.Errorf("testbed: deleting topic %s: %v", name, err)
		}
	})
	waitForLeaders(t, name, partitions)
	return name
}

func waitForLeaders(t testing.TB, topic string, partitions int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		conn := dialKafka(t, Kafka(t)[0])
		ps, err := conn.ReadPartitions(topic)
		_ = conn.Close()
		if err == nil {
			ready := 0
			for _, p := range ps {
				if p.Leader.Host != "" && p.Leader.ID >= 0 {
					ready++
				}
			}
			if ready == partitions {
				return
			}
			err = errors.New(strconv.Itoa(ready) + " of " + strconv.Itoa(partitions) + " partitions have a leader")
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("testbed: topic %s not ready after 30s: %v (log: %s)", topic, last, KafkaLog())
}

// ReadTopic reads every partition of topic from its first offset until n
// messages have arrived in all, and returns them ordered by partition, then
// offset. Fewer than n messages within timeout fails the test.
func ReadTopic(t testing.TB, topic string, n int, timeout time.Duration) []kafka.Message {
	t.Helper()
	brokers := Kafka(t)
	conn := dialKafka(t, brokers[0])
	ps, err := conn.ReadPartitions(topic)
	_ = conn.Close()
	if err != nil {
		t.Fatalf("testbed: reading partitions of %s: %v", topic, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := make(chan kafka.Message)
	done := make(chan struct{})
	readers := make([]*kafka.Reader, 0, len(ps))
	for _, p := range ps {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:   brokers,
			Topic:     topic,
			Partition: p.ID,
			MinBytes:  1,
			MaxBytes:  16 << 20,
			MaxWait:   100 * time.Millisecond,
		})
		if err := r.SetOffset(kafka.FirstOffset); err != nil {
			t.Fatalf("testbed: reading %s[%d]: %v", topic, p.ID, err)
		}
		readers = append(readers, r)
		go func() {
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				select {
				case got <- m:
				case <-done:
					return
				}
			}
		}()
	}
	defer func() {
		close(done)
		cancel()
		for _, r := range readers {
			_ = r.Close()
		}
	}()

	msgs := make([]kafka.Message, 0, n)
	for len(msgs) < n {
		select {
		case m := <-got:
			msgs = append(msgs, m)
		case <-ctx.Done():
			t.Fatalf("testbed: read %d of %d messages from %s in %v", len(msgs), n, topic, timeout)
		}
	}
	sort.SliceStable(msgs, func(i, j int) bool {
		if msgs[i].Partition != msgs[j].Partition {
			return msgs[i].Partition < msgs[j].Partition
		}
		return msgs[i].Offset < msgs[j].Offset
	})
	return msgs
}

// Kcat runs kcat against the bed's brokers (-b is added) with the given
// arguments and returns its standard output. A non-zero exit, or no exit
// within two minutes, fails the test. Pass -e with -C so that it stops.
func Kcat(t testing.TB, args ...string) string {
	t.Helper()
	brokers := Kafka(t)
	return runTool(t, "kcat", append([]string{"-b", strings.Join(brokers, ",")}, args...))
}
