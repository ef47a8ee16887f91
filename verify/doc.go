// Package verify checks Sluice's output against its source, independently of
// the code that wrote it: `sluice verify` and the test suites use it.
//
// It reads a task's topics with a client of its own (franz-go, as a
// read_committed consumer, from the earliest offset), decodes every format
// Sluice writes (Canal JSON in both flavours, Debezium JSON, DTS Avro with
// linkedin/goavro) into rows whose values are reduced to one text form per
// column kind (Kind), replays them as upserts by key (Replayer), and compares
// the result with the source tables (Compare): the table's keys are listed
// in chunks, every key is checked for being missing or extra, each chunk's
// checksum is computed by the server (COUNT and BIT_XOR of MD5 row digests)
// and by verify over the replayed rows, and only chunks whose checksums
// differ are read row by row. It reads with plain SELECTs and needs no more
// than the SELECT privilege the task's account has.
//
// Sharp edges. A comparison against a live task races the writers: a row
// changed after its topic was read shows as differing; run it again, or on a
// quiet table. FLOAT and DOUBLE columns are left out of the checksums (the
// server's text of them is not the formats'): they are compared, as numbers,
// only in chunks read row by row. A zero date that Debezium JSON writes as
// null or the epoch differs from the server's 0000-00-00.
//
// The suites also use Replay (with dropping of re-sends by the sluice.seq
// header), AuditTopic (re-sends identical, per-key order without gaps) and
// the older whole-table SourceRows and Diff.
package verify
