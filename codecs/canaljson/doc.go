// Package canaljson encodes changes as Canal JSON (FlatMessage), in the two
// flavours consumers expect: "dts" (Alibaba DTS's Canal JSON, the default)
// and "canal" (open-source Canal, what Flink's canal-json format reads).
//
// It is an encoder only; it does not decode, and it does not choose topics or
// partitions. docs/formats.md states every decision and docs/types.md every
// value rendering.
//
// Sharp edges:
//   - Keys are written in alphabetical order, as Canal's and DTS's fastjson
//     serialisation writes them; JSON readers do not care, byte-comparing
//     tests do.
//   - Every value is a JSON string or null. Binary columns are ISO-8859-1
//     text (one character per byte) and MySQL's latin1 is Windows-1252, as
//     Canal's Java decoding does; a consumer wanting the bytes back must
//     encode the string as ISO-8859-1. Other charsets are decoded by
//     internal/charset.
//   - The canal flavour writes ENUM and SET as Canal does, the index and the
//     bit mask ("2", "5"), unless Options.CanalEnumNames; the dts flavour
//     writes the names.
//   - The Kafka key is null in both flavours: partitioning is the router's.
//   - "ts" is the encoding time: two encodings of one change differ there.
package canaljson
