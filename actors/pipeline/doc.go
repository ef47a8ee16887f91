// Package pipeline is the actor for one DAG path (source → transforms →
// router → sink): it turns a source batch into the Kafka messages of that
// path and hands them to the sink actor.
//
// The work is plain code in Stage: transform (filters, projections, topic
// mapping), route (the partition policy), encode (the sink's format). One
// batch in gives at most one Write out; a batch that leaves nothing to write
// (all rows filtered, DDL ignored) is acknowledged to the checkpointer
// directly, so its credit and resume mark are never held back.
//
// Encoded keys and values of a batch share one arena buffer: one allocation
// per batch instead of one per record.
//
// A retryable error (a schema registry that does not answer) is retried in
// place, with backoff, for the source's retry window: a restarted actor would
// never see the failed batch again, and its missing acknowledgement would
// hold the source's credit and checkpoint forever. A terminal error fails the
// actor and stops the task.
package pipeline
