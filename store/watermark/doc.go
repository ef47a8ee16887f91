// Package watermark decides, for one source, which resume mark is durable:
// the newest change.Mark whose Seq every pipeline of the source has
// acknowledged through.
//
// A source numbers its changes with dense sequence numbers (every Seq is
// used, in order). Each pipeline (source → transforms → router → sink)
// acknowledges every Seq exactly once, whatever became of it: written to
// Kafka, dropped by a row filter, not selected by the pipeline, or a change
// that carries nothing to write. A change that goes to several sinks
// (one-to-many) is therefore acknowledged once per pipeline and counts only
// when all have; a change filtered out by one pipeline is acknowledged by
// that pipeline at once (Transformer.Apply returns its Seq).
//
// The Tracker keeps, per pipeline, a bitmap of acknowledged sequences above
// that pipeline's low watermark (the first Seq not yet acknowledged) in a
// ring of 64-bit words, so an ack costs O(1) and advancing the watermark
// O(1) amortised per 64 sequences; memory is one bit per in-flight sequence
// per pipeline. Marks wait in a FIFO until the minimum watermark passes them.
// Nothing allocates in steady state.
//
// It is not the checkpoint actor and not safe for concurrent use: one actor
// owns one Tracker per source.
//
// Sharp edges:
//   - Sequences must be dense. A Seq that no pipeline ever acknowledges stops
//     the watermark for good; acknowledge gaps with AckAll.
//   - Duplicate acknowledgements (a retried write acked twice) are harmless:
//     a bit is set once. Acknowledging a Seq below the watermark is ignored.
//   - Marks must be added in Seq order; a mark older than the durable one is
//     ignored.
package watermark
