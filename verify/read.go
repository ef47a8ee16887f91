package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ReadAll reads every committed record of topic present now, as a
// read_committed consumer sees it (records of aborted transactions and the
// transaction markers left out), ordered by partition, then offset, as
// Replay expects.
func ReadAll(ctx context.Context, broker, topic string) ([]kafka.Message, error) {
	byPart := map[int][]kafka.Message{}
	parts := 0
	err := Stream(ctx, topic, func(m kafka.Message) error {
		byPart[m.Partition] = append(byPart[m.Partition], m)
		parts = max(parts, m.Partition+1)
		return nil
	}, kgo.SeedBrokers(broker))
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for p := range parts {
		out = append(out, byPart[p]...)
	}
	return out, nil
}

// stall is how long a read may go without a record before Stream gives up.
const stall = 30 * time.Second

// Stream reads every committed record of topic present when it starts, in
// offset order within each partition (partitions interleave), and hands
// each to fn; an error from fn ends the read. opts connect the client
// (seed brokers, TLS, SASL).
func Stream(ctx context.Context, topic string, fn func(kafka.Message) error, opts ...kgo.Opt) error {
	opts = append(opts, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(), kgo.FetchMaxWait(200*time.Millisecond))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ends, err := stableOffsets(ctx, cl, topic)
	if err != nil {
		return err
	}
	// Every transaction ends with a marker at its last offset, which
	// KeepControlRecords returns: a partition is read once a record at or
	// past its last stable offset minus one came back.
	next := map[int32]int64{}
	done := func() bool {
		for p, end := range ends {
			if next[p] < end {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(stall)
	for !done() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no record for %s while reading up to the last stable offsets %v (read up to %v)", topic, stall, ends, next)
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return err
		}
		fs.EachError(func(t string, p int32, e error) {
			if err == nil && !isTimeout(e) {
				err = fmt.Errorf("%s/%d: %w", t, p, e)
			}
		})
		if err != nil {
			return err
		}
		fs.EachRecord(func(r *kgo.Record) {
			deadline = time.Now().Add(stall)
			next[r.Partition] = max(next[r.Partition], r.Offset+1)
			if r.Attrs.IsControl() || err != nil {
				return
			}
			m := kafka.Message{Topic: r.Topic, Partition: int(r.Partition), Offset: r.Offset, Key: r.Key, Value: r.Value, Time: r.Timestamp}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
			}
			err = fn(m)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func isTimeout(err error) bool { return err == context.DeadlineExceeded }

// stableOffsets is each partition's last stable offset: where a
// read_committed consumer stops now.
func stableOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	if len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode != 0 {
		return nil, fmt.Errorf("partitions of %s: no such topic", topic)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1 // read_committed: the last stable offset
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p.Partition, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	ends := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return nil, fmt.Errorf("end offset of %s/%d: error code %d", topic, p.Partition, p.ErrorCode)
			}
			ends[p.Partition] = p.Offset
		}
	}
	return ends, nil
}
