// Package bench is Sluice's benchmark harness: it writes a workload into
// MySQL/MariaDB, runs Sluice (and, as an anchor, Debezium on Kafka Connect)
// against it, and measures what arrives in Kafka.
//
// What it measures, and from where:
//
//   - throughput: row events counted in Kafka (the topic's end offsets), not by
//     Sluice; the span between the first and the last record's append time;
//   - freshness: a record's Kafka timestamp (the topic is created with
//     message.timestamp.type=LogAppendTime, so it is the broker's clock) minus
//     the time the workload generator sent the statement that wrote the row,
//     carried in the row's ts_us column;
//   - CPU seconds and peak RSS of the Sluice (or Java) process from
//     /proc/PID/stat, /proc/PID/status and the wait4 rusage, not self-reported;
//   - source load: deltas of MariaDB's global Questions counter.
//
// What it is not: a correctness test. It checks counts, not contents; the
// engine's tests prove no loss and order.
//
// Sharp edges:
//   - canal-json's "es" field carries the binlog event time, which MySQL
//     stores in whole seconds; it cannot measure freshness in milliseconds, so
//     the generator stamps each row itself (ts_us, microseconds, taken just
//     before the statement is sent, so freshness is an upper bound by the
//     statement's execution time).
//   - The machine is shared: other processes' load skews every figure. The
//     report records the load average before and after each run.
//   - Every other writer on the same MariaDB also lands in the binlog Sluice
//     reads (filtered out, but decoded up to the table map).
package bench
