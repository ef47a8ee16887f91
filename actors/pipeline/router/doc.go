// Package router assigns each change to a Kafka partition with one of the DTS
// partition policies, so that a key's changes always land in one partition.
//
// It is plain code: the router actor (in the engine) calls Partitioner for
// every change of a batch and sets Change.Partition. It does not choose
// topics (the transform stage does), does not look up partition counts (the
// caller passes them) and does not talk to Kafka.
//
// # Policies
//
//   - partition0: every change, data and DDL, to partition 0. The whole
//     stream keeps commit order.
//   - table_hash: hash of "schema.table". A table's rows and its DDL share a
//     partition; DDL not tied to a table goes to partition 0.
//   - pk_hash: hash of the key values: the table rule's partition_key columns
//     if set, else the primary key, else the first unique key. DDL and tables
//     without a key go to partition 0.
//   - columns_hash: hash of chosen columns (the table rule's partition_key,
//     else the router's columns). DDL goes to partition 0.
//
// # The hash, exactly
//
// h is Java's String.hashCode of an input string S: over the UTF-16 code
// units u of S, h = 31*h + u with 32-bit two's-complement wrap-around,
// starting from 0. The partition is |h % n| with % truncating toward zero as
// in Java and Go (so h = Integer.MIN_VALUE is safe: the remainder is never
// MIN_VALUE). In Java:
//
//	int p = Math.abs(S.hashCode() % n);
//
// S is, per policy:
//
//   - table_hash: schema + "." + table, e.g. "shop.orders".
//   - pk_hash, columns_hash: the canonical text of each hashed column's
//     value, joined with "," in key order. A one-column key is just its text:
//     id 42 hashes "42"; (tenant 7, name "Zoë") hashes "7,Zoë".
//
// Canonical value text:
//
//   - NULL: "" (empty).
//   - signed and unsigned integers (TINYINT..BIGINT, YEAR, BIT): decimal,
//     with a leading "-" when negative; unsigned values never negative.
//   - FLOAT, DOUBLE: the shortest decimal that reads back to the same
//     float32/float64, plain notation without exponent ("1", "0.5", "-2.25",
//     "100000000000000000000").
//   - DECIMAL, DATE, TIME, DATETIME, TIMESTAMP, ENUM, SET, JSON: the text the
//     decoder produced (see change/value.go), e.g. "12.50", "2024-01-31".
//   - strings and BLOB/TEXT bytes: columns with charset "binary", "latin1" or
//     "ascii" map each byte to one UTF-16 unit (ISO-8859-1); every other
//     charset is read as UTF-8, each byte of an invalid sequence becoming
//     U+FFFD, and code points above U+FFFF become surrogate pairs.
//
// Worked examples (n = 8), checked against Java 17: S = "shop.orders" gives
// h = 570428637, partition 5; S = "42" gives h = 1662, partition 6;
// S = "7,Zoë" gives h = 52194625, partition 1. docs/partitioning.md has more.
//
// # Sharp edges
//
//   - Updates are routed by the after image, deletes by the before image. An
//     update that changes the key therefore lands in the new key's partition,
//     not the old one's.
//   - Changing a topic's partition count moves keys to other partitions;
//     order per key holds only within a fixed partition count.
//   - Key columns are resolved once per table version (Keys.For), never by
//     name per row. Partition itself does not allocate.
package router
