package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka counts and reads what arrived in Kafka. Counting uses the topics' end
// offsets (kafka-go's admin client); reading uses franz-go, an independent
// client that honours LogAppendTime (the broker's clock) on every record.
type Kafka struct {
	Brokers []string
	c       *kafka.Client
}

// NewKafka returns a probe for the given brokers.
func NewKafka(brokers []string) *Kafka {
	return &Kafka{Brokers: brokers, c: &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 15 * time.Second}}
}

// CreateTopic creates topic with the given partitions, timestamped by the
// broker at append (message.timestamp.type=LogAppendTime), and waits until
// every partition has a leader. An existing topic of that name is deleted
// first.
func (k *Kafka) CreateTopic(ctx context.Context, topic string, partitions int) error {
	_ = k.DeleteTopics(ctx, topic)
	for i := 0; ; i++ {
		res, err := k.c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
			Topic: topic, NumPartitions: partitions, ReplicationFactor: 1,
			ConfigEntries: []kafka.ConfigEntry{
				{ConfigName: "message.timestamp.type", ConfigValue: "LogAppendTime"},
				{ConfigName: "max.message.bytes", ConfigValue: "8388608"},
			},
		}}})
		if err == nil {
			err = res.Errors[topic]
		}
		if err == nil {
			break
		}
		// A topic being deleted cannot be created again at once.
		if i > 100 || ctx.Err() != nil {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := 0; i < 100; i++ {
		n, err := k.partitions(ctx, topic)
		if err == nil && n == partitions {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("topic %s: partitions have no leader after 10s", topic)
}

// DeleteTopics deletes topics (absent ones are not an error).
func (k *Kafka) DeleteTopics(ctx context.Context, topics ...string) error {
	res, err := k.c.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("delete topics %v: %w", topics, err)
	}
	var errs []error
	for t, e := range res.Errors {
		if e != nil && !errors.Is(e, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("delete topic %s: %w", t, e))
		}
	}
	return errors.Join(errs...)
}

func (k *Kafka) partitions(ctx context.Context, topic string) (int, error) {
	md, err := k.c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, err
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return 0, t.Error
		}
		n := 0
		for _, p := range t.Partitions {
			if p.Leader.Host != "" && p.Error == nil {
				n++
			}
		}
		return n, nil
	}
	return 0, fmt.Errorf("topic %s not in metadata", topic)
}

// EndOffsets returns each partition's end offset (the count of records on a
// topic that was created empty and never truncated).
func (k *Kafka) EndOffsets(ctx context.Context, topic string) (map[int]int64, error) {
	n, err := k.partitions(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("topic %s: %w", topic, err)
	}
	reqs := make([]kafka.OffsetRequest, n)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	res, err := k.c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := make(map[int]int64, n)
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = po.LastOffset
	}
	return out, nil
}

// Count is the number of records on topics (sum of end offsets).
func (k *Kafka) Count(ctx context.Context, topics ...string) (int64, error) {
	var n int64
	for _, t := range topics {
		offs, err := k.EndOffsets(ctx, t)
		if err != nil {
			return 0, err
		}
		for _, o := range offs {
			n += o
		}
	}
	return n, nil
}

// Span returns the append times of the first and the last record on topic
// (over all partitions).
func (k *Kafka) Span(ctx context.Context, topic string) (first, last time.Time, err error) {
	offs, err := k.EndOffsets(ctx, topic)
	if err != nil {
		return first, last, err
	}
	for p, end := range offs {
		if end == 0 {
			continue
		}
		for _, off := range []int64{0, end - 1} {
			var got time.Time
			err := k.Read(ctx, topic, map[int][2]int64{p: {off, off + 1}}, func(r *kgo.Record) {
				got = r.Timestamp
			})
			if err != nil {
				return first, last, err
			}
			if first.IsZero() || got.Before(first) {
				first = got
			}
			if got.After(last) {
				last = got
			}
		}
	}
	return first, last, nil
}

// Read calls fn for every record of topic in the given per-partition offset
// ranges [from, to), in offset order within a partition.
func (k *Kafka) Read(ctx context.Context, topic string, ranges map[int][2]int64, fn func(r *kgo.Record)) error {
	parts := map[int32]kgo.Offset{}
	left := 0
	for p, r := range ranges {
		if r[1] > r[0] {
			parts[int32(p)] = kgo.NewOffset().At(r[0])
			left++
		}
	}
	if left == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}),
		kgo.FetchMaxBytes(64<<20), kgo.FetchMaxPartitionBytes(16<<20))
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	done := map[int32]bool{}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("read %s: %w", topic, ctx.Err())
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = fmt.Errorf("read %s/%d: %w", t, p, err) })
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			rg := ranges[int(r.Partition)]
			if done[r.Partition] || r.Offset < rg[0] {
				return
			}
			if r.Offset >= rg[1] {
				return
			}
			fn(r)
			if r.Offset == rg[1]-1 {
				done[r.Partition] = true
				left--
			}
		})
	}
	return nil
}

// Sample is one observation while waiting for records.
type Sample struct {
	At    time.Time
	Count int64
	Proc  ProcStat
}

// WaitCount polls the topics' end offsets (and the process pid, when not 0)
// every interval until they hold want records in total. It fails when the
// count stops growing for stall, or when the process exits. The samples
// cover the whole wait.
func (k *Kafka) WaitCount(ctx context.Context, want int64, pid int, stall time.Duration, topics ...string) ([]Sample, error) {
	const interval = 50 * time.Millisecond
	var samples []Sample
	lastGrowth := time.Now()
	var last int64 = -1
	for {
		n, err := k.Count(ctx, topics...)
		s := Sample{At: time.Now(), Count: n}
		if pid > 0 {
			ps, perr := ReadProc(pid)
			if perr != nil && err == nil && n < want {
				return samples, fmt.Errorf("process %d ended with %d of %d records in %v", pid, n, want, topics)
			}
			s.Proc = ps
		}
		if err == nil {
			samples = append(samples, s)
			if n >= want {
				return samples, nil
			}
			if n != last {
				last = n
				lastGrowth = s.At
			}
		}
		if time.Since(lastGrowth) > stall {
			return samples, fmt.Errorf("%d of %d records in %v; none for %v (last error: %v)", max(last, 0), want, topics, stall, err)
		}
		select {
		case <-ctx.Done():
			return samples, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Percentiles returns the p-th percentiles (0..100) of vs, which it sorts.
func Percentiles(vs []float64, ps ...float64) []float64 {
	out := make([]float64, len(ps))
	if len(vs) == 0 {
		return out
	}
	sort.Float64s(vs)
	for i, p := range ps {
		rank := int(math.Ceil(p / 100 * float64(len(vs)))) // nearest rank, 1-based
		rank = min(max(rank, 1), len(vs))
		out[i] = vs[rank-1]
	}
	return out
}
