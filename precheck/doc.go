// Package precheck checks, before a task starts, everything Sluice needs from
// its sources, sinks and host, and says for each requirement whether it holds
// (pass), holds with a cost (warn) or does not (fail), what was found and how
// to fix it.
//
// Run takes a resolved topology DAG and returns a Report of Items with stable
// names ("source.shop-db.binlog_format", "sink.main.topic.orders",
// "engine.checkpoint_dir"). `sluice precheck` prints it; `sluice run` calls
// Run first and refuses to start while Report.Error(ignore) is not nil. Item
// names are the interface for --ignore: keep them stable.
//
// Per source: connection and login (through the snapshot package's Dial, so
// TLS is mapped as the data path maps it), version and flavour, privileges
// from SHOW GRANTS, the binlog variables, server_id, whether the server can
// resume the source's checkpoint (its binlog file on the server it was taken
// on; on another, its GTID set: package gtid), binlog retention against the
// expected snapshot time, and the selected tables (patterns match, keys,
// storage engines). Per
// sink: bootstrap and advertised brokers answer (TLS and SASL included), API
// versions, and each topic exists with enough partitions or may be created
// (a validate-only CreateTopics request), and the schema registry answers
// GET /subjects with the sink's credentials. Engine: the checkpoint directory
// takes a file and has free space.
//
// Each check gathers facts (one session per source) and evaluates them with
// plain functions (checkVariables, checkPrivileges, checkTables,
// checkRetention, …) that are unit-tested on every bad value; only gathering
// talks to servers.
//
// What it is not: it does not change anything on the servers (no SET GLOBAL,
// no topic creation: CreateTopics runs with validate_only), it does not
// retry, and it is not the runtime error path (the actors report problems
// that appear later, in the same words where they can).
//
// Sharp edges:
//   - Privileges granted through roles are not resolved: when the account has
//     roles, a missing privilege is a warning naming them, not a failure.
//   - Table row counts come from information_schema (InnoDB estimates), so
//     the snapshot time behind the retention check is a rough figure.
//   - Tables the account may not read are invisible in information_schema: a
//     pattern that "matches nothing" may be a privilege problem; the detail
//     says so.
//   - Kafka does not report its release; the item shows the Produce and
//     Metadata API version ranges instead.
package precheck
