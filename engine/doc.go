// Package engine runs a validated topology: it opens the checkpoint store,
// prepares the Kafka topics, and spawns the protoactor-go supervision tree
//
//	task
//	├── checkpointer            ledgers of in-flight batches, bbolt commits
//	├── sink/<name>             one Kafka writer per sink
//	├── pipeline/<n>            transform → route → encode, one per DAG path
//	└── source/<name>           binlog reader, fans batches out to its pipelines
//
// The task actor is the supervisor of every stage: a retryable failure
// restarts the stage with exponential backoff for the source's retry window;
// a terminal failure, or a window exceeded, stops the task with that error.
// Run drains gracefully when its context ends: sources stop reading, the
// batches in flight are written and acknowledged, a final checkpoint is
// committed.
//
// It is not a scheduler across nodes (that is the later cluster mode) and it
// holds no per-row logic: every stage's work is plain code in actors/*.
package engine
