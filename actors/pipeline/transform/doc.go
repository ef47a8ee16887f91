// Package transform applies one pipeline's table rules to batches: the
// source's include rule for the table, then the first matching rule of each
// of the pipeline's transforms, in order. A rule may filter rows, project,
// rename and mask columns, and map the table to a topic.
//
// It is plain code; the pipeline actor calls Transformer.Apply (or AppendTo)
// once per batch. Rules are resolved once per table version (*change.Table)
// into a plan: compiled filters on column indexes, a derived output table and
// an index map, so the per-row work is the filter and the projection.
//
// Semantics, chosen and fixed here:
//   - Filters name source columns and see source values, whatever earlier
//     rules renamed or masked; all rules' filters must hold. Column rules of
//     each rule name the columns as the previous rule left them.
//   - Inserts and snapshot rows are judged on their row, deletes on the row
//     they removed, updates pass when the row before or after matches (a row
//     leaving the filtered set is sent once more, with its new values).
//   - Comparisons follow SQL: anything compared with NULL is false, IS NULL
//     is true; AND and OR as in WHERE (the grammar has no NOT). Numbers
//     compare exactly, as decimals, when the value is numeric (any integer
//     width, signed or unsigned, FLOAT, DOUBLE) or is text that reads as a
//     number (DECIMAL values are text) and the literal is a number — or the
//     value is numeric and the literal is text that reads as one. Everything
//     else compares byte-wise (DATETIME text compares in time order).
//   - Masks: redact gives "***", hash the hex SHA-256 of the value's text,
//     null gives NULL; a NULL stays NULL. Redacted and hashed columns are
//     declared varchar in the output table, since that is what they hold.
//   - Topic: the last matching rule that names one, else the sink's topic.
//     DDL goes to the sink's DDL topic (else its topic) unchanged; dropping
//     DDL (Phases.IgnoreDDL) is the caller's business.
//   - Partition key: the last matching rule that sets one, its names
//     followed through later renames (PartitionKey).
//
// Sharp edges:
//   - Changes of tables the source does not select, and rows filtered out,
//     are dropped; their sequence numbers are returned so the caller
//     acknowledges them for this pipeline at once (see store/watermark).
//   - Rules must not drop the columns of the key that identifies rows (the
//     primary key, else the first unique key); mask them instead. A filter
//     on a column the table lacks is an error, not an empty result. Both are
//     terminal errors naming the rule, table and position.
//   - Output changes of pass-through tables share the input's row slices;
//     projected rows are carved from one arena per batch. Change.Size is
//     kept as the source measured it, so flow-control credit balances.
package transform
