package kafkarecord

import "github.com/segmentio/kafka-go/protocol"

// Message is one Kafka record to write. Key nil means a null key.
type Message struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []protocol.Header
	// Seq is the change's per-source sequence number; Table names the
	// change's table ("db.table"). Errors and skip reports name them.
	Seq   uint64
	Table string
}

// headerValue returns the value of m's header key, or "".
func headerValue(m *Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
