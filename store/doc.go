// Package store is the durable state of a task: per source, the checkpoint
// (where the source resumes), the snapshot's progress (snapshot-level state
// and per-table chunk states) and the schema history (table definitions keyed
// by GTID or binlog position), plus the identity of the task that owns the
// file.
//
// It defines the Store interface and its types; boltstore implements it on a
// bbolt file (what `sluice run` uses), etcdstore in etcd (cluster mode: the
// state outlives the node), memstore in memory (for tests), and storetest is
// the conformance suite all three pass.
//
// It is not the checkpoint actor and it does not decide what to commit: it
// stores what it is given, atomically. It is not on the per-row path: the
// checkpoint actor batches many updates into one Update and commits it once
// per interval (one transaction, one fsync).
//
// Sharp edges:
//   - Commit is all or nothing: every part of an Update lands in one
//     transaction, or none does.
//   - Byte slices passed in (chunk bounds, schema definitions) are copied
//     before Commit returns; slices returned are the caller's to keep.
//   - A store is owned by one process at a time. Opening a store that another
//     process (or another Open in this process) holds fails fast with
//     ErrLocked instead of waiting. Where ownership can move (etcdstore),
//     a store whose owner lost the task fails every commit with ErrFenced.
//   - A file that does not belong to the task (ErrForeignTask), was written
//     under a topology the opener does not accept (Identity.Accept decides;
//     ErrTopologyChanged), is damaged (ErrCorrupt) or comes from a newer
//     Sluice (ErrNewerFormat) is refused and left exactly as it was; the
//     errors say what to do. An accepted topology is recorded at open.
//   - Schema position keys are compared as byte strings: use PosKey and
//     GTIDKey (every GTID key sorts after every position key), or keys of
//     your own that sort in binlog order.
package store
