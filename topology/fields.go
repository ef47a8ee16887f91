package topology

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The declarations of every key of the topology file. See spec.go for the
// machinery and checks.go for the checks that span several fields.

var topSpec = &objectSpec{
	Extensible: true,
	check:      checkTop,
	Path:       "top level",
	Doc:        "A topology file is one synchronization task: the sources it reads, the transforms and routers its rows pass through, and the sinks it writes to. Top-level keys starting with `x-` are ignored: use them to hold YAML anchors (`x-db: &db {...}`) merged elsewhere with `<<: *db`.",
	Fields: []*fieldSpec{
		{Key: "version", Required: true, Example: "1",
			Doc:   "Format version of the file. Only 1 exists.",
			value: versionV()},
		{Key: "name", DefaultDoc: "the file name without extension", Example: "orders-to-kafka",
			Doc:   "The task's name: its checkpoints belong to it, and the default checkpoint_dir is named after it. Set it to keep the checkpoints when the file is renamed (with an absolute checkpoint_dir, when it moves to another directory too). Letters, digits, `-` and `_`.",
			value: strV(func(g *DAG) *string { return &g.Name }, checkTaskName)},
		{Key: "engine", Implicit: true, Object: engineSpec, Example: "{checkpoint_dir: /var/lib/sluice/orders}",
			Doc:   "Task-wide settings.",
			value: objV(engineSpec, func(g *DAG) *Engine { return &g.Engine })},
		{Key: "sources", Required: true, Object: sourceSpec, Example: "[{name: orders-db, host: 127.0.0.1, ...}]",
			Doc:   "MySQL or MariaDB servers to read.",
			value: nodesV(KindSource, sourceSpec, func(g *DAG) *[]*Source { return &g.Sources })},
		{Key: "transforms", Object: transformSpec, Example: "[{name: no-pii, from: orders-db, tables: [...]}]",
			Doc:   "Chainable stages that filter rows, project, rename and mask columns, and map tables to topics.",
			value: nodesV(KindTransform, transformSpec, func(g *DAG) *[]*Transform { return &g.Transforms })},
		{Key: "routers", Object: routerSpec, Example: "[{name: by-key, from: orders-db, policy: pk_hash}]",
			Doc:   "Partition policies: which Kafka partition each record goes to.",
			value: nodesV(KindRouter, routerSpec, func(g *DAG) *[]*Router { return &g.Routers })},
		{Key: "sinks", Required: true, Object: sinkSpec, Example: "[{name: main, from: by-key, brokers: [127.0.0.1:9092], topic: orders}]",
			Doc:   "Kafka clusters to write to.",
			value: nodesV(KindSink, sinkSpec, func(g *DAG) *[]*Sink { return &g.Sinks })},
	},
}

var engineSpec = &objectSpec{
	Path: "engine",
	Doc:  "Settings of the whole task.",
	Example: `engine:
  checkpoint_dir: /var/lib/sluice/orders
  inflight_bytes: 128MiB
  http_addr: 127.0.0.1:8765
  http_token: ${env:SLUICE_HTTP_TOKEN}`,
	Fields: []*fieldSpec{
		{Key: "checkpoint_dir", DefaultDoc: "`.sluice/` + the task's name, next to the file", Example: "/var/lib/sluice/orders",
			Doc:   "Directory of the task's checkpoint file (positions, snapshot progress, schema history). Give every task its own. A relative path starts at the topology file's directory.",
			value: pathV(func(e *Engine) *string { return &e.CheckpointDir })},
		{Key: "inflight_bytes", Default: "64MiB", Example: "128MiB",
			Doc: "Bound on the decoded bytes in flight per source. When Kafka is slow the binlog reader stops reading instead of buffering more. From 1MiB to 64GiB: Sluice holds up to about four times it in memory.",
			value: budgetV(func(e *Engine) *int64 { return &e.InflightBytes }, 1<<20, MaxInflightBytes,
				"Sluice holds up to about four times it in memory (decoded rows and encoded records) while Kafka is slow")},
		{Key: "http_addr", Default: "127.0.0.1:8765", Example: "127.0.0.1:9000",
			Doc:   "Listen address of /status, /metrics and /healthz. Loopback by default; set http_token before listening on another interface.",
			value: strV(func(e *Engine) *string { return &e.HTTPAddr }, checkListenAddr)},
		{Key: "http_token", Example: "${env:SLUICE_HTTP_TOKEN}",
			Doc:   "Bearer token the HTTP endpoint requires, when set.",
			value: secretV(func(e *Engine) *Secret { return &e.HTTPToken })},
		{Key: "checkpoint_interval", Default: "1s", Example: "5s",
			Doc:   "Longest time between two checkpoint commits. Shorter means fewer duplicates after a crash, longer means fewer fsyncs.",
			value: durationV(func(e *Engine) *time.Duration { return &e.CheckpointInterval }, 10*time.Millisecond)},
	},
}

