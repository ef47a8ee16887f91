// Package change holds Sluice's data-plane types: a row change, the table it
// belongs to, its position in the source's binlog, and the batch that carries
// changes across actor boundaries.
//
// It imports only the standard library; every other package depends on it and
// it depends on nothing. It is not a codec and not a decoder: it only names
// the shapes that decoders produce and codecs consume.
//
// Sharp edges:
//   - A Change, its Table and its row slices are immutable once sent. Tables
//     are shared by every change of that table version; never modify one.
//   - Row values may alias the binlog event buffer they were decoded from;
//     encode them before the batch is released, do not retain them.
//   - Values are `any` holding one of a small, fixed set of concrete types
//     (see Value accessors in value.go). Codecs switch on type; nothing on the
//     per-row path uses reflection.
package change
