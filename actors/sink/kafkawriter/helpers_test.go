package kafkawriter

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol/produce"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/topology"
)

// fakeCluster starts a kfake cluster for the test.
func fakeCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func testSink(brokers []string) *topology.Sink {
	return &topology.Sink{
		Name:              "test-sink",
		Brokers:           brokers,
		Topic:             "t",
		BatchBytes:        64 << 10,
		MaxMessageBytes:   1 << 20,
		Oversize:          topology.OversizeFail,
		CreateTopics:      topology.CreateTopicsMissing,
		Partitions:        1,
		ReplicationFactor: 1,
	}
}

func newWriter(t *testing.T, cfg Config) *Writer {
	t.Helper()
	if cfg.RetryFor == 0 {
		cfg.RetryFor = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// record is a record read back by an independent client (franz-go).
type record struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   map[string]string
}

// readBack consumes n records of topic from the start of every partition
// with franz-go's client and returns them by partition.
func readBack(t *testing.T, brokers []string, topic string, n int) map[int32][]record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[int32][]record{}
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records from %s before the timeout", got, n, topic)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			out[r.Partition] = append(out[r.Partition], record{r.Partition, r.Offset, r.Key, r.Value, h})
			got++
		})
	}
	return out
}

// msgs builds n messages spread over partitions, with per-partition
// sequence numbers in their values.
func msgs(topic string, n, partitions int) []Message {
	out := make([]Message, n)
	for i := range out {
		p := int32(i % partitions)
		out[i] = Message{
			Topic:     topic,
			Partition: p,
			Key:       []byte(fmt.Sprintf("k%d", i)),
			Value:     []byte(fmt.Sprintf("v%06d", i)),
			Headers:   []kafka.Header{{Key: "sluice.seq", Value: []byte(fmt.Sprint(i))}},
			Seq:       uint64(i),
		}
	}
	return out
}

// inflightProbe wraps the transport and records the largest number of
// concurrent produce requests seen for any one partition.
type inflightProbe struct {
	inner kafka.RoundTripper
	delay time.Duration

	mu       sync.Mutex
	inflight map[string]int
	max      int
	requests int
}

func (p *inflightProbe) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	pr, ok := req.(*produce.Request)
	if !ok {
		return p.inner.RoundTrip(ctx, addr, req)
	}
	var keys []string
	for _, t := range pr.Topics {
		for _, part := range t.Partitions {
			keys = append(keys, fmt.Sprintf("%s/%d", t.Topic, part.Partition))
		}
	}
	p.mu.Lock()
	p.requests++
	for _, k := range keys {
		p.inflight[k]++
		if p.inflight[k] > p.max {
			p.max = p.inflight[k]
		}
	}
	p.mu.Unlock()
	time.Sleep(p.delay)
	res, err := p.inner.RoundTrip(ctx, addr, req)
	p.mu.Lock()
	for _, k := range keys {
		p.inflight[k]--
	}
	p.mu.Unlock()
	return res, err
}

// probe installs an inflightProbe on w.
func probe(w *Writer, delay time.Duration) *inflightProbe {
	p := &inflightProbe{inner: w.transport, delay: delay, inflight: map[string]int{}}
	w.client.Transport = p
	return p
}