var sourceSpec = &objectSpec{
	Path: "sources[]",
	Doc:  "A MySQL or MariaDB server and the tables selected from it. Sluice connects as a replica: the account needs SELECT, REPLICATION CLIENT, REPLICATION SLAVE and SHOW VIEW, and the server needs binlog_format=ROW and binlog_row_image=FULL.",
	Example: `sources:
  - name: orders-db
    flavor: mysql
    host: db1.internal
    port: 3306
    user: sluice
    password: ${env:ORDERS_DB_PASSWORD}
    server_id: 4242
    objects:
      tables: [shop.orders, shop.order_items]`,
	Fields: []*fieldSpec{
		nameField(func(s *Source) *string { return &s.Name }, "orders-db"),
		{Key: "flavor", Default: "mysql", Enum: []string{string(FlavorMySQL), string(FlavorMariaDB)}, Example: "mariadb",
			Doc:   "Server kind; it decides the GTID syntax and the binlog dialect.",
			value: enumV(func(s *Source) *Flavor { return &s.Flavor })},
		{Key: "host", Required: true, Example: "db1.internal",
			Doc:   "Host name or IP address of the server.",
			value: strV(func(s *Source) *string { return &s.Host }, checkHost)},
		{Key: "port", Default: "3306", Example: "3306",
			Doc:   "TCP port of the server.",
			value: intV(func(s *Source) *int { return &s.Port }, 1, 65535)},
		{Key: "user", Required: true, Example: "sluice",
			Doc:   "Account Sluice logs in with.",
			value: strV(func(s *Source) *string { return &s.User }, checkNonEmpty)},
		{Key: "password", Example: "${env:ORDERS_DB_PASSWORD}",
			Doc:   "Password of the account. Reference it with ${env:NAME} or ${file:PATH} rather than writing it in the file.",
			value: secretV(func(s *Source) *Secret { return &s.Password })},
		{Key: "tls", Implicit: true, Object: mysqlTLSSpec, Example: "{mode: verify-identity, ca_file: /etc/ssl/db-ca.pem}",
			Doc:   "TLS to the server.",
			value: objV(mysqlTLSSpec, func(s *Source) *TLS { return &s.TLS })},
		{Key: "server_id", Required: true, Example: "4242",
			Doc:   "The server_id Sluice uses as a replica. It must differ from the server's own and from every other replica of the server.",
			value: intV(func(s *Source) *uint32 { return &s.ServerID }, 1, math.MaxUint32)},
		{Key: "start", Default: "initial", Example: "{gtid: \"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77\"}",
			Doc:   "Where the task starts when it has no checkpoint: `initial` (schema sync, snapshot, then the binlog from the snapshot point), `latest` (the binlog from now on), `{gtid: SET}`, `{file: NAME, pos: N}` (pos defaults to 4, the first event) or `{timestamp: RFC3339}` (the first binlog file with events at or after that time). Ignored once a checkpoint exists.",
			value: startV()},
		{Key: "retry_window", Default: "720m", Example: "24h",
			Doc:   "How long a lost connection is retried, with backoff, before the task fails.",
			value: durationV(func(s *Source) *time.Duration { return &s.RetryWindow }, time.Second)},
		{Key: "objects", Required: true, Object: objectsSpec, Example: "{tables: [shop.orders]}",
			Doc:   "The tables to capture and how each is mapped.",
			value: objV(objectsSpec, func(s *Source) *Objects { return &s.Objects })},
		{Key: "phases", Implicit: true, Object: phasesSpec, Example: "{schema_sync: false}",
			Doc:   "Which phases run.",
			value: objV(phasesSpec, func(s *Source) *Phases { return &s.Phases })},
		{Key: "snapshot", Implicit: true, Object: snapshotSpec, Example: "{parallelism: 8, max_rows_per_second: 20000}",
			Doc:   "Tuning of the snapshot phase.",
			value: objV(snapshotSpec, func(s *Source) *SnapshotSettings { return &s.Phases.SnapshotSettings })},
	},
}

