// Package sink is the actor that writes one Kafka sink: a thin shell around
// a Writer — kafkawriter.Writer (kafka-go) for `sluice run`, or
// txwriter.Writer (franz-go, transactional) where a task must be fenced
// against an older owner.
//
// Each Write it receives is submitted at once (the writers keep them in
// order per partition and pipeline them), so encoding, actor hops and Kafka
// round trips overlap. After each submission the actor commits: one Commit
// runs at a time, on its own goroutine, and the next follows it when more
// was submitted meanwhile, so that under load a transaction holds what
// arrived during the previous commit. When a submission is durable
// (acknowledged with acks=all, and committed for a transactional writer) the
// actor reports BatchAcked to the checkpointer: a checkpoint never covers a
// record that is not durable.
//
// A Writer fails as a whole on its first error so that nothing is written
// after a gap. On a retryable error the actor therefore waits for every
// in-flight submission to settle, closes the writer, backs off
// exponentially, opens a new writer and resubmits every unacknowledged Write
// in arrival order: per-partition order is kept, records already written may
// be written again (at-least-once; a transactional writer's aborted records
// stay invisible to read_committed consumers). This goes on for the retry
// window, while the sources run out of credit and stop reading. After the
// window, or on a terminal error (a record too large with oversize=fail,
// authentication refused, a producer fenced by a newer owner), the actor
// fails and the task stops with that error.
//
// A sink is shared by the sources that feed it. When one source's recovery
// unit restarts, it sends DropSource: that source's queued Writes of older
// epochs are dropped unacknowledged, since the source reads them again.
package sink
