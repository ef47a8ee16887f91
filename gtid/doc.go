// Package gtid says what a GTID position means across the servers of one
// replication topology, for MySQL and MariaDB alike: which server a
// connection reaches (Identity), what GTID history that server holds (Read),
// whether a checkpoint's GTID set can be resumed on it (Server.Contains),
// and an ordinal that numbers transaction boundaries alike on every server
// holding the same transactions (Ordinal), by which the schema history is
// keyed.
//
// It is not the binlog reader (which streams from a GTID set) and it does
// not decide what a refusal means for a task: store.CheckSwitch words it,
// the engine and the precheck act on it. Contains and Ordinal are plain
// code over GTID set strings; only Identity and Read talk to a server.
//
// Sharp edges:
//   - MariaDB: a position holds one GTID per domain. A checkpoint's GTID
//     D-S-N is held by a server whose gtid_binlog_state has a GTID of domain
//     D from the same originating server S with a sequence number of N or
//     more; a server that never logged a transaction of S in D is refused
//     even when its own sequence numbers are higher. A server that logged
//     different transactions under the same GTIDs (diverged by hand) cannot
//     be told apart.
//   - MariaDB has no purged set: what the oldest binlog file starts after
//     (BINLOG_GTID_POS of its first event) stands for it.
//   - Ordinal is monotonic along any one binlog and equal on two servers at
//     the boundary after the same transactions; with several MariaDB
//     domains applied in a different order on a replica, boundaries between
//     two checkpoints may be numbered differently on the two servers (a
//     checkpoint itself is numbered alike).
package gtid