var mysqlTLSSpec = &objectSpec{
	Path:    "sources[].tls",
	Doc:     "TLS to a MySQL or MariaDB server; the modes are those of the mysql client's --ssl-mode.",
	Example: "tls: {mode: verify-ca, ca_file: /etc/ssl/db-ca.pem}",
	Fields: []*fieldSpec{
		{Key: "mode", Default: string(TLSDisabled), Enum: []string{string(TLSDisabled), string(TLSRequired), string(TLSVerifyCA), string(TLSVerifyIdentity)}, Example: "verify-identity",
			Doc:   "`disabled`: plain TCP. `required`: encrypted, certificate not checked. `verify-ca`: the certificate must chain to ca_file (or the system roots). `verify-identity`: as verify-ca, and the host name must match.",
			value: enumV(func(t *TLS) *TLSMode { return &t.Mode })},
		{Key: "ca_file", Example: "/etc/ssl/db-ca.pem",
			Doc:   "PEM file of the certificate authorities to trust; the system roots when absent.",
			value: pathV(func(t *TLS) *string { return &t.CAFile })},
		{Key: "cert_file", Example: "/etc/ssl/sluice.pem",
			Doc:   "PEM client certificate, for servers that require one; needs key_file.",
			value: pathV(func(t *TLS) *string { return &t.CertFile })},
		{Key: "key_file", Example: "/etc/ssl/sluice.key",
			Doc:   "PEM private key of cert_file.",
			value: pathV(func(t *TLS) *string { return &t.KeyFile })},
		{Key: "server_name", DefaultDoc: "the source's host", Example: "db1.internal",
			Doc:   "Name checked against the certificate by verify-identity.",
			value: strV(func(t *TLS) *string { return &t.ServerName }, checkNonEmpty)},
	},
}

var objectsSpec = &objectSpec{
	Transparent: true,
	Path:        "sources[].objects",
	Doc:         "Which tables are captured. A table is captured when an include rule matches it and no exclude pattern does; the first matching rule maps it. Only tables can be selected (not views, routines or events).",
	Example: `objects:
  tables:
    - shop.orders                # shorthand: a rule with only a pattern
    - pattern: shop.customer*
      topic: customers
      columns: {mask: {email: hash}}
  exclude: [shop.customer_tmp*]`,
	Fields: []*fieldSpec{
		{Key: "tables", Required: true, Object: tableRuleSpec, Example: "[shop.orders, \"shop.audit_*\"]",
			Doc:   "Include rules, first match wins. An entry is a table rule, or just a pattern string.",
			value: rulesV(func(o *Objects) *[]*TableRule { return &o.Tables })},
		{Key: "exclude", Example: "[\"shop.*_tmp\"]",
			Doc:   "Patterns of tables never captured, even when an include rule matches.",
			value: listV(func(o *Objects) *[]string { return &o.Exclude }, checkPatternValue)},
	},
}

var patternField = &fieldSpec{Key: "pattern", Required: true, Example: "shop.order*",
	Doc:   "`db.table` with wildcards `*` (any run of characters) and `?` (one character) in either part; case-sensitive.",
	value: strV(func(r *TableRule) *string { return &r.Pattern }, checkPatternValue)}

var tableRuleSpec = &objectSpec{
	Path: "table rules",
	Doc:  "A table rule selects tables by pattern and says how their rows are written. Table rules appear in a source's `objects.tables` (they select the tables) and in a transform's `tables` (they apply to the tables they match; other tables pass the transform unchanged). A rule may be written as just its pattern string.",
	Example: `- pattern: shop.orders
  topic: orders
  filter: "status IN ('paid', 'shipped') AND amount >= 10"
  columns:
    exclude: [internal_note]
    rename: {cust_id: customer_id}
    mask: {email: hash}
  partition_key: [customer_id]`,
	Fields: []*fieldSpec{
		patternField,
		{Key: "topic", DefaultDoc: "the sink's topic", Example: "orders",
			Doc:   "Kafka topic of the matched tables. A later transform's rule may change it again.",
			value: strV(func(r *TableRule) *string { return &r.Topic }, checkTopic)},
		{Key: "filter", Example: "\"status != 'draft' AND region IN ('eu', 'us')\"",
			Doc:   "Keeps only the rows for which the condition holds (see Filters). Columns are named as in the source, before renames. For an update, the row after the change decides.",
			value: filterV(func(r *TableRule) **Expr { return &r.Filter })},
		{Key: "columns", Object: columnsSpec, Example: "{exclude: [password_hash]}",
			Doc:   "Column projection, renames and masks.",
			value: objV(columnsSpec, func(r *TableRule) *ColumnRules { return &r.Columns })},
		{Key: "partition_key", DefaultDoc: "the primary key (or first unique key)", Example: "[customer_id]",
			Doc:   "Columns hashed by the pk_hash and columns_hash router policies (source names, before renames).",
			value: partitionKeyV()},
		{Key: "partitions", Default: "0", Example: "12",
			Doc:   "Partition count of the topic when Sluice creates it; 0 means the sink's `partitions`.",
			value: intV(func(r *TableRule) *int { return &r.Partitions }, 0, 100000)},
	},
}

