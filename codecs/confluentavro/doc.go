// Package confluentavro encodes changes as Avro records in the Confluent
// wire format (format "avro"): byte 0, the schema id as 4 big-endian bytes,
// then the Avro binary body, with per-table key and value schemas registered
// in a Confluent-compatible schema registry under <topic>-key and
// <topic>-value (Confluent's TopicNameStrategy). Records are what Debezium's
// MySQL connector writes through Confluent's AvroConverter: the key is a
// record of the key columns, the value a Debezium envelope (before, after,
// source, op, ts_ms) whose row record has one field per column.
//
// Schemas are derived from the table definition once per table version (each
// *change.Table) and registered on the first record of that version for each
// topic; their ids are cached, so the hot path makes no request. A DDL that
// changes the table yields a new *change.Table, hence a new schema version.
// Every row column is a ["null", T] union with a null default, so adding or
// dropping a column is a BACKWARD (and FORWARD) compatible change whatever
// its nullability: Sluice does not know column defaults, which a NOT NULL
// field would need.
//
// The Avro binary is written by hand (no reflection, no allocation per row);
// tests decode it with linkedin/goavro using the schema read back from the
// registry by id.
//
// It is not a decoder and does not create subjects' compatibility settings.
//
// Sharp edges:
//   - Registration is a network call made by Encode on the first record of a
//     table version and topic. Its errors are retryable (the next Encode asks
//     again), except the registry refusing the schema (incompatible, invalid)
//     or the credentials, which are terminal with a message saying what to do.
//   - DDL records use fixed schemas (SchemaChangeKey {databaseName},
//     SchemaChangeValue {source, ts_ms, databaseName, schemaName, ddl})
//     registered under <topic>-<record full name> (Confluent's
//     TopicRecordNameStrategy), so they can share a data topic (a ddl_topic
//     naming one) without clashing with <topic>-value. Without ddl_topic they
//     go to the topic named for the source (topology.Pipeline.DDLTopic), as
//     Debezium's schema changes do. Consumers read them by schema id.
//   - Column names become Avro names: characters outside [A-Za-z0-9_] become
//     '_' and a leading digit gets a '_' prefix; two columns that become the
//     same name are a terminal error naming both.
//   - BIGINT UNSIGNED is a decimal(20,0) (Debezium's precise mode), never a
//     long that would wrap; DECIMAL follows Options.Decimal, temporal types
//     Options.Time, as in debezium-json.
//   - Zero dates ('0000-00-00') are null in nullable columns and the epoch in
//     NOT NULL ones (keys included), as Debezium writes them.
package confluentavro
