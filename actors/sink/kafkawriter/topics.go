package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// defaultTopicMaxMessageBytes is Kafka's default max.message.bytes.
const defaultTopicMaxMessageBytes = 1048588

// EnsureTopics makes sure each topic exists and returns every topic's actual
// partition count. topics maps a topic to the partition count to create it
// with (0 = the sink's partitions). Missing topics are created when the sink
// says create_topics: missing, with the sink's replication factor (and
// max.message.bytes raised to the sink's max_message_bytes when that is above
// Kafka's default); otherwise a missing topic is a terminal error saying how
// to create it. A topic that exists with another partition count is not an
// error here: the counts are returned and the caller decides.
//
// It reads fresh metadata (not the write path's cache), so a topic created
// a moment ago by someone else is seen.
func (w *Writer) EnsureTopics(ctx context.Context, topics map[string]int) (map[string]int, error) {
	if len(topics) == 0 {
		return map[string]int{}, nil
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)

	counts, missing, err := w.describe(ctx, names)
	if err != nil {
		return nil, err
	}
	if len(missing) == 0 {
		return counts, nil
	}
	if w.st.createTopics != topology.CreateTopicsMissing {
		var errs []error
		for _, t := range missing {
			errs = append(errs, fmt.Errorf("topic %s does not exist and the sink's create_topics is %q: create it (kafka-topics.sh --create --topic %s --partitions %d --replication-factor %d) or set create_topics: missing",
				t, w.st.createTopics, t, w.partitionsFor(topics[t]), w.st.replication))
		}
		return counts, errkind.Terminal(fmt.Errorf("kafka sink %q: %w", w.sink, errors.Join(errs...)))
	}

	req := &kafka.CreateTopicsRequest{}
	for _, t := range missing {
		tc := kafka.TopicConfig{Topic: t, NumPartitions: w.partitionsFor(topics[t]), ReplicationFactor: w.st.replication}
		if w.st.maxMessageBytes > defaultTopicMaxMessageBytes {
			tc.ConfigEntries = []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(w.st.maxMessageBytes)}}
		}
		req.Topics = append(req.Topics, tc)
	}
	res, err := w.client.CreateTopics(ctx, req)
	if err != nil {
		return counts, fmt.Errorf("kafka sink %q: creating topics %v: %w", w.sink, missing, err)
	}
	var errs []error
	var raced []string
	for _, tc := range req.Topics {
		switch err := res.Errors[tc.Topic]; {
		case err == nil:
			counts[tc.Topic] = tc.NumPartitions
			w.log.Info("created topic", "topic", tc.Topic, "partitions", tc.NumPartitions, "replication_factor", tc.ReplicationFactor)
		case errors.Is(err, kafka.TopicAlreadyExists):
			raced = append(raced, tc.Topic)
		default:
			e := fmt.Errorf("creating topic %s (%d partitions, replication factor %d): %w", tc.Topic, tc.NumPartitions, tc.ReplicationFactor, err)
			if errors.Is(err, kafka.InvalidReplicationFactor) {
				e = fmt.Errorf("%w: the cluster has fewer brokers than the sink's replication_factor; lower it", e)
			}
			if !retryable(err) || errors.Is(err, kafka.InvalidReplicationFactor) || errors.Is(err, kafka.InvalidPartitionNumber) {
				e = errkind.Terminal(e)
			}
			errs = append(errs, e)
		}
	}
	if len(raced) > 0 {
		// Created by someone else in the meantime: read their counts.
		c, still, err := w.describe(ctx, raced)
		if err != nil {
			errs = append(errs, err)
		}
		for t, n := range c {
			counts[t] = n
		}
		for _, t := range still {
			errs = append(errs, fmt.Errorf("topic %s reported as existing but has no metadata yet", t))
		}
	}
	if len(errs) > 0 {
		return counts, fmt.Errorf("kafka sink %q: %w", w.sink, errors.Join(errs...))
	}
	return counts, nil
}

func (w *Writer) partitionsFor(n int) int {
	if n > 0 {
		return n
	}
	return w.st.partitions
}

// PartitionCounts reads the current partition counts of topics from fresh
// metadata, without creating any; topics the cluster does not know are
// left out.
func (w *Writer) PartitionCounts(ctx context.Context, topics []string) (map[string]int, error) {
	counts, _, err := w.describe(ctx, topics)
	return counts, err
}

// describe reads the partition counts of names through a fresh connection
// (kafka-go's transport serves metadata from a cache refreshed every few
// seconds). Topics unknown to the cluster are returned in missing.
func (w *Writer) describe(ctx context.Context, names []string) (map[string]int, []string, error) {
	tr, err := newTransport(w.sinkCfg, "sluice-admin")
	if err != nil {
		return nil, nil, err
	}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(w.st.brokers...), Transport: tr, Timeout: w.st.requestTimeout}
	ctx, cancel := context.WithTimeout(ctx, w.st.requestTimeout)
	defer cancel()
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		e := fmt.Errorf("kafka sink %q: reading metadata of topics %v: %w", w.sink, names, err)
		if hint := hintFor(err); hint != "" {
			e = fmt.Errorf("%w: %s", e, hint)
		}
		if !retryable(err) {
			e = errkind.Terminal(e)
		}
		return nil, nil, e
	}
	counts := make(map[string]int, len(names))
	var missing []string
	for _, t := range md.Topics {
		switch {
		case t.Error == nil:
			counts[t.Name] = len(t.Partitions)
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			missing = append(missing, t.Name)
		case errors.Is(t.Error, kafka.TopicAuthorizationFailed):
			return nil, nil, errkind.Terminal(fmt.Errorf("kafka sink %q: topic %s: %w: grant the sink's user DESCRIBE and WRITE on it", w.sink, t.Name, t.Error))
		default:
			return nil, nil, fmt.Errorf("kafka sink %q: metadata of topic %s: %w", w.sink, t.Name, t.Error)
		}
	}
	for _, n := range names {
		if _, ok := counts[n]; !ok && !contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return counts, missing, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