var columnsSpec = &objectSpec{
	Path:    "table rules: columns",
	Doc:     "Column rules of a table rule. Columns are named as in the source; `include` and `exclude` are exclusive; masks apply before renames.",
	Example: "columns: {include: [id, status, email], rename: {status: state}, mask: {email: redact}}",
	Fields: []*fieldSpec{
		{Key: "include", DefaultDoc: "every column", Example: "[id, status, amount]",
			Doc:   "Only these columns are written. Key columns should stay in.",
			value: listV(func(c *ColumnRules) *[]string { return &c.Include }, nil)},
		{Key: "exclude", Example: "[password_hash]",
			Doc:   "These columns are dropped.",
			value: listV(func(c *ColumnRules) *[]string { return &c.Exclude }, nil)},
		{Key: "rename", Example: "{cust_id: customer_id}",
			Doc:   "Source name → output name.",
			value: renameV()},
		{Key: "mask", Example: "{email: hash, ssn: redact}",
			Enum:  []string{string(MaskRedact), string(MaskHash), string(MaskNull)},
			Doc:   "Column → how its value is hidden: `redact` writes \"***\", `hash` the hex SHA-256 of the value's text, `null` a NULL.",
			value: maskV()},
	},
}

var phasesSpec = &objectSpec{
	Path:    "sources[].phases",
	Doc:     "The phases of the task, in order: schema sync, snapshot, incremental. At least one must run.",
	Example: "phases: {schema_sync: true, snapshot: true, incremental: true, ignore_ddl: true}",
	Fields: []*fieldSpec{
		{Key: "schema_sync", Default: "true", Example: "false",
			Doc:   "Capture each selected table's definition and write it as a DDL record to the DDL topic (and register Avro schemas when a registry is set).",
			value: boolV(func(p *Phases) *bool { return &p.SchemaSync })},
		{Key: "snapshot", DefaultDoc: "true when start is initial, else false", Example: "false",
			Doc:   "Copy the existing rows before following the binlog. Needs start: initial, which picks the binlog position that joins snapshot and binlog without a gap.",
			value: boolV(func(p *Phases) *bool { return &p.Snapshot })},
		{Key: "incremental", Default: "true", Example: "false",
			Doc:   "Follow the binlog. Without it the task ends after the snapshot.",
			value: boolV(func(p *Phases) *bool { return &p.Incremental })},
		{Key: "ignore_ddl", Default: "true", Example: "false",
			Doc:   "Drop DDL events in the incremental phase instead of writing them to the DDL topic. Tables keep being decoded with their new definition either way.",
			value: boolV(func(p *Phases) *bool { return &p.IgnoreDDL })},
	},
}

var snapshotSpec = &objectSpec{
	Path:    "sources[].snapshot",
	Doc:     "Tuning of the snapshot: tables are read in primary-key chunks by parallel readers.",
	Example: "snapshot: {chunk_size: 8192, parallelism: 4, max_rows_per_second: 50000, max_bytes_per_second: 32MiB}",
	Fields: []*fieldSpec{
		{Key: "chunk_size", Default: "8192", Example: "20000",
			Doc:   "Rows per chunk; a chunk is the unit of progress and of resumption.",
			value: intV(func(s *SnapshotSettings) *int { return &s.ChunkSize }, 1, 10_000_000)},
		{Key: "parallelism", Default: "0", Example: "8",
			Doc:   "Chunks read at once (one connection each); 0 picks one per core (GOMAXPROCS), at most 4.",
			value: intV(func(s *SnapshotSettings) *int { return &s.Parallelism }, 0, 256)},
		{Key: "max_rows_per_second", Default: "0", Example: "50000",
			Doc:   "Cap on rows read per second, over all readers; 0 is no cap.",
			value: intV(func(s *SnapshotSettings) *int { return &s.MaxRowsPerSecond }, 0, math.MaxInt32)},
		{Key: "max_bytes_per_second", Default: "0", Example: "32MiB",
			Doc:   "Cap on bytes read per second, over all readers; 0 is no cap.",
			value: sizeV(func(s *SnapshotSettings) *int { return &s.MaxBytesPerSecond }, 0)},
	},
}

