// Package sink is the actor that writes one Kafka sink: a thin shell around
// kafkawriter.Writer.
//
// Each Write it receives is submitted at once (kafkawriter keeps them in
// order per partition and pipelines them, one request in flight per
// partition), so encoding, actor hops and Kafka round trips overlap. When a
// submission is acknowledged (acks=all) the actor reports BatchAcked to the
// checkpointer.
//
// A kafkawriter.Writer fails as a whole on its first error so that nothing is
// written after a gap. On a retryable error the actor therefore waits for
// every in-flight submission to settle, closes the writer, backs off
// exponentially, opens a new writer and resubmits every unacknowledged Write
// in arrival order: per-partition order is kept, records already written may
// be written again (at-least-once). This goes on for the retry window, while
// the sources run out of credit and stop reading. After the window, or on a
// terminal error (a record too large with oversize=fail, authentication
// refused), the actor fails and the task stops with that error.
//
// A sink is shared by the sources that feed it. When one source's recovery
// unit restarts, it sends DropSource: that source's queued Writes of older
// epochs are dropped unacknowledged, since the source reads them again.
package sink
