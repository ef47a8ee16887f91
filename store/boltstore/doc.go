// Package boltstore is the store.Store that `sluice run` uses: one bbolt file,
// checkpoints.db, in the task's checkpoint directory.
//
// Layout (buckets in capitals):
//
//	META        format → "1"; identity → JSON {task, topology_hash, topology, created_at}
//	SOURCES
//	  <source>  checkpoint → JSON; snapshot → JSON
//	    CHUNKS
//	      <table>  big-endian uint32 chunk ID → JSON chunk state
//	    SCHEMA
//	      <table>  position key → definition bytes (opaque)
//	    SKIPS      position key → JSON skip decision
//
// Records are JSON so that `bbolt get` shows them; they are written once per
// commit, never per row.
//
// It is not a cache: every read is a bbolt read transaction. It does not
// decide when to commit; the checkpoint actor batches.
//
// Sharp edges:
//   - Open takes an exclusive flock on the file and gives up after
//     Options.LockTimeout (default 1s) with store.ErrLocked naming the pid
//     that holds it (from checkpoints.db.owner, written after locking).
//   - A new file is built under a temporary name and linked into place, so a
//     crash during creation never leaves an empty or half-written
//     checkpoints.db; an existing file is never truncated, reinitialised or
//     rewritten when it is refused.
//   - Open first checks both meta pages and that the file reaches the end
//     of the last page they say is in use (a truncated file would otherwise
//     pass the walk below and crash bbolt's freelist rebuild).
//   - Open then opens the file read-only and reads every reachable page in
//     its own goroutine with faults turned into panics (bbolt asserts on
//     damaged pages, and does so in a goroutine of its own when it rebuilds
//     the freelist), so damage surfaces as store.ErrCorrupt before anything
//     is written. The file is small (positions and chunk states, no rows), so
//     this costs milliseconds.
//   - The freelist is not synced (NoFreelistSync): commits write fewer pages
//     and Open rebuilds the freelist by walking the file.
//   - One Commit is one bbolt read-write transaction: two fdatasyncs (data
//     pages, then the meta page), whatever the number of updates it carries.
package boltstore
