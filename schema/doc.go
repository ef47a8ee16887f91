// Package schema is the versioned schema history of a source: for every
// table the binlog reader may decode, the definition (columns in order with
// their types, COLUMN_TYPE text, signedness, charsets, ENUM/SET values,
// nullability, primary and unique keys) that holds from each binlog
// position on.
//
// A History is captured from information_schema (the same description the
// snapshot uses, sourcedb.Describe) at the snapshot point or the
// start position, then advanced by the DDL the binlog carries: Tables.Apply
// takes each statement as sourcedb.Parser read it (with the TiDB MySQL
// parser) and applies CREATE TABLE
// (also … LIKE), ALTER TABLE (add, drop, modify, change, rename column with
// FIRST/AFTER; add and drop primary and unique keys; rename index; CONVERT
// TO CHARACTER SET; RENAME TO), RENAME TABLE (multi-table swaps included),
// DROP and TRUNCATE TABLE, CREATE/DROP INDEX, and CREATE/ALTER/DROP
// DATABASE. Every change is committed to the store at once, keyed by the
// statement's transaction: by GTID (store.GTIDKey of gtid.Ordinal) where
// the stream knows its executed GTID set, else by binlog position
// (store.PosKey). History.Open(pos, gtidSet) returns exactly the
// definitions a reader restarting there needs, also on another server than
// the one the history was recorded on (a failover), when there is a GTID
// set.
//
// Which tables: the selected ones and every other table of a database that
// holds a selected one, so that a copy built beside a table (gh-ost,
// pt-online-schema-change) and renamed over it is known. A table renamed
// in from elsewhere, or created LIKE an unfollowed one, is kept as Unknown:
// the reader must re-read it from the server or stop.
//
// What it is not: not a decoder (the binlog reader matches TABLE_MAP events
// against it, once per distinct table map, never per row), and not a
// validator of DDL: it assumes the statements succeeded on the source.
//
// Storage: per source, a "#catalog" entry (the followed tables, database
// default charsets, the COLUMN_TYPE style) is written whenever that set
// changes, and one entry per table version. Values are JSON with a format
// version.
//
// Sharp edges:
//   - A statement the parser rejects (MariaDB's INVISIBLE columns, UUID and
//     INET types, spatial types, system versioning…) that touches a
//     followed table returns a *DDLError and changes nothing; the reader
//     decides (re-read at the head of the binlog, pass over it by an
//     operator's recorded decision, store.Skip, or stop). One about other
//     tables only is ignored.
//   - Table names are compared exactly (lower_case_table_names=0); column
//     and key names without regard to case.
//   - Without a GTID set (MySQL with GTIDs off) keys are file:offset: after
//     a failover to a server with other file names they no longer match, and
//     the definitions must be captured afresh (a new snapshot).
//   - Versions recorded for transactions after the last checkpoint that the
//     new server never received (lost in a failover) stay in the history
//     until a later statement records the same tables again; the reader's
//     TABLE_MAP checks stand guard.
//   - COLUMN_TYPE of columns defined by DDL is rendered like the source
//     would (display widths on MariaDB and MySQL before 8.0.19); a national
//     character type (NCHAR) is taken in the table's charset.
package schema
