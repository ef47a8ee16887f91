// Package txwriter writes one sink's records to Kafka in transactions, with
// franz-go's transactional producer, so that a task that moved to another
// node is fenced: the new owner's writer opens the same transactional id
// (TransactionalID: sluice/<task>/<sink>), which aborts the old owner's open
// transaction and makes its every later produce and commit fail. A paused or
// partitioned old owner therefore adds nothing that read_committed
// consumers see after the takeover.
//
// It is the sink actor's Writer like kafkawriter, with the same settings
// (brokers, TLS, SASL PLAIN and SCRAM-SHA-256/512, compression, linger, max
// message bytes and the oversize policies of kafkarecord), acks=all,
// idempotence, and the partitions the router chose (lz4 batches are
// compressed by internal/lz4frame with pooled encoders, as kafkawriter's).
// It does not encode
// records, choose partitions, create topics (kafkawriter.EnsureTopics does,
// before the task starts) or keep checkpoints.
//
// # Transactions and Pendings
//
// Open initialises the producer id (InitProducerID): from then on every older
// producer of the id is fenced. Submit produces into the open transaction,
// beginning one when none is open. Commit flushes and commits it; only then
// are its submissions' Pendings done, so the checkpoint that follows their
// BatchAcked never covers an uncommitted record. While a Commit runs, new
// submissions wait inside the writer and go into the next transaction. One
// transaction therefore spans every Submit between two Commits; the sink
// actor commits again as soon as the previous Commit returns.
//
// # Ordering and failures
//
// The idempotent producer numbers each partition's batches, so up to five
// requests may be in flight per broker without reordering or duplicating
// within a transaction. Retryable errors are retried by franz-go for
// RetryFor per record. Any failure aborts the transaction, fails its
// Pendings and fails the Writer: the actor closes it, opens a new one (which
// aborts anything left open) and submits again. Aborted records are never
// visible to read_committed consumers; read_uncommitted consumers see them,
// followed by the retry (at-least-once). A fenced writer fails with a
// terminal *FencedError: the task stops on this node and must not reopen
// the id, which would fence the new owner in turn.
//
// # Sharp edges
//
//   - batch_bytes is not used: franz-go bounds a batch by max_message_bytes,
//     its one limit for the largest record and the largest batch.
//   - Open connects (kafkawriter.New does not): an unreachable cluster fails
//     Open with a retryable error.
//   - The client reads the records' bytes until their Pending is done.
//   - A transaction left open by a crashed owner holds read_committed
//     consumers at its first offset until a new owner opens the id or the
//     transaction timeout (2 min by default) passes.
//   - Submit converts each submission into franz-go records in one slice,
//     headers in another: allocations per submission, none per record of
//     ours; franz-go keeps a little state per record while it is in flight.
package txwriter
