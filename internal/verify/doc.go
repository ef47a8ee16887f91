// Package verify checks Sluice's output against its source, independently of
// the code that wrote it: it decodes Canal JSON records with encoding/json,
// replays a topic as upserts by key, and compares the result with the source
// tables row by row and value by value.
//
// Replay drops duplicates by source sequence (the sluice.seq header): within
// a partition, a record whose sequence is not above the highest one applied
// there is a re-send after a restart, and is counted, not applied. It also
// checks that every key stays in one partition.
//
// It is test support (internal): the end-to-end, restart and fault tests use
// it, and it is not part of the product.
package verify