var transformSpec = &objectSpec{
	Path: "transforms[]",
	Doc:  "A stage between sources and routers that applies table rules: filter, columns and topic of the first rule matching a table apply to its rows; tables no rule matches pass unchanged. Transforms chain: a transform may read from another (cascade).",
	Example: `transforms:
  - name: no-pii
    from: orders-db
    tables:
      - pattern: shop.customers
        columns: {mask: {email: hash, phone: null}}`,
	Fields: []*fieldSpec{
		nameField(func(t *Transform) *string { return &t.Name }, "no-pii"),
		fromField("sources or transforms", "orders-db"),
		{Key: "tables", Required: true, Object: tableRuleSpec, Example: "[{pattern: shop.customers, filter: \"country = 'FR'\"}]",
			Doc:   "Table rules, first match wins.",
			value: rulesV(func(t *Transform) *[]*TableRule { return &t.Tables })},
	},
}

var routerSpec = &objectSpec{
	Path: "routers[]",
	Doc:  "Assigns each record a partition of its topic. DDL records go to partition 0 whatever the policy.",
	Example: `routers:
  - name: by-key
    from: [orders-db, no-pii]
    policy: pk_hash`,
	Fields: []*fieldSpec{
		nameField(func(r *Router) *string { return &r.Name }, "by-key"),
		fromField("sources or transforms", "orders-db"),
		{Key: "policy", Default: string(PolicyPartition0), Example: string(PolicyPKHash),
			Enum:  []string{string(PolicyPartition0), string(PolicyTableHash), string(PolicyPKHash), string(PolicyColumnsHash)},
			Doc:   "`partition0`: every record to partition 0 (total commit order). `table_hash`: hash of `db.table` (per-table order). `pk_hash`: hash of the table rule's partition_key, else the primary key (per-row order). `columns_hash`: hash of the table rule's partition_key, else the router's columns.",
			value: enumV(func(r *Router) *PartitionPolicy { return &r.Policy })},
		{Key: "columns", Example: "[tenant_id]",
			Doc:   "Columns hashed by columns_hash for tables whose rule has no partition_key.",
			value: listV(func(r *Router) *[]string { return &r.Columns }, nil)},
	},
}

