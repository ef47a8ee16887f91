package kafkawriter

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// diagnose looks behind a "topic not found" error. kafka-go's transport
// routes a produce request with cached metadata; when it could never connect
// (wrong SASL password, untrusted TLS certificate, a plaintext listener) the
// cache is empty and every request fails with "topic not found", while the
// real cause is kept for metadata requests. Ask for it.
func (w *Writer) diagnose(ctx context.Context, topic string, err error) error {
	if !missingTopic(err) {
		return err
	}
	if _, merr := w.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}}); merr != nil {
		return fmt.Errorf("cannot reach the cluster: %w", merr)
	}
	return err
}

// refreshMetadata makes kafka-go's transport re-read the cluster layout
// now rather than at its next periodic refresh (up to MetadataTTL away), so
// that a moved partition leader is found within one retry. The transport has
// no public refresh, but refreshes synchronously after every CreateTopics
// round trip; a validate-only creation of an existing topic changes nothing
// on the cluster (it answers TOPIC_ALREADY_EXISTS, or an authorization error,
// and either way the refresh happens). At most one per second per Writer.
func (w *Writer) refreshMetadata(topic string) {
	w.refreshMu.Lock()
	if time.Since(w.refreshed) < time.Second {
		w.refreshMu.Unlock()
		return
	}
	w.refreshed = time.Now()
	w.refreshMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = w.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics:       []kafka.TopicConfig{{Topic: topic, NumPartitions: -1, ReplicationFactor: -1}},
		ValidateOnly: true,
	})
}
