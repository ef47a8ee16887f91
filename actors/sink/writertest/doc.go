// Package writertest is the conformance suite every sink.Writer passes:
// kafkawriter and txwriter run it from their tests, on an in-process kfake
// cluster (Fake, in short mode too) and on the test bed's Kafka (Bed).
//
// It checks the contract, not an implementation: records land in the
// partitions they name, in submission order, with their keys, values and
// headers; a Pending is done only once its records are durable and Commit
// makes everything submitted before it durable, also while Submits keep
// coming; the oversize policies accept, skip and refuse exactly what
// kafkarecord says, with the same errors; records without a topic or with a
// partition the topic lacks are terminal; Close leaves no Pending behind;
// a broker that refuses for good fails the writer terminally with the fix,
// one that refuses for a while is retried in order, then given up with a
// retryable error. Records are read back by an independent client
// (franz-go) with read_committed isolation: what a consumer of a
// transactional writer sees.
//
// The cases that make the broker fail need kfake's request control and run
// on Fake only; the real broker proves the rest.
package writertest