var sinkSpec = &objectSpec{
	Path: "sinks[]",
	Doc:  "A Kafka cluster and how records are written to it. A sink reads from routers; when it reads from a source or transform directly, an implied router named `<sink>.router` with policy partition0 sits between.",
	Example: `sinks:
  - name: main
    from: by-key
    brokers: [kafka1:9092, kafka2:9092]
    topic: shop
    format: canal-json`,
	Fields: []*fieldSpec{
		nameField(func(s *Sink) *string { return &s.Name }, "main"),
		fromField("routers (or sources and transforms, through an implied partition0 router)", "by-key"),
		{Key: "brokers", Required: true, Example: "[kafka1:9092, kafka2:9092]",
			Doc:   "Bootstrap brokers, host:port.",
			value: listV(func(s *Sink) *[]string { return &s.Brokers }, checkBroker)},
		{Key: "tls", Object: kafkaTLSSpec, Example: "{ca_file: /etc/ssl/kafka-ca.pem}",
			Doc:   "TLS to the brokers; the block's presence turns TLS on.",
			value: objV(kafkaTLSSpec, func(s *Sink) *KafkaTLS { return &s.TLS })},
		{Key: "sasl", Object: saslSpec, Example: `{mechanism: SCRAM-SHA-512, user: sluice, password: "${env:KAFKA_PASSWORD}"}`,
			Doc:   "SASL authentication.",
			value: objV(saslSpec, func(s *Sink) *SASL { return &s.SASL })},
		{Key: "topic", Required: true, Example: "shop",
			Doc:   "Topic of every table that no table rule maps to a topic of its own.",
			value: strV(func(s *Sink) *string { return &s.Topic }, checkTopic)},
		{Key: "ddl_topic", DefaultDoc: "the sink's `topic`; for debezium-json and avro, the source's name (Debezium's schema-change topic)", Example: "shop-ddl",
			Doc:   "Topic of the DDL records (schema sync and, unless ignore_ddl, binlog DDL).",
			value: strV(func(s *Sink) *string { return &s.DDLTopic }, checkTopic)},
		{Key: "format", Default: string(FormatCanalJSON), Example: string(FormatDTSAvro),
			Enum:  []string{string(FormatCanalJSON), string(FormatDTSAvro), string(FormatDebeziumJSON), string(FormatAvro)},
			Doc:   "Record format: `canal-json` (as DTS and Canal write it), `dts-avro` (DTS's Record schema, raw Avro binary), `debezium-json` (Debezium's envelope), `avro` (Confluent wire format; needs schema_registry).",
			value: enumV(func(s *Sink) *Format { return &s.Format })},
		{Key: "canal_flavor", Default: string(CanalFlavorDTS), Example: string(CanalFlavorCanal),
			Enum:  []string{string(CanalFlavorDTS), string(CanalFlavorCanal)},
			Doc:   "Flavour of canal-json: `dts` as Alibaba DTS writes it, `canal` as open-source Canal does.",
			value: enumV(func(s *Sink) *CanalFlavor { return &s.CanalFlavor })},
		{Key: "canal_enum_names", Default: "false", Example: "true",
			Doc:   "With canal_flavor canal, write ENUM and SET values as their names (`large`, `a,c`) instead of the index and bit mask open-source Canal writes (`2`, `5`). The dts flavour always writes names.",
			value: boolV(func(s *Sink) *bool { return &s.CanalEnumNames })},
		{Key: "debezium", Implicit: true, Object: debeziumSpec, Example: "{schemas: true, tombstones: false}",
			Doc:   "Settings of format debezium-json, named as Debezium names them.",
			value: objV(debeziumSpec, func(s *Sink) *DebeziumOptions { return &s.Debezium })},
		{Key: "schema_registry", Object: registrySpec, Example: "{url: \"https://registry:8081\"}",
			Doc:   "Confluent-compatible schema registry; required by format avro, optional for dts-avro (Confluent wire format then).",
			value: ptrV(registrySpec, func(s *Sink) **SchemaRegistry { return &s.Registry })},
		{Key: "compression", Default: "lz4", Example: "zstd",
			Enum:  []string{"none", "gzip", "snappy", "lz4", "zstd"},
			Doc:   "Compression of record batches.",
			value: enumV(func(s *Sink) *string { return &s.Compression })},
		{Key: "batch_bytes", Default: "1MiB", Example: "4MiB",
			Doc:   "Largest batch sent to one partition at once.",
			value: sizeV(func(s *Sink) *int { return &s.BatchBytes }, 1024)},
		{Key: "linger", Default: "5ms", Example: "20ms",
			Doc:   "How long a batch waits for more records before it is sent.",
			value: durationV(func(s *Sink) *time.Duration { return &s.Linger }, 0)},
		{Key: "create_topics", Default: string(CreateTopicsMissing), Example: string(CreateTopicsNever),
			Enum:  []string{string(CreateTopicsNever), string(CreateTopicsMissing)},
			Doc:   "`missing`: create absent topics with `partitions` and `replication_factor`. `never`: a missing topic fails precheck.",
			value: enumV(func(s *Sink) *CreateTopics { return &s.CreateTopics })},
		{Key: "partitions", Default: "1", Example: "12",
			Doc:   "Partition count of the topics Sluice creates (a table rule's partitions wins).",
			value: intV(func(s *Sink) *int { return &s.Partitions }, 1, 100000)},
		{Key: "replication_factor", Default: "1", Example: "3",
			Doc:   "Replication factor of the topics Sluice creates.",
			value: intV(func(s *Sink) *int { return &s.ReplicationFactor }, 1, 32767)},
		{Key: "max_message_bytes", Default: "1MiB", Example: "4MiB",
			Doc:   "Largest record Sluice writes; keep it at or under the topic's max.message.bytes.",
			value: sizeV(func(s *Sink) *int { return &s.MaxMessageBytes }, 1024)},
		{Key: "oversize", Default: string(OversizeFail), Example: string(OversizeSkip),
			Enum:  []string{string(OversizeFail), string(OversizeSkip)},
			Doc:   "What a record larger than max_message_bytes does: `fail` stops the task (terminal error naming the table and position); `skip` drops it and counts it in /metrics.",
			value: enumV(func(s *Sink) *OversizePolicy { return &s.Oversize })},
	},
}

var kafkaTLSSpec = &objectSpec{
	Path:    "sinks[].tls",
	Doc:     "TLS to Kafka brokers.",
	Example: "tls: {ca_file: /etc/ssl/kafka-ca.pem}",
	Fields: []*fieldSpec{
		{Key: "enabled", Default: "true", Example: "false",
			Doc:   "Turns TLS on; write false to keep the block but disable it.",
			value: boolV(func(t *KafkaTLS) *bool { return &t.Enabled })},
		{Key: "ca_file", Example: "/etc/ssl/kafka-ca.pem",
			Doc:   "PEM file of the certificate authorities to trust; the system roots when absent.",
			value: pathV(func(t *KafkaTLS) *string { return &t.CAFile })},
		{Key: "cert_file", Example: "/etc/ssl/sluice.pem",
			Doc:   "PEM client certificate (mutual TLS); needs key_file.",
			value: pathV(func(t *KafkaTLS) *string { return &t.CertFile })},
		{Key: "key_file", Example: "/etc/ssl/sluice.key",
			Doc:   "PEM private key of cert_file.",
			value: pathV(func(t *KafkaTLS) *string { return &t.KeyFile })},
		{Key: "insecure_skip_verify", Default: "false", Example: "true",
			Doc:   "Accept any broker certificate. For tests only.",
			value: boolV(func(t *KafkaTLS) *bool { return &t.InsecureSkipVerify })},
	},
}

