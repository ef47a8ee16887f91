// Package kafkatls maps a sink's TLS settings (topology.KafkaTLS) to a
// crypto/tls configuration — the CA file to trust (else the system roots),
// an optional client certificate, TLS 1.2 or later — and classifies TLS
// failures: which ones retrying cannot cure (Permanent) and how to fix them
// (Hint). Every Kafka writer of a sink goes through it — kafkawriter
// (kafka-go) and txwriter (franz-go) — so that one setting means, and one
// failure reads, the same for both.
//
// What it is not: a dialer; it opens no socket. The server name is left
// empty: both clients set it from the broker address they dial.
//
// Sharp edge: errors name file paths, never the contents of a key; callers
// mark them terminal (retrying cannot fix a file).
package kafkatls
