// Package debeziumjson encodes changes as Debezium's MySQL connector writes
// them through Kafka Connect's JsonConverter: a key with the row's key
// columns and a value envelope {before, after, source, op, ts_ms,
// transaction}, optionally wrapped with the Connect "schema" part
// (schemas.enable), optionally followed by a tombstone after each delete.
// Consumers that read Debezium JSON (Flink's debezium-json format, Kafka
// Connect sink connectors) read it unchanged.
//
// It does not produce Debezium's schema-history topic. A DDL change becomes a
// schema-change event (databaseName, ddl, source) with an empty tableChanges.
//
// Sharp edges:
//   - BIGINT UNSIGNED follows Options.BigIntUnsigned: long (Debezium's
//     default; values above 2^63-1 wrap negative, as Debezium's do) or
//     precise (Connect Decimal(20,0)).
//   - DECIMAL follows Options.Decimal: precise (Connect Decimal, base64 of
//     the unscaled two's-complement bytes), string or double.
//   - Zero dates (0000-00-00) are null in nullable columns and the epoch in
//     NOT NULL ones, as Debezium writes them.
//   - An Encoder caches each table version's schema text; it is not safe for
//     concurrent use.
package debeziumjson
