// Package etcdstore is the store.Store of cluster mode: a task's state in
// etcd under one key prefix (TaskPrefix: <cluster prefix>/tasks/<task>/), so that it
// outlives the node that ran the task and the next owner resumes from it.
//
// Layout (P is the prefix; source and table names are path-escaped):
//
//	P format                             "1"
//	P identity                           JSON {task, topology_hash, topology, created_at}
//	P lock                               the epoch of the Store open on P, on the owner's lease
//	P source/<source>                    "" (what Sources lists)
//	P checkpoint/<source>                JSON checkpoint
//	P snapshot/<source>                  JSON snapshot state
//	P chunk/<source>/<table>/<id>        JSON chunk state; id is 8 hex digits
//	P schema/<source>/<table>/<pos key>  definition (opaque bytes)
//	P skip/<source>/<pos key>            JSON skip decision
//	P skip-request/<source>/<pos key>    JSON skip decision an operator asked for; the next Open adopts it (RequestSkip)
//	P journal/<n>, P journal-committed   a commit larger than one transaction, in flight
//	P writer                             the writer mark: the epoch of the last commit's store (Audit)
//
// One key per record, never one value for a whole table or task: etcd
// refuses requests over 1.5 MiB. The records are boltstore's JSON, so that
// `etcdctl get` shows them.
//
// Fencing. Open takes an Owner: the key its owner created under its lease,
// and that key's create revision, the epoch. Every write is one etcd
// transaction guarded by CreateRevision(owner key) = epoch. Once the lease
// expires, the key is deleted or another node creates it again (a new
// epoch), the guard fails and Commit returns a terminal error matching
// store.ErrFenced, having written nothing. etcd checks the guard and applies
// the writes in one step, so no write of the old owner lands after the new
// owner's key exists. The lock key stands in for boltstore's flock: one open
// Store per epoch (a second Open fails with store.ErrLocked); it lives on
// the owner's lease, and a Store of a newer epoch takes it over, since the
// older one is fenced anyway.
//
// Limits. etcd refuses a transaction of more than --max-txn-ops operations
// (128 by default) or a request over --max-request-bytes (1.5 MiB). An Update
// within both is one transaction: the common case, a checkpoint and a few
// chunk states per interval. A larger one (a snapshot's plan of thousands
// of chunks, the first schema capture of many tables) still commits whole,
// through the journal:
//
//  1. its writes are cut into groups that each fit a transaction, and the
//     groups are written, encoded, as journal pieces; the transaction that
//     writes the last pieces also writes the commit mark, and from then the
//     Update is committed;
//  2. each group is applied in a transaction of its own, then the journal
//     is deleted.
//
// Every transaction is fenced. The writes are planned so that neither order
// nor grouping matters (each key is put once; a chunk reset deletes the
// ranges between the Update's own keys), so a group applied twice has the
// effect of one. Commit holds the Store while it applies, so reads in this
// process never see part of an Update; if it stops half-way, the Store
// refuses every further call, and the next Open, by this owner or the next,
// completes a committed journal or deletes an uncommitted one before
// anything is read. The price: twice the bytes and about groups + 2
// transactions. A value larger than one request (a schema definition of
// about 1.5 MiB) fails the Update, terminally, before anything is written;
// the error names the key and the setting to raise.
//
// Cost: a checkpoint alone commits in 1 to 2 ms, one with 50 chunk states
// in 3 to 5 ms, against the test bed's one-member etcd, once its history is
// compacted (docs/cluster.md has the measurements, bench_test.go the
// benchmark).
//
// It is not the ownership protocol: taking ownership, keeping the lease
// alive and assigning tasks belong to the cluster layer; Open only checks
// that the owner key is what the caller says it is. It does not close the
// client it is given.
//
// Sharp edges:
//   - Every call is one or more etcd requests, each bounded by
//     Options.RequestTimeout. A Commit that timed out may have landed; the
//     next Open reads one state or the other, and both are checkpoints the
//     caller had made durable.
//   - An error from a journaled Commit may come after its commit point: the
//     Update is then committed but not applied, the Store is broken, and
//     the error says to reopen it.
//   - Options.MaxTxnOps and MaxRequestBytes must not exceed the members'
//     settings; the client's send limit (2 MiB by default) bounds the second
//     as well.
//   - Reads are linearizable (a quorum round trip each), not cached.
package etcdstore
