package kafkarecord

import (
	"fmt"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Limits are one sink's rules for records that can never be written as
// they are.
type Limits struct {
	Sink            string
	MaxMessageBytes int
	Oversize        topology.OversizePolicy // fail or skip
	// Added is what the writer adds to every record after screening (a
	// cluster node's owner headers, HeadersSize): it counts against
	// MaxMessageBytes as the broker will count it.
	Added int
	// OnSkip, when set, receives every record the skip policy drops, on
	// the submitting goroutine, before the submission returns.
	OnSkip func(Skipped)
}

// Skipped describes a record the "skip" oversize policy did not send.
type Skipped struct {
	Topic     string
	Partition int32
	Seq       uint64
	// Table is the row's table ("db.table") and Position its binlog
	// position, when known.
	Table, Position string
	// Size is the record's size as a single-record batch; Limit the sink's
	// max message bytes.
	Size, Limit int
}

// Screen checks msgs before a writer queues any of them.
//
// With err nil every record may be written except those Fits refuses: there
// are skipped of them, each already reported to OnSkip.
//
// Otherwise err is terminal and names the record. A record too large under
// oversize: fail is an *OversizeError and n its index: the records before it
// are to be written (they precede it in every partition), nothing after it,
// in this call or a later one, so that nothing overtakes it; skips before it
// are not reported yet (the writer screens msgs[:n] again). A record without
// a topic or with a negative partition is another error, with n 0: nothing
// of the call is to be written.
func (l *Limits) Screen(msgs []Message) (n, skipped int, err error) {
	for i := range msgs {
		m := &msgs[i]
		if m.Topic == "" || m.Partition < 0 {
			return 0, 0, errkind.Terminal(fmt.Errorf("kafka sink %q: record seq %d has no topic or a negative partition (%q, %d)", l.Sink, m.Seq, m.Topic, m.Partition))
		}
		if size := l.size(m); size > l.MaxMessageBytes {
			if l.Oversize == topology.OversizeFail {
				return i, 0, errkind.Terminal(&OversizeError{Sink: l.Sink, Topic: m.Topic, Partition: m.Partition, Seq: m.Seq,
					Table: m.Table, Position: headerValue(m, "sluice.pos"), Key: m.Key, Size: size, Limit: l.MaxMessageBytes})
			}
			skipped++
		}
	}
	if skipped == 0 || l.OnSkip == nil {
		return len(msgs), skipped, nil
	}
	for i := range msgs {
		m := &msgs[i]
		if size := l.size(m); size > l.MaxMessageBytes {
			l.OnSkip(Skipped{Topic: m.Topic, Partition: m.Partition, Seq: m.Seq, Table: m.Table,
				Position: headerValue(m, "sluice.pos"), Size: size, Limit: l.MaxMessageBytes})
		}
	}
	return len(msgs), skipped, nil
}

// Fits reports whether m is written rather than skipped.
func (l *Limits) Fits(m *Message) bool { return l.size(m) <= l.MaxMessageBytes }

// size is m's batch size once the writer added its own bytes.
func (l *Limits) size(m *Message) int { return BatchSize(m) + l.Added }

// OversizeError is the terminal error of the "fail" oversize policy.
type OversizeError struct {
	Sink      string
	Topic     string
	Partition int32
	Seq       uint64
	// Table and Position say where the row came from, when known.
	Table    string
	Position string
	Key      []byte
	Size     int
	Limit    int
}

func (e *OversizeError) Error() string {
	from := ""
	if e.Table != "" {
		from = " from table " + e.Table
	}
	if e.Position != "" {
		from += " (binlog " + e.Position + ")"
	}
	return fmt.Sprintf("kafka sink %q: record seq %d%s for topic %s partition %d (key %s) is %d bytes, over the sink's max message bytes %d: "+
		"raise max.message.bytes on the topic (kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config max.message.bytes=N) "+
		"and max_message_bytes on the sink, or set oversize: skip on the sink to drop such records",
		e.Sink, e.Seq, from, e.Topic, e.Partition, keyText(e.Key), e.Size, e.Limit, e.Topic)
}

// keyText renders a record key for an error message, shortened.
func keyText(k []byte) string {
	if k == nil {
		return "null"
	}
	const max = 64
	s := k
	if len(s) > max {
		s = s[:max]
	}
	q := fmt.Sprintf("%q", s)
	if len(k) > max {
		q += fmt.Sprintf("... (%d bytes)", len(k))
	}
	return q
}