var saslSpec = &objectSpec{
	Path:    "sinks[].sasl",
	Doc:     "SASL authentication to Kafka. Use it with tls: SASL alone sends PLAIN passwords in clear.",
	Example: `sasl: {mechanism: SCRAM-SHA-512, user: sluice, password: "${env:KAFKA_PASSWORD}"}`,
	Fields: []*fieldSpec{
		{Key: "mechanism", Required: true, Example: string(SASLScramSHA512),
			Enum:  []string{string(SASLPlain), string(SASLScramSHA256), string(SASLScramSHA512)},
			Doc:   "SASL mechanism.",
			value: enumV(func(s *SASL) *SASLMechanism { return &s.Mechanism })},
		{Key: "user", Required: true, Example: "sluice",
			Doc:   "User name.",
			value: strV(func(s *SASL) *string { return &s.User }, checkNonEmpty)},
		{Key: "password", Required: true, Example: "${env:KAFKA_PASSWORD}",
			Doc:   "Password; reference it with ${env:NAME} or ${file:PATH}.",
			value: secretV(func(s *SASL) *Secret { return &s.Password })},
	},
}

var debeziumSpec = &objectSpec{
	Path:    "sinks[].debezium",
	Doc:     "Debezium's settings for format debezium-json (see docs/formats.md).",
	Example: "debezium: {schemas: true, tombstones: true, decimal_handling: string}",
	Fields: []*fieldSpec{
		{Key: "schemas", Default: "false", Example: "true",
			Doc:   "Add the `schema` part to keys and values (Kafka Connect's schemas.enable).",
			value: boolV(func(d *DebeziumOptions) *bool { return &d.Schemas })},
		{Key: "tombstones", Default: "true", Example: "false",
			Doc:   "Follow each delete with a tombstone (same key, null value) so compacted topics drop the row (tombstones.on.delete).",
			value: boolV(func(d *DebeziumOptions) *bool { return &d.Tombstones })},
		{Key: "decimal_handling", Default: "precise", Example: "string",
			Enum:  []string{"precise", "string", "double"},
			Doc:   "DECIMAL rendering (decimal.handling.mode): `precise` base64 of the unscaled bytes, `string` plain text, `double` a JSON number.",
			value: enumV(func(d *DebeziumOptions) *string { return &d.DecimalHandling })},
		{Key: "time_precision", Default: "adaptive_time_microseconds", Example: "connect",
			Enum:  []string{"adaptive_time_microseconds", "connect"},
			Doc:   "Temporal rendering (time.precision.mode).",
			value: enumV(func(d *DebeziumOptions) *string { return &d.TimePrecision })},
		{Key: "bigint_unsigned_handling", Default: "long", Example: "precise",
			Enum:  []string{"long", "precise"},
			Doc:   "BIGINT UNSIGNED rendering (bigint.unsigned.handling.mode): `long` a signed 64-bit number, values above 2^63-1 wrapping negative as Debezium's do; `precise` Connect Decimal(20,0), exact.",
			value: enumV(func(d *DebeziumOptions) *string { return &d.BigIntUnsignedHandling })},
	},
}

var registrySpec = &objectSpec{
	Path:    "sinks[].schema_registry",
	Doc:     "A Confluent-compatible schema registry.",
	Example: `schema_registry: {url: "https://registry:8081", user: sluice, password: "${env:REGISTRY_PASSWORD}"}`,
	Fields: []*fieldSpec{
		{Key: "url", Required: true, Example: "\"https://registry:8081\"",
			Doc:   "Base URL, http or https.",
			value: strV(func(r *SchemaRegistry) *string { return &r.URL }, checkURL)},
		{Key: "user", Example: "sluice",
			Doc:   "Basic-auth user.",
			value: strV(func(r *SchemaRegistry) *string { return &r.User }, checkNonEmpty)},
		{Key: "password", Example: "${env:REGISTRY_PASSWORD}",
			Doc:   "Basic-auth password.",
			value: secretV(func(r *SchemaRegistry) *Secret { return &r.Password })},
		{Key: "ca_file", Example: "/etc/ssl/registry-ca.pem",
			Doc:   "PEM file of the certificate authorities to trust for https.",
			value: pathV(func(r *SchemaRegistry) *string { return &r.CAFile })},
	},
}

