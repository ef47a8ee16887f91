package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ReadAll reads every record of topic present now, partition by partition
// (ordered by partition, then offset, as Replay expects).
func ReadAll(ctx context.Context, broker, topic string) ([]kafka.Message, error) {
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, err
	}
	parts, err := conn.ReadPartitions(topic)
	_ = conn.Close()
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	var out []kafka.Message
	for p := range len(parts) {
		msgs, err := readPartition(ctx, broker, topic, p)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

func readPartition(ctx context.Context, broker, topic string, p int) ([]kafka.Message, error) {
	conn, err := kafka.DialLeader(ctx, "tcp", broker, topic, p)
	if err != nil {
		return nil, fmt.Errorf("%s/%d: %w", topic, p, err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return nil, fmt.Errorf("%s/%d offsets: %w", topic, p, err)
	}
	if _, err := conn.Seek(first, kafka.SeekAbsolute); err != nil {
		return nil, err
	}
	var out []kafka.Message
	for off := first; off < last; {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := conn.ReadBatch(1, 16<<20)
		for {
			m, err := b.ReadMessage()
			if err != nil {
				break
			}
			out = append(out, m)
			off = m.Offset + 1
		}
		if err := b.Close(); err != nil {
			return nil, fmt.Errorf("%s/%d at offset %d: %w", topic, p, off, err)
		}
	}
	return out, nil
}
