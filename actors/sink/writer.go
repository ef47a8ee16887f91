package sink

import (
	"context"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
)

// Writer writes one sink's records to Kafka. kafkawriter.Writer (kafka-go)
// makes a record durable when all in-sync replicas acknowledge it;
// txwriter.Writer (franz-go) when the Kafka transaction holding it commits.
// The suite in actors/sink/writertest holds every implementation to this
// contract (each asserts it beside the suite's run). A Writer is safe for concurrent use: the actor submits from its
// goroutine while a Commit runs on another.
type Writer interface {
	// Submit queues msgs and returns at once; it never blocks on Kafka.
	// Records of one partition are written in submission order, to the
	// partition each names. The Pending is done when every record is durable
	// or when the submission failed; msgs and their bytes must not change
	// until then. Records over max_message_bytes are skipped or refused as
	// kafkarecord.Limits.Screen says.
	//
	// After a failure the Writer is failed: later Submits fail at once with
	// that error and nothing submitted after it is written. An error marked
	// terminal (errkind) cannot be cured by retrying; otherwise close the
	// Writer, open a new one and submit again from the first submission not
	// yet done (records may then be written twice, never out of order).
	Submit(msgs []kafkarecord.Message) *kafkarecord.Pending

	// Commit makes every record submitted before the call durable and
	// returns once it is, with nil, or with the error of a submission that
	// failed (its Pending carries it too). For a writer without transactions
	// it only waits for the acknowledgements. A transactional writer's
	// records become visible to read_committed consumers here, and never if
	// Commit fails. If ctx ends first Commit returns ctx's error; a
	// transactional writer is then failed (its transaction's outcome is
	// unknown).
	Commit(ctx context.Context) error

	// Close stops the Writer and waits for its requests to settle: when it
	// returns, every Pending is done. Records not yet durable are sent
	// (kafkawriter) or aborted with their transaction (txwriter); their
	// Pendings say which. It is safe to call more than once.
	Close() error
}
