package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/kafkacode"
	"github.com/sluicecdc/sluice/internal/kafkatls"
)

// ErrClosed is returned by writes on a closed Writer.
var ErrClosed = kafkarecord.ErrClosed

// WriteError says which batch could not be written and why. It wraps the
// cause; errkind.IsTerminal tells whether retrying can help.
type WriteError struct {
	Sink      string
	Topic     string
	Partition int32
	// FirstSeq and LastSeq are the sequence numbers of the failed batch's
	// first and last records; Records its record count.
	FirstSeq, LastSeq uint64
	Records           int
	// LastOffset is the offset of the last record this Writer had written to
	// the partition before the failure, or -1 when none.
	LastOffset int64
	Attempts   int
	Err        error
}

func (e *WriteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kafka sink %q: writing topic %s partition %d failed after %d attempt(s) (batch of %d records, seq %d-%d; ",
		e.Sink, e.Topic, e.Partition, e.Attempts, e.Records, e.FirstSeq, e.LastSeq)
	if e.LastOffset >= 0 {
		fmt.Fprintf(&b, "last written offset %d", e.LastOffset)
	} else {
		b.WriteString("nothing written to it yet")
	}
	b.WriteString("): ")
	b.WriteString(e.Err.Error())
	if hint := hintFor(e.Err); hint != "" {
		b.WriteString(": ")
		b.WriteString(hint)
	}
	return b.String()
}

func (e *WriteError) Unwrap() error { return e.Err }

// OversizeError is the terminal error of the "fail" oversize policy.
type OversizeError = kafkarecord.OversizeError

// retryable reports whether a produce error may go away by itself: network
// trouble, leader moves, timeouts, a topic not yet in the metadata. Unknown
// errors are retryable, as everywhere in Sluice.
func retryable(err error) bool {
	if err == nil {
		return true
	}
	if errkind.IsTerminal(err) {
		return false
	}
	var ke kafka.Error
	if errors.As(err, &ke) && kafkacode.TerminalMessage(int16(ke), err.Error()) {
		return false
	}
	if kafkatls.Permanent(err) {
		return false
	}
	return true
}

// missingTopic reports whether err says the topic or partition is unknown.
func missingTopic(err error) bool {
	return errors.Is(err, kafka.UnknownTopicOrPartition) ||
		errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, protocol.ErrNoPartition)
}

// staleMetadata reports whether err suggests the cached cluster layout is
// out of date (a leader moved, a topic or partition appeared).
func staleMetadata(err error) bool {
	return errors.Is(err, kafka.NotLeaderForPartition) || errors.Is(err, kafka.LeaderNotAvailable) ||
		errors.Is(err, kafka.FencedLeaderEpoch) || errors.Is(err, kafka.UnknownLeaderEpoch) ||
		errors.Is(err, kafka.BrokerNotAvailable) || errors.Is(err, protocol.ErrNoLeader) || missingTopic(err)
}

// hintFor returns how to fix an error, or "".
func hintFor(err error) string {
	var ke kafka.Error
	if errors.As(err, &ke) {
		if h := kafkacode.HintMessage(int16(ke), err.Error()); h != "" {
			return h
		}
	}
	if missingTopic(err) {
		return kafkacode.FixMissingTopic
	}
	if h := kafkatls.Hint(err); h != "" {
		return h
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return kafkacode.FixTimeout
	}
	return ""
}
