// Package codec holds the types every output codec shares: the encoded Kafka
// Record, the Encoder interface, the Options a codec is built from, and the
// position headers every record carries.
//
// It is a leaf package (it imports only change/) so that the
// format packages (canaljson, dtsavro, debeziumjson) and the factory in
// codecs/ can all depend on it without a cycle. The engine should import
// codecs/, which re-exports these names.
//
// It is not a codec: it renders no row values.
//
// Sharp edges:
//   - Headers' values are appended into the spare capacity of Record.Value's
//     backing array, behind the value; Value is capped (three-index slice) so
//     that appending to it can never overwrite them. A caller that recycles a
//     Record must be done with the previous record's headers too.
//   - An Encoder is not safe for concurrent use: one per writer goroutine.
package codec
