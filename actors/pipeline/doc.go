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
// Any error fails the actor: its source's recovery unit (actors/source)
// restarts the reader and the pipelines from the last durable mark, with
// backoff, for the source's retry window, so no batch is lost with the actor
// and nothing waits inside Receive.
package pipeline
