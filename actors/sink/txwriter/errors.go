package txwriter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/kafkacode"
	"github.com/sluicecdc/sluice/internal/kafkatls"
)

// FencedError says that the broker refused the writer's transaction as one
// of an older producer: a newer producer opened the transactional id, so the
// task now runs on another node (or, with no other node, the broker aborted
// a transaction older than the transaction timeout). It is always terminal:
// reopening would fence the new owner in turn.
type FencedError struct {
	Sink, TransactionalID string
	Err                   error
}

func (e *FencedError) Error() string {
	return fmt.Sprintf("kafka sink %q: the task is now owned by another node: a newer producer opened transactional id %q and the broker refused this one (%v); "+
		"this node writes nothing more to Kafka and what it had not committed stays invisible to read_committed consumers. "+
		"If no other node runs the task, the broker aborted a transaction older than the transaction timeout: start the task again",
		e.Sink, e.TransactionalID, e.Err)
}

func (e *FencedError) Unwrap() error { return e.Err }

// TxnError says which transaction, or the opening of which transactional
// id, failed and why. It wraps the cause; errkind.IsTerminal tells whether
// retrying can help.
type TxnError struct {
	Sink, TransactionalID string
	// Submissions and Records count what the transaction held, FirstSeq and
	// LastSeq the sequence numbers of its first and last records; all zero
	// when opening failed.
	Submissions, Records int
	FirstSeq, LastSeq    uint64
	Err                  error
}

func (e *TxnError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kafka sink %q: ", e.Sink)
	if e.Submissions > 0 {
		fmt.Fprintf(&b, "transaction of %d records (seq %d-%d) under transactional id %q aborted: ", e.Records, e.FirstSeq, e.LastSeq, e.TransactionalID)
	}
	b.WriteString(e.Err.Error())
	if hint := hintFor(e.Err); hint != "" {
		b.WriteString(": ")
		b.WriteString(hint)
	}
	return b.String()
}

func (e *TxnError) Unwrap() error { return e.Err }

// classify wraps a failure of the transaction txn (nil: of opening) and
// marks it terminal when retrying cannot help.
func (w *Writer) classify(err error, txn []*submission) error {
	var ke *kerr.Error
	if errors.As(err, &ke) && kafkacode.Fenced(ke.Code) {
		return errkind.Terminal(&FencedError{Sink: w.sink, TransactionalID: w.txnID, Err: err})
	}
	e := &TxnError{Sink: w.sink, TransactionalID: w.txnID, Submissions: len(txn), Err: err}
	if len(txn) > 0 {
		e.FirstSeq, e.LastSeq = txn[0].firstSeq, txn[len(txn)-1].last
		for _, s := range txn {
			e.Records += len(s.recs)
		}
	}
	if errkind.IsTerminal(err) || (ke != nil && kafkacode.Terminal(ke.Code)) || kafkatls.Permanent(err) || missingTopic(err) {
		return errkind.Terminal(e)
	}
	return e
}

// missingTopic reports whether err says that the topic or the partition a
// record names does not exist (franz-go gives up on a topic after
// RecordDeliveryTimeout, and at once on a partition number beyond the
// topic's).
func missingTopic(err error) bool {
	return errors.Is(err, kerr.UnknownTopicOrPartition) || strings.Contains(err.Error(), "invalid record partitioning choice")
}

// hintFor returns how to fix an error, or "".
func hintFor(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		if h := kafkacode.Hint(ke.Code); h != "" {
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
