// Package sourcedb is Sluice's side of a MySQL or MariaDB source as a SQL
// server: connecting (Dial, with TLS through internal/mysqltls), explaining
// what the server refused (Error), binlog positions (CurrentPosition,
// SnapshotPoint, GTIDAt), the catalog (ListTables, Describe, ShowCreate,
// EstimateRows), identifier and literal quoting, and the one reader of the
// statements in binlog QUERY events (Classify, Parser).
//
// It is not the binlog stream (actors/binlog/binlogreader), not the snapshot
// reader (actors/snapshot) and not the schema history (schema): those call
// it. It imports only change, topology and internal packages.
//
// Errors: Dial and the position functions return an *Error naming the
// source, the address or statement, and a fix. Wrong credentials, an unknown
// database, a missing privilege and an account that needs TLS are marked
// terminal (internal/errkind); network errors and a busy server are not, so
// the supervisor retries them within the source's retry window.
//
// Statements: Classify reads only the first keywords (BEGIN, COMMIT and XA
// markers are on the hot path: no parse, no allocation). Parser.Parse runs
// the TiDB MySQL parser on DDL for every table it touches; when the parser
// rejects MariaDB syntax it lacks, the statement's head alone says what it
// can (the object, the tables up to the first clause it does not know).
//
// Sharp edges:
//   - A go-mysql connection is not safe for concurrent use and has no
//     context support once connected: the functions here that take a ctx
//     interrupt a blocked read by expiring the socket's deadline
//     (InterruptOnCancel), after which the connection is unusable.
//   - Session settings matter: Dial sets time_zone '+00:00' (TIMESTAMP in
//     UTC), character_set_results NULL (strings in their column's charset,
//     as in the binlog), REPEATABLE READ and a long net_write_timeout (a
//     snapshot read may block for a long time while a result is open: that
//     is the backpressure). Use connections from Dial, or call Prepare.
//   - QuoteString escapes with backslashes: it is wrong under the
//     NO_BACKSLASH_ESCAPES sql_mode, which Dial's sessions clear.
package sourcedb
