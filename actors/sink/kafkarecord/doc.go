// Package kafkarecord is what every Kafka writer of a sink shares: the
// record it takes (Message), the outcome of a submission (Pending), and the
// rules that decide before anything is sent whether a record can be written
// at all (its size against max_message_bytes under the oversize policy,
// reported as Skipped or OversizeError). kafkawriter (kafka-go) and txwriter
// (franz-go, transactional) apply the same rules, so that both accept, skip
// and refuse the same records with the same errors.
//
// It writes nothing and holds no connection.
//
// Sharp edges:
//   - Message.Headers keeps kafka-go's header type: the pipeline builds
//     headers in one arena per batch and kafkawriter sends them as they are;
//     other writers convert them per submission, not per record.
//   - Sizes are counted uncompressed, as the Java producer counts them, and
//     slightly over-estimated (by at most 8 bytes), so that a record the
//     rules accept always fits the broker's max.message.bytes.
package kafkarecord