func nameField[T any](p func(*T) *string, example string) *fieldSpec {
	return &fieldSpec{Key: "name", Required: true, Example: example,
		Doc:   "Unique name among all sources, transforms, routers and sinks; `from:` lists refer to it. Letters, digits, `-` and `_`.",
		value: strV(p, checkName)}
}

func fromField(what, example string) *fieldSpec {
	return &fieldSpec{Key: "from", Required: true, Example: example,
		Doc:   "Name, or list of names, of the nodes this one reads from: " + what + ".",
		value: fromV()}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func checkName(s string) (string, string) {
	if !nameRE.MatchString(s) {
		return "names are 1 to 64 letters, digits, - and _, starting with a letter or digit", "e.g. name: orders-db"
	}
	return "", ""
}

func checkTaskName(s string) (string, string) {
	if !nameRE.MatchString(s) {
		return "names are 1 to 64 letters, digits, - and _, starting with a letter or digit", "e.g. name: orders-to-kafka"
	}
	return "", ""
}

func checkNonEmpty(s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "it is empty", ""
	}
	return "", ""
}

func checkHost(s string) (string, string) {
	switch {
	case s == "":
		return "it is empty", ""
	case net.ParseIP(s) != nil:
		return "", ""
	case strings.Contains(s, ":"):
		return "the port goes in port:, not in host", "e.g. host: db1.internal and port: 3306"
	case strings.ContainsAny(s, " \t/"):
		return "a host name has no spaces or slashes", ""
	}
	return "", ""
}

func checkBroker(s string) (string, string) {
	if p := checkHostPort(s); p != "" {
		return p, "e.g. brokers: [kafka1:9092]"
	}
	return "", ""
}

func checkListenAddr(s string) (string, string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return "it is not host:port", "e.g. http_addr: 127.0.0.1:8765"
	}
	_ = host
	if p := checkHostPort("x:" + port); p != "" {
		return p, "e.g. http_addr: 127.0.0.1:8765"
	}
	return "", ""
}

var topicRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

func checkTopic(s string) (string, string) {
	if !topicRE.MatchString(s) || s == "." || s == ".." {
		return "Kafka topic names are 1 to 249 letters, digits, '.', '_' and '-'", "e.g. topic: shop.orders"
	}
	return "", ""
}

func checkPatternValue(s string) (string, string) {
	if p := checkPattern(s); p != "" {
		return "the pattern " + p, "write db.table, with * and ? as wildcards, e.g. shop.order*"
	}
	return "", ""
}

func checkURL(s string) (string, string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "it is not an http or https URL", `e.g. url: "https://registry:8081"`
	}
	return "", ""
}

func versionV() value {
	return value{typ: "integer", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		v, ok := d.integer(f, n, sc, math.MinInt64, math.MaxInt64)
		if !ok {
			return
		}
		if v != 1 {
			d.errorf(resolve(n), "write version: 1", "unsupported version %d; this Sluice reads version 1", v)
			return
		}
		dst.(*DAG).Version = int(v)
	}}
}

func partitionKeyV() value {
	return value{typ: "list of strings", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		vals, _, _ := d.stringList(f, n, sc)
		if sc.rule != nil {
			sc.rule.pkNode = resolve(n)
		}
		dst.(*TableRule).PartitionKey = vals
	}}
}

func renameV() value {
	return value{typ: "mapping of strings", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		c := dst.(*ColumnRules)
		c.Rename = map[string]string{}
		targets := map[string]string{}
		d.stringMap(f, n, sc, "", func(k, v string, kn, vn *yaml.Node) bool {
			if v == "" {
				d.errorf(vn, "write the new name, e.g. rename: {cust_id: customer_id}", "column %s is renamed to an empty name %s", k, sc.in())
				return false
			}
			if prev, dup := targets[v]; dup {
				d.errorf(vn, "give each column its own output name", "columns %s and %s are both renamed to %s %s", prev, k, v, sc.in())
				return false
			}
			targets[v] = k
			c.Rename[k] = v
			return true
		})
	}}
}

func maskV() value {
	return value{typ: "mapping of column to mask", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		c := dst.(*ColumnRules)
		c.Mask = map[string]MaskKind{}
		d.stringMap(f, n, sc, "null", func(k, v string, kn, vn *yaml.Node) bool {
			for _, e := range f.Enum {
				if v == e {
					c.Mask[k] = MaskKind(v)
					return true
				}
			}
			fix := "use one of " + strings.Join(f.Enum, ", ")
			if c := closest(v, f.Enum); c != "" {
				fix = fmt.Sprintf("did you mean %q? (one of %s)", c, strings.Join(f.Enum, ", "))
			}
			d.errorf(vn, fix, "bad mask %q for column %s %s", v, k, sc.in())
			return false
		})
	}}
}
