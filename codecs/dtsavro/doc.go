// Package dtsavro encodes changes as Alibaba DTS's Avro records: one
// com.alibaba.dts.formats.avro.Record datum per change, plain Avro binary
// with no header, readable by DTS's own SDKs and demos (Java
// SpecificDatumReader, Python fastavro.schemaless_reader, Go goavro) with the
// published schema embedded here as Record.avsc.
//
// The Avro binary is written by hand for this one schema (zig-zag varints,
// union indexes, length-prefixed strings, one array block) so that a row costs
// no reflection and no allocation; the tests decode it with hamba/avro and
// with linkedin/goavro against Record.avsc to prove it follows the schema.
//
// With Options.Registry set, records are in the Confluent wire format (byte
// 0, 4-byte schema id, the same body) and RecordSchema (Record.avsc made
// self-contained) is registered under <topic>-value on a topic's first
// record. It does not decode.
//
// Sharp edges:
//   - dataTypeNumber is the protocol type DTS consumers switch on, with the
//     binlog-only storage codes folded back (TIMESTAMP2 → 7, DATETIME2 → 12,
//     TIME2 → 11, NEWDATE → 10, VARCHAR → 253) because DTS's reference
//     consumer only knows those.
//   - The "millis" fields hold microseconds, as DTS writes them.
//   - The Kafka key is null; partitioning is the router's.
package dtsavro
