// Package codecs turns changes into Kafka records in the formats Sluice
// writes: Canal JSON (flavours dts and canal), DTS Avro, Debezium JSON and
// Avro through a Confluent-compatible schema registry.
// New picks the encoder for a sink's format; the engine's Kafka writer calls
// Encode once per change on the hot path.
//
// The shared contract (Record, Header, Encoder, Options, the position
// headers) lives in the leaf package codecs/codec and is re-exported here;
// each format is its own package (canaljson, dtsavro, debeziumjson,
// confluentavro), registry is the schema registry client, and codectest is
// the conformance suite they all pass.
//
// It is not the writer: it does not choose topics or partitions, batch, or
// talk to Kafka.
//
// Sharp edges:
//   - Encoders are not safe for concurrent use; make one per writer.
//   - Every record carries its source position in headers sluice.pos,
//     sluice.gtid (when the change has one), sluice.row and sluice.seq; the
//     codecs write them (codec.PositionHeaders), the writer must not.
//   - Reuse a Record with Record.Reset, not by reslicing Value: Value is
//     capped because the header bytes live behind it.
//   - A format whose deletes are followed by tombstones implements
//     TombstoneEncoder; the writer checks for it with a type assertion.
//   - Formats avro and dts-avro (with a registry) register schemas inside
//     Encode, once per table version and topic: that call can fail with a
//     retryable error (registry unreachable), unlike every other encode
//     error. OptionsFor makes the registry client from the sink.
//   - Docs: docs/formats.md (decisions) and docs/types.md (every type).
package codecs
