// Package topology reads a topology file — one synchronization task written
// in YAML — and turns it into a validated DAG the engine runs: sources,
// transforms, routers, sinks, the edges between them and every
// source-to-sink pipeline, with every default resolved and every secret
// reference replaced by its value.
//
// Entry points: Load and Parse return the DAG and Diagnostics, every error
// and warning found (not just the first), each with file:line:col, what is
// wrong and how to fix it. Objects.Match and Transform.Match select table
// rules; ParseFilter parses row filters into Expr. WriteReference writes
// docs/topology.md.
//
// Every key of the file is declared once, in fields.go, with its type,
// default, description and example; the decoder, the validator and the
// reference all read those declarations, and tests keep docs/topology.md
// in step with them.
//
// It is not the engine: it opens no connection and checks nothing a server
// would have to answer (that is precheck's job), and it does not evaluate
// filters on rows.
//
// Sharp edges:
//   - No YAML type leaves the package: dag.go is the contract.
//   - Relative paths (${file:...}, *_file, checkpoint_dir) resolve against
//     the topology file's directory, not the working directory.
//   - Secret values live in Secret, which never prints; call Value only to
//     put one on the wire.
//   - Patterns are case-sensitive, as MySQL names are on Linux.
//   - The many-to-one overlap check compares patterns, not live tables: two
//     patterns that could match one name are rejected even if no such table
//     exists. It ignores exclude lists and filters.
package topology

//go:generate sh -c "go run ../cmd/sluice docs > ../docs/topology.md"
