// Package binlogreader reads a MySQL or MariaDB binlog as batches of
// change.Change: the plain code the binlog reader actor drives.
//
// A Stream is pull-based. ReadBatch is called when the caller has credit; it
// fills a batch up to a byte budget and returns. Between calls nothing is
// read beyond a queue of 64 decoded events: go-mysql's reader goroutine then
// blocks, the socket buffer fills, and TCP stops the source's dump thread.
// The dump session sets net_write_timeout to an hour so that the source
// keeps a replica that is out of credit for a while.
//
// What it does: transactions are assembled from GTID events (MariaDB, MySQL)
// or BEGIN, up to XID or COMMIT (a statement outside BEGIN…COMMIT is a group
// of its own, like DDL). Each selected row change gets a Seq (strictly
// increasing from Resume.NextSeq), its index in the transaction (Row), its
// position (file, end of its event, transaction GTID), the GTID set executed
// with its transaction (GTIDSet: built once per transaction, one string
// shared by its changes) and a size estimate.
// batch.Mark is the last transaction boundary passed during the call: the
// end of the commit event, the GTID set executed there, and Seq = the last
// Seq assigned before it (a transaction without selected rows still moves
// the Mark). MySQL 8 compressed transactions (TRANSACTION_PAYLOAD_EVENT) are
// unpacked by go-mysql and walked like uncompressed ones. DDL (CREATE, ALTER,
// DROP, RENAME, TRUNCATE), read by sourcedb.Parser, becomes OpDDL changes
// when a table it touches is selected (both names of a RENAME count, so a
// table renamed into or out of the selection passes) or, for database-level
// DDL, when its database can hold selected tables; Table is set, with only
// Schema and Name, when the statement is about one selected table. DDL about
// other objects (views, routines, users) passes; the engine decides.
//
// What it is not: not an actor (see the reader actor), not a retry loop
// (connection errors end the stream; the supervisor reopens it from the
// checkpoint), not the schema history (package schema; see below).
//
// With Config.History, Open loads the table definitions that hold at the
// start position (capturing them from the server the first time), each
// selected TABLE_MAP is matched against them once per distinct table map
// (never per row), and each DDL advances them before the DDL change is
// emitted. Names, keys, signedness, charsets and ENUM/SET values then come
// from the history, type codes and metadata from the TABLE_MAP; the count
// and types (and, with FULL metadata, the names; with a signedness bitmap,
// integer signedness) must agree. On disagreement, an unknown table, or a
// DDL the history cannot apply to a followed table, the definition is
// re-read from the server when no DDL that may touch the table follows the
// event in the binlog (checked with SHOW BINLOG EVENTS; a warning is
// logged), else the stream stops with a terminal error naming the table,
// position and statement. Renames out of or into the selection are logged.
//
// Values follow change/value.go. The syncer decodes only the header of a
// rows event (RowsEventDecodeFunc); the rows of a selected table are
// decoded by the row decoder (decode.go) straight from the event's bytes:
// DATETIME and TIMESTAMP as text in UTC, DECIMAL in plain notation, ENUM
// indexes as names and SET masks as "a,b", and (with a History, whose
// COLUMN_TYPE tells them from BINARY) MariaDB's INET4, INET6 and UUID bytes
// as the text the server prints (inet.go); values are boxed into chunks
// (internal/valuebox) and rendered text is copied once out of one scratch
// buffer. Rows of tables nobody selected are never decoded. A table with a
// MySQL binary JSON column is decoded by go-mysql (ParseTime=true,
// UseDecimal=false) and its values rewritten to the same contract
// (normalize, temporal.go): both ways give the same values
// (decode_test.go, decode_bed_test.go).
//
// Sharp edges:
//   - Value lifetime: strings and []byte values alias the event's buffer;
//     rendered values and the boxes of all values live in chunks shared by
//     the rows of many events, freed when no value in them is referenced.
//     go-mysql allocates a fresh buffer per event (packet reads copy out of
//     its pool; compressed payloads decompress into new slices), and never
//     reuses it, so values stay valid as long as they are referenced; holding
//     one value pins its whole event (up to max_allowed_packet).
//   - The decoded rows are set as the event's Rows; do not feed the same
//     *replication.RowsEvent to two streams.
//   - binlog_row_metadata=MINIMAL without a History: TABLE_MAP has no column
//     names. Columns are named col_0, col_1…, ENUM/SET stay numeric (int64),
//     the primary key is unknown, and one warning per table is logged.
//     MINIMAL still logs signedness and charsets; NO_LOG (and MySQL 5.7)
//     does not: with a History, the row decoder reads integers with the
//     history's signedness (uint8..uint64), at no cost per row.
//   - binlog_row_image must be FULL: a rows event of a selected table whose
//     column bitmaps leave a column out (a session with MINIMAL or NOBLOB)
//     is a terminal error; go-mysql would leave the column nil, which reads
//     as NULL.
//   - System-versioned tables (versioning.go, with a History): only current
//     row images are changes (history rows are dropped, an UPDATE that ends
//     a row is a delete) and rows are cut to the table's columns (the
//     implicit ROW_START/ROW_END are the binlog row's last two). A table
//     versioned by transaction id is logged as statements: terminal.
//   - Partial JSON updates (MySQL binlog_row_value_options=PARTIAL_JSON) are
//     a terminal error: Sluice cannot apply JSON diffs.
//   - Statement-logged DML (binlog_format STATEMENT/MIXED in some session) for
//     a selected table is a terminal error; for other tables, a warning.
//   - INCIDENT events are terminal: the source says its binlog misses changes.
//   - A compressed MySQL transaction is decompressed whole by go-mysql: its
//     memory is its uncompressed size, outside the credit budget.
//   - XA transactions (xa.go): the rows of a prepared group are held in
//     memory until its XA COMMIT, which emits them as its own changes, and
//     dropped at XA ROLLBACK. While any is prepared, Marks stay at the
//     boundary before the oldest (a restart reads it again; the changes
//     after it come again with their Seq). Past Config.XAHoldBytes of held
//     rows, or at an XA COMMIT whose XA PREPARE came before the stream's
//     start and changed a selected table (looked up with SHOW BINLOG
//     EVENTS, xaprior.go), the stream stops with a terminal error.
//   - ColumnType is synthesised from the binlog: integer display widths are
//     the server defaults (tinyint(4)), CHAR/VARCHAR lengths are bytes divided
//     by the charset's longest character.
//   - Start mode timestamp is not supported. With a file position on MySQL,
//     the GTID set is unknown (Marks carry none) until the next binlog file.
//   - Resume prefers the GTID set when a Mark has one (survives failover),
//     else file and position.
package binlogreader
