package kafkarecord

import "github.com/segmentio/kafka-go/protocol"

// BatchOverhead is the size of a record batch (v2) without its records,
// log overhead included, as the broker counts it against max.message.bytes.
const BatchOverhead = 61

// RecordSize is the encoded size of m inside a batch, with the timestamp
// delta counted at its largest likely width.
func RecordSize(m *Message) int {
	n := 1 + 5 + 5 + // attributes, timestamp delta, offset delta
		varintSize(len(m.Key)) + len(m.Key) +
		varintSize(len(m.Value)) + len(m.Value) +
		varintSize(len(m.Headers))
	for i := range m.Headers {
		h := &m.Headers[i]
		n += varintSize(len(h.Key)) + len(h.Key) + varintSize(len(h.Value)) + len(h.Value)
	}
	return varintSize(n) + n
}

// BatchSize is the size of m alone in a record batch: what the broker
// compares with max.message.bytes (before compression).
func BatchSize(m *Message) int { return BatchOverhead + RecordSize(m) }

// varintSize is the zig-zag varint size of a length (-1 for nil counts 1).
func varintSize(n int) int {
	u := uint64(n) << 1
	s := 1
	for u >= 0x80 {
		u >>= 7
		s++
	}
	return s
}

// HeadersSize is what hs add to a record that has headers already, the
// length varints of the record and of its header count growing by at most a
// byte each.
func HeadersSize(hs []protocol.Header) int {
	n := 2
	for i := range hs {
		n += varintSize(len(hs[i].Key)) + len(hs[i].Key) + varintSize(len(hs[i].Value)) + len(hs[i].Value)
	}
	return n
}
