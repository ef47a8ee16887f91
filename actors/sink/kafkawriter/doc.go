// Package kafkawriter writes records to one sink's Kafka cluster: explicit
// partitions, acks from all in-sync replicas, batches by bytes, compression,
// TLS and SASL, and at most one in-flight batch per partition.
//
// It is plain code over segmentio/kafka-go's Client and Transport (not its
// Writer): the sink actor calls Write or Submit with encoded records and
// reports the acknowledged sequence numbers. It does not encode records,
// choose partitions (the router does) or keep checkpoints. Its Message,
// Pending and oversize rules are kafkarecord's, which every writer of a sink
// shares.
//
// # How records flow
//
// Write and Submit append each record to its topic-partition's queue, in
// call order. One goroutine per partition takes the head of its queue, up to
// batch_bytes (never above max_message_bytes), sends it as one Produce
// request with acks=all and waits for the answer before sending the next.
// Partitions proceed in parallel, each over its own connection from kafka-go's
// pool. While a batch is in flight the queue grows, so batches form by
// themselves under load; linger only delays a part-filled batch queued by
// Submit (a Write sends at once: its caller is waiting).
//
// # Ordering and retries
//
// kafka-go has no idempotent producer and no transactions. Sluice keeps one
// in-flight batch per partition, so a retried batch can never be overtaken
// by the next one. A retry after a timeout may write a batch twice (the
// broker may have appended it before the answer was lost): duplicates, in
// order, never gaps. Retryable errors (network, leader moves, not enough
// replicas, timeouts) are retried with backoff for Config.RetryFor; then the
// write fails with a retryable error and the supervisor restarts from the
// last checkpoint. Terminal errors (authentication, authorization, message
// too large, a topic or partition still missing after the retry window,
// TLS verification) fail at once, marked with errkind.Terminal.
//
// After any failure the Writer is failed: queued records are not sent, later
// writes return the first error. Close it and make a new one.
//
// # Why not kafka.Writer
//
// kafka-go's Writer also sends one batch at a time per partition, but when a
// batch exhausts its attempts it moves on to the next batch of that partition
// (a gap, then later records), it picks partitions through a Balancer with a
// metadata lookup per message, and a synchronous WriteMessages waits for the
// batch timeout on every part-filled batch. The Client's Produce call gives
// the same wire behaviour with control over all three.
//
// # Oversize records
//
// A record whose single-record batch exceeds max_message_bytes is never sent:
// with oversize: fail the records before it in the call are written, the
// call fails (terminal) naming table, binlog position, topic, partition, key,
// size, limit and the fix, and every later call is refused so that nothing
// overtakes it; with oversize: skip
// it is dropped, counted in Stats.Skipped and reported to Config.OnSkip, and
// the Write succeeds for the rest. The size is counted uncompressed, as the
// Java producer does, and slightly over-estimated (by at most 8 bytes), so a
// record the writer accepts always fits.
//
// # Sharp edges
//
//   - The caller must not change a record's bytes until its Write returns or
//     its Pending is done. Write waits for in-flight requests to settle even
//     when its context ends.
//   - Submit does not limit memory; the engine's credits do.
//   - kafka-go routes requests with a metadata cache refreshed every few
//     seconds and has no public refresh. On a leader move or an unknown topic
//     the writer forces one with a validate-only CreateTopics of the existing
//     topic (no effect on the cluster; needs no CREATE permission to trigger
//     the refresh). EnsureTopics reads fresh metadata on its own connection.
//   - kafka-go reports a failed connection setup (wrong SASL password,
//     untrusted certificate) as "topic not found" on produce; the writer
//     asks the transport for the real cause before classifying the error.
//   - Record timestamps are the time the batch is built (CreateTime); the
//     source commit time travels in headers.
//   - Importing the package replaces kafka-go's lz4 codec for the whole
//     process (kafka-go has one global codec table, no per-client codec):
//     lz4 batches are written by internal/lz4frame with pooled encoders
//     (lz4.go); decompression stays kafka-go's.
package kafkawriter
