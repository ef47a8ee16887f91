// Package snapshot is the plain code of the initial snapshot: it splits a
// table into key chunks and reads one chunk inside a consistent-snapshot
// transaction, turning each row into an OpSnapshot change with the same Go
// value types the binlog decoder produces. Connections, table descriptions
// and the snapshot point come from package sourcedb.
//
// The package also holds the snapshot's actors (coordinator.go, shard.go):
// the coordinator hands chunks to a bounded pool of shards; each shard reads
// its chunk with its own connection and credit and sends the rows to the
// pipelines itself. The plain code (plan, read a chunk, limiter) knows
// nothing of actors and is tested without them. It never writes to
// the source and needs only SELECT and REPLICATION CLIENT (BINLOG MONITOR on
// MariaDB).
//
// # Algorithm: consistent-snapshot reads after a low watermark, then replay
//
//  1. Before the first chunk the engine records P0 with sourcedb.SnapshotPoint.
//     On MariaDB P0 is the exact binlog position of a consistent snapshot
//     (Binlog_snapshot_file/position, with BINLOG_GTID_POS for its GTID set):
//     every transaction before P0 is visible to it, none after. On MySQL it
//     is SHOW MASTER STATUS with Executed_Gtid_Set (see Sharp edges).
//  2. Every chunk is read by ReadChunk in its own START TRANSACTION WITH
//     CONSISTENT SNAPSHOT, READ ONLY (REPEATABLE READ) transaction, opened
//     after P0 was recorded, so each row reflects a state at or after P0.
//  3. Once every chunk is emitted and acknowledged, the binlog is read from
//     P0. Changes between P0 and a chunk's read point are applied a second
//     time; that is harmless because consumers read topics as upserts by key
//     and the binlog records come after the snapshot records in every
//     partition. After catch-up, the topic equals the source.
//
// No lock, no write to the source. Resuming after a crash re-reads only the
// unfinished chunks, in new transactions that are still after P0. The cost:
// binlog changes made during the snapshot are delivered after it.
//
// # Chunks
//
// Plan splits a table by its key (the primary key, else the first unique key
// whose columns are all NOT NULL) into chunks [Low, High): Low inclusive,
// High exclusive, nil meaning unbounded. The first chunk has no Low and the
// last no High, so the chunks cover the whole key space exactly once, also
// for rows inserted after planning. A dense single integer key is split
// arithmetically from MIN and MAX; any other key by a keyset walk that reads
// one boundary per chunk. A table without a usable key (or with a key of a
// type whose SQL order is not its comparison order: FLOAT, ENUM, SET, BIT,
// BLOB/TEXT, JSON, spatial) is one chunk. Bounds are the key values' text
// bytes, encoded with EncodeKey; the store keeps them opaque.
//
// Sharp edges:
//   - ReadChunk and Plan interrupt a blocked read when ctx is cancelled
//     (sourcedb.InterruptOnCancel), and any error leaves the connection
//     unusable. Close it and sourcedb.Dial a new one: its session settings
//     (UTC, the column's charset, REPEATABLE READ, a long net_write_timeout
//     while emit blocks) are what the reads rely on.
//   - On MySQL, SHOW MASTER STATUS can name a position whose last transactions
//     are written to the binlog but not yet committed in InnoDB. Resuming by
//     GTID set is exact (a GTID enters gtid_executed after the engine commit);
//     resuming by file:pos alone may miss such a transaction. MariaDB's
//     consistent-snapshot position has no such window.
//   - Rows of a table without a usable key are read in one chunk, without
//     order; a crash in the middle re-reads all of them (duplicates).
//   - Values never alias the client's buffers, but the values of a chunk
//     share memory blocks (box.go): they are immutable, and a batch handed to
//     emit belongs to the callee, which must not modify its values.
//   - Snapshot rows keep the server's rendering where go-mysql's binlog
//     decoding differs (TIME(n) with a zero fraction, BINARY(n) trailing zero
//     bytes); see docs/snapshot.md.
package snapshot
