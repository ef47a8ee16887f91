package topology

import (
	"fmt"
	"io"
	"strings"
)

// WriteReference writes docs/topology.md: the prose below plus one table
// per mapping, generated from the same field declarations the decoder uses.
func WriteReference(w io.Writer) error {
	var b strings.Builder
	b.WriteString(referenceIntro)
	b.WriteString("\n## Reference\n\n")
	b.WriteString("Every key of the file, mapping by mapping. A key marked **required** must be written; any other key may be left out and takes its default.\n\n")
	seen := map[*objectSpec]bool{}
	var walk func(s *objectSpec)
	walk = func(s *objectSpec) {
		if seen[s] {
			return
		}
		seen[s] = true
		writeSection(&b, s)
		for _, f := range s.Fields {
			if f.Object != nil {
				walk(f.Object)
			}
		}
	}
	walk(topSpec)
	b.WriteString(referenceOutro)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSection(b *strings.Builder, s *objectSpec) {
	fmt.Fprintf(b, "### %s\n\n%s\n\n", s.Path, s.Doc)
	if s.Example != "" {
		fmt.Fprintf(b, "```yaml\n%s\n```\n\n", s.Example)
	}
	b.WriteString("| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, f := range s.Fields {
		def := "—"
		switch {
		case f.Required:
			def = "**required**"
		case f.Default != "":
			def = "`" + f.Default + "`"
		case f.DefaultDoc != "":
			def = f.DefaultDoc
		}
		typ := f.value.typ
		if len(f.Enum) > 0 {
			typ = "one of `" + strings.Join(f.Enum, "`, `") + "`"
			if f.value.typ != "enum" {
				typ = f.value.typ + ", values " + strings.Join(f.Enum, ", ")
			}
		}
		if f.Object != nil {
			typ = fmt.Sprintf("%s ([%s](#%s))", f.value.typ, f.Object.Path, anchor(f.Object.Path))
		}
		desc := f.Doc
		if f.Example != "" {
			desc += " Example: `" + f.Key + ": " + f.Example + "`."
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.Key, cell(typ), cell(def), cell(desc))
	}
	b.WriteString("\n")
}

// anchor is GitHub's heading anchor for a heading text.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

const referenceIntro = `# Topology file

<!-- Generated from topology/fields.go and topology/reference.go by
     go run ./cmd/sluice docs > docs/topology.md
     Do not edit by hand: a test fails when this file and the declarations differ. -->

A topology file describes one synchronization task: which MySQL or MariaDB
servers to read, which tables, what to do with their rows, and which Kafka
topics to write them to. ` + "`sluice validate -f FILE`" + ` checks a file and
reports every mistake as ` + "`file:line:col: what is wrong; how to fix it`" + `;
` + "`sluice run -f FILE`" + ` runs it.

The smallest useful file (it is ` + "`examples/quickstart.yaml`" + `, for the local test bed):

` + "```yaml" + `
version: 1
sources:
  - name: demo-db
    flavor: mariadb
    host: 127.0.0.1
    port: 33306
    user: sluice
    password: sluice
    server_id: 4242
    objects:
      tables: ["demo.*"]
sinks:
  - name: local-kafka
    from: demo-db
    brokers: [127.0.0.1:19092]
    topic: demo
` + "```" + `

More in ` + "`examples/`" + `: ` + "`one-to-one.yaml`, `one-to-many.yaml`, `many-to-one.yaml`, `cascade.yaml`" + `.

## Shape: a DAG of named nodes

Rows flow ` + "`source → transform* → router → sink`" + `. Every node has a ` + "`name`" + `,
unique in the whole file, and every node but a source has a ` + "`from:`" + ` — a name,
or a list of names — saying what it reads:

| Node | May read from |
|---|---|
| transform | sources, transforms |
| router | sources, transforms |
| sink | routers; or sources and transforms directly, through an implied router |

When a sink reads a source or transform directly, Sluice puts an implied
router named ` + "`<sink>.router`" + ` with policy ` + "`partition0`" + ` in between.

Each path from a source to a sink is a *pipeline*; ` + "`sluice validate`" + ` lists
them. The shapes:

- **one-to-one**: one source, one router, one sink.
- **one-to-many**: a source named in the ` + "`from:`" + ` of several routers or
  transforms; each path gets the rows on its own.
- **many-to-one**: several sources in one router's ` + "`from:`" + ` (or several routers
  in one sink's). Two sources may not write tables that can have the same name
  into the same topic of the same sink; map them to different topics.
- **cascade**: a transform reading another transform. A source may itself be
  a replica of another server (a replication chain); Sluice reads its binlog
  like any other, so the replica needs ` + "`log_slave_updates=ON`" + `.

Every source must reach a sink, and every transform and router must lead to
one: a node whose rows go nowhere is an error, as is a cycle.
`

const referenceOutro = `## Values

- **Strings** may take their value, whole or in part, from the environment or
  a file: ` + "`${env:NAME}`" + ` and ` + "`${file:PATH}`" + ` (one trailing newline is
  dropped; a relative path starts at the topology file's directory; at most
  64 KiB). A variable that is not set, or a file that cannot be read, is an
  error. Write ` + "`$${`" + ` for a literal ` + "`${`" + `. Inside a ` + "`{ ... }`" + ` flow mapping, quote
  the reference: ` + "`{password: \"${env:KAFKA_PASSWORD}\"}`" + `.
- **Secrets** (passwords, tokens) never appear in output: logs, ` + "`/status`" + `
  and ` + "`sluice validate --print`" + ` show ` + "`[redacted]`" + `. Write them as references;
  a secret written inline draws a warning (except the password of a source on
  a loopback address, for local test servers).
- **Sizes** are a number of bytes or a number with a unit: ` + "`B`, `KiB`, `MiB`,\n  `GiB`, `TiB`" + ` (powers of 1024), ` + "`KB`, `MB`, `GB`, `TB`" + ` (powers of 1000), ` + "`K`,\n  `M`, `G`" + ` (powers of 1024). Units are case-insensitive: ` + "`64MiB`, `64 mib`, `1.5GiB`" + `.
- **Durations** are Go durations and always carry a unit: ` + "`5ms`, `1s`, `720m`,\n  `12h`, `1h30m`" + `.
- **Lists of strings** may be written as one string when they hold one item:
  ` + "`from: orders-db`" + ` is ` + "`from: [orders-db]`" + `.
- **Paths** (` + "`*_file`, `checkpoint_dir`" + `) are relative to the topology file's
  directory unless absolute.
- YAML anchors, aliases and merge keys (` + "`<<: *defaults`" + `) work.

## Patterns

A table pattern is ` + "`db.table`" + `. It is split at its first dot; each part is
matched on its own, so a wildcard never crosses the dot. ` + "`*`" + ` matches any run of
characters (also none), ` + "`?`" + ` exactly one. Matching is case-sensitive, as MySQL
compares names on Linux (` + "`lower_case_table_names=0`" + `): write names as the
server stores them. Quote patterns that start with ` + "`*`" + ` (` + "`\"*.orders\"`" + `): YAML
reads a leading ` + "`*`" + ` as an alias.

In ` + "`objects`" + `, a table is captured when an include rule of ` + "`tables`" + ` matches
and no ` + "`exclude`" + ` pattern does; the first matching rule decides its topic,
filter and columns. In a transform, the first matching rule applies and tables
no rule matches pass unchanged.

## Filters

A row filter is a condition in a subset of SQL's WHERE:

` + "```" + `
condition  := and ( OR and )*
and        := unary ( AND unary )*
unary      := ( condition )
            | column op literal          op: = != <> < > <= >=
            | column IN ( literal, ... )
            | column IS [NOT] NULL
literal    := number | 'string'           'it''s' escapes a quote
column     := name | ` + "`quoted name`" + `
` + "```" + `

Keywords are case-insensitive; AND binds tighter than OR. Columns are the
source's names, before renames; a column named like a keyword is written in
backquotes. Numbers compare numerically, strings byte-wise; a comparison with
NULL is false, as in SQL. For an update the new row decides; for a delete the
old row. Example: ` + "`status IN ('paid', 'shipped') AND (amount >= 100 OR vip = 1)`" + `.

## What ` + "`sluice validate`" + ` checks

Every error and warning is collected, not just the first, each with its
line and column. Besides the YAML syntax and the types, ranges and allowed
values of every key above:

- unknown keys (with the closest known key), duplicate keys, missing required keys;
- duplicate names; ` + "`from:`" + ` naming no node or a node of the wrong kind; cycles;
  a source feeding nothing; a transform or router reaching no sink;
- two sources writing tables that may share a name into one topic of one sink;
- a ` + "`pk_hash`/`columns_hash`" + ` router over a table rule whose ` + "`partition_key`" + ` is
  an empty list; a ` + "`columns_hash`" + ` router without columns over a rule without
  ` + "`partition_key`" + `;
- filter syntax, pointing at the column inside the filter; pattern syntax;
- ` + "`phases.snapshot`" + ` with a start other than ` + "`initial`" + `; every phase off; a GTID
  set that does not parse for the source's flavour; two sources on one server
  with one ` + "`server_id`" + `;
- ` + "`cert_file`" + ` without ` + "`key_file`" + `; ` + "`format: avro`" + ` without a schema registry;
  ` + "`include`" + ` and ` + "`exclude`" + ` together; two columns renamed to one name;
- warnings: SASL without TLS, secrets written inline, ` + "`http_addr`" + ` beyond
  loopback without ` + "`http_token`" + `, settings the chosen mode or format ignores,
  renames or masks of columns that are not written.

` + "`sluice validate`" + ` exits 0 when the file is valid (warnings allowed), 1 on
errors, 2 on bad usage; ` + "`--json`" + ` prints the diagnostics as JSON and
` + "`--print`" + ` the resolved topology, defaults applied and secrets redacted.
`
