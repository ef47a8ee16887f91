// Package kafkatls maps a sink's TLS settings (topology.KafkaTLS) to a
// crypto/tls configuration: the CA file to trust (else the system roots), an
// optional client certificate, TLS 1.2 or later. Every Kafka client of a sink
// goes through Config — kafkawriter (kafka-go) and txwriter (franz-go) — so
// that one setting means the same thing to both.
//
// What it is not: a dialer; it opens no socket. The server name is left
// empty: both clients set it from the broker address they dial.
//
// Sharp edge: errors name file paths, never the contents of a key; callers
// mark them terminal (retrying cannot fix a file).
package kafkatls
