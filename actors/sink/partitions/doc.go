// Package partitions guards the partition counts a task routes by.
//
// A record's partition is its key's hash modulo the topic's partition count
// (docs/partitioning.md), so a count that changes moves keys to other
// partitions: one key's changes would then sit in two partitions and a
// consumer could apply them out of order. The task therefore records each
// topic's count with its checkpoints, and Changed compares a recorded set
// with the counts Kafka reports now: at start (the engine and the precheck)
// and every CheckEvery while the task runs (the sink actor).
//
// It is not the router (actors/pipeline/router computes partitions) and it
// does not talk to Kafka: callers pass the counts they read.
package partitions
