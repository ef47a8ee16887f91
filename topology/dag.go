package topology

import (
	"runtime"
	"time"
)

// This file is the contract between topology/ and the engine: the validated,
// defaults-resolved DAG. No YAML type appears here.

// DAG is a validated topology: its nodes, the edges between them, and the
// resolved pipelines (every path from a source to a sink).
type DAG struct {
	Version int
	// Name is the task's name (default: the file name without extension).
	Name       string
	Engine     Engine
	Sources    []*Source
	Transforms []*Transform
	Routers    []*Router
	Sinks      []*Sink
	Edges      []Edge
	// Pipelines are the source → transforms → router → sink paths, in file
	// order. One source may appear in several (one-to-many), one sink too
	// (many-to-one).
	Pipelines []*Pipeline
}

// NodeKind names the kind of a DAG node.
type NodeKind string

const (
	KindSource    NodeKind = "source"
	KindTransform NodeKind = "transform"
	KindRouter    NodeKind = "router"
	KindSink      NodeKind = "sink"
)

// NodeRef names one node.
type NodeRef struct {
	Kind NodeKind
	Name string
}

// Edge is a directed edge: data flows From → To.
type Edge struct{ From, To NodeRef }

// Pipeline is one resolved path through the DAG.
type Pipeline struct {
	Source     *Source
	Transforms []*Transform // applied in order
	Router     *Router
	Sink       *Sink
}

// DDLTopic is the topic p's DDL records (schema sync and binlog DDL) go to:
// the sink's ddl_topic; without one, the sink's topic, except for the
// Debezium envelopes (debezium-json, avro), whose DDL goes to a topic named
// for the source, as Debezium writes schema changes to its <topic.prefix>
// topic and never into a table's (Debezium consumers such as Flink's
// debezium-json format fail on a schema change in a data topic).
func (p *Pipeline) DDLTopic() string {
	if p.Sink.DDLTopic != "" {
		return p.Sink.DDLTopic
	}
	if p.Sink.Format.DebeziumEnvelope() {
		return p.Source.Name
	}
	return p.Sink.Topic
}

// Engine holds task-wide settings.
type Engine struct {
	// CheckpointDir holds the task's bbolt checkpoint file.
	CheckpointDir string
	// InflightBytes bounds the decoded bytes in flight per source (default 64 MiB).
	InflightBytes int64
	// HTTPAddr is the status/metrics listen address (default 127.0.0.1:8765).
	HTTPAddr string
	// HTTPToken, when set, is required as a bearer token by the HTTP endpoint.
	HTTPToken Secret
	// CheckpointInterval is the longest time between two checkpoint commits.
	CheckpointInterval time.Duration
}

// Flavor is the source server kind.
type Flavor string

const (
	FlavorMySQL   Flavor = "mysql"
	FlavorMariaDB Flavor = "mariadb"
)

// TLSMode is the TLS mode to a MySQL server, as in MySQL's --ssl-mode.
type TLSMode string

const (
	TLSDisabled       TLSMode = "disabled"
	TLSRequired       TLSMode = "required"
	TLSVerifyCA       TLSMode = "verify-ca"
	TLSVerifyIdentity TLSMode = "verify-identity"
)

// TLS configures TLS to a server.
type TLS struct {
	Mode       TLSMode
	CAFile     string
	CertFile   string
	KeyFile    string
	ServerName string
}

// StartMode says where a source starts when it has no checkpoint.
type StartMode string

const (
	// StartInitial runs schema sync and snapshot, then the binlog from the
	// snapshot point.
	StartInitial   StartMode = "initial"
	StartLatest    StartMode = "latest"
	StartGTID      StartMode = "gtid"
	StartFilePos   StartMode = "file"
	StartTimestamp StartMode = "timestamp"
)

// StartPosition is a source's start position.
type StartPosition struct {
	Mode      StartMode
	GTID      string
	File      string
	Pos       uint32
	Timestamp time.Time
}

// Source is a MySQL or MariaDB server and the objects selected from it.
type Source struct {
	Name     string
	Flavor   Flavor
	Host     string
	Port     int
	User     string
	Password Secret
	TLS      TLS
	// ServerID is the replica server_id Sluice uses; unique per server.
	ServerID uint32
	Start    StartPosition
	// RetryWindow is how long lost connections are retried (default 720m).
	RetryWindow time.Duration
	Objects     Objects
	Phases      Phases
}

// Addr is "host:port".
func (s *Source) Addr() string { return joinHostPort(s.Host, s.Port) }

// Objects selects tables and says, per table, how they are mapped.
type Objects struct {
	// Tables are the include rules, first match wins.
	Tables []*TableRule
	// Exclude patterns ("db.table", wildcards * and ?) win over includes.
	Exclude []string
}

// TableRule selects tables by pattern and maps them.
type TableRule struct {
	// Pattern is "db.table" with * and ? wildcards in either part.
	Pattern string
	// Topic is the target topic; empty means the sink's topic.
	Topic string
	// Filter keeps only rows for which it holds; nil keeps all.
	Filter  *Expr
	Columns ColumnRules
	// PartitionKey lists the columns hashed by the pk_hash/columns_hash
	// policies; empty means the table's primary (or unique) key.
	PartitionKey []string
	// Partitions is the partition count of a topic Sluice creates (0 = the sink's).
	Partitions int
}

// ColumnRules project, rename and mask columns.
type ColumnRules struct {
	Include []string // empty = all
	Exclude []string
	Rename  map[string]string // source name → output name
	Mask    map[string]MaskKind
}

// MaskKind says how a masked column is rendered.
type MaskKind string

const (
	// MaskRedact replaces the value with "***".
	MaskRedact MaskKind = "redact"
	// MaskHash replaces the value with the hex SHA-256 of its text.
	MaskHash MaskKind = "hash"
	// MaskNull replaces the value with NULL.
	MaskNull MaskKind = "null"
)

// Phases says which phases run and how.
type Phases struct {
	SchemaSync  bool
	Snapshot    bool
	Incremental bool
	SnapshotSettings
	// IgnoreDDL drops DDL in the incremental phase (default true).
	IgnoreDDL bool
}

// SnapshotSettings tune the snapshot.
type SnapshotSettings struct {
	ChunkSize         int // rows per chunk (default 8192)
	Parallelism       int // shard readers; 0 (the default) picks itself: Readers
	MaxRowsPerSecond  int // 0 = unlimited
	MaxBytesPerSecond int // 0 = unlimited
}

// maxDefaultReaders caps the readers a default snapshot opens: each holds a
// connection and a consistent-snapshot transaction on the source.
const maxDefaultReaders = 4

// Readers is the number of chunks read at once: Parallelism, or when that
// is 0 one reader per Go processor up to maxDefaultReaders. A reader keeps
// about one core busy (decoding, encoding, compressing its rows), so more
// readers than cores add only heap and scheduling, not speed
// (docs/benchmarks.md).
func (s SnapshotSettings) Readers() int {
	if s.Parallelism > 0 {
		return s.Parallelism
	}
	return min(runtime.GOMAXPROCS(0), maxDefaultReaders)
}

// Transform is a chainable stage applying rules to matching tables.
type Transform struct {
	Name string
	// Tables are rules applied to the tables they match (first match wins);
	// Filter, Columns and Topic of a matching rule apply.
	Tables []*TableRule
}

// PartitionPolicy is one of the DTS partition policies.
type PartitionPolicy string

const (
	PolicyPartition0  PartitionPolicy = "partition0"
	PolicyTableHash   PartitionPolicy = "table_hash"
	PolicyPKHash      PartitionPolicy = "pk_hash"
	PolicyColumnsHash PartitionPolicy = "columns_hash"
)

// Router assigns records to partitions.
type Router struct {
	Name   string
	Policy PartitionPolicy
	// Columns are hashed by columns_hash when a table rule sets no
	// PartitionKey.
	Columns []string
}

// Format is an output record format.
type Format string

const (
	FormatCanalJSON    Format = "canal-json"
	FormatDTSAvro      Format = "dts-avro"
	FormatDebeziumJSON Format = "debezium-json"
	FormatAvro         Format = "avro"
)

// DebeziumEnvelope reports whether f is one of Debezium's envelopes
// (debezium-json, avro), whose consumers expect no schema changes in a
// table's topic.
func (f Format) DebeziumEnvelope() bool { return f == FormatDebeziumJSON || f == FormatAvro }

// CanalFlavor is the Canal JSON flavour.
type CanalFlavor string

const (
	CanalFlavorDTS   CanalFlavor = "dts"
	CanalFlavorCanal CanalFlavor = "canal"
)

// SASLMechanism is a Kafka SASL mechanism.
type SASLMechanism string

const (
	SASLNone        SASLMechanism = ""
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
)

// SASL configures Kafka authentication.
type SASL struct {
	Mechanism SASLMechanism
	User      string
	Password  Secret
}

// KafkaTLS configures TLS to Kafka.
type KafkaTLS struct {
	Enabled            bool
	CAFile             string
	CertFile, KeyFile  string
	InsecureSkipVerify bool
}

// SchemaRegistry is a Confluent-compatible schema registry.
type SchemaRegistry struct {
	URL      string
	User     string
	Password Secret
	CAFile   string
}

// OversizePolicy says what happens to a record larger than MaxMessageBytes.
type OversizePolicy string

const (
	OversizeFail OversizePolicy = "fail"
	OversizeSkip OversizePolicy = "skip"
)

// CreateTopics says whether Sluice creates missing topics.
type CreateTopics string

const (
	CreateTopicsNever   CreateTopics = "never"
	CreateTopicsMissing CreateTopics = "missing"
)

// Sink is a Kafka cluster and how records are written to it.
type Sink struct {
	Name    string
	Brokers []string
	TLS     KafkaTLS
	SASL    SASL
	// Topic receives every table not mapped to a topic of its own.
	Topic string
	// DDLTopic receives DDL records (default: Topic; for the Debezium
	// envelopes "", and Pipeline.DDLTopic names the source's topic).
	DDLTopic    string
	Format      Format
	CanalFlavor CanalFlavor
	// CanalEnumNames writes ENUM and SET as names in the canal flavour
	// (default: Canal's index and bit mask).
	CanalEnumNames bool
	Registry       *SchemaRegistry // nil = none
	Compression    string          // none|gzip|snappy|lz4|zstd
	BatchBytes     int
	Linger         time.Duration
	CreateTopics
	Partitions        int // for created topics (default 1)
	ReplicationFactor int // for created topics (default 1)
	MaxMessageBytes   int // default 1 MiB
	Oversize          OversizePolicy
	// Debezium tunes format debezium-json.
	Debezium DebeziumOptions
}

// DebeziumOptions are Debezium's own settings of the debezium-json format.
type DebeziumOptions struct {
	// Schemas adds the "schema" part to keys and values (schemas.enable).
	Schemas bool
	// Tombstones follows each delete with a null-value record (tombstones.on.delete).
	Tombstones bool
	// DecimalHandling is decimal.handling.mode: precise, string or double.
	DecimalHandling string
	// TimePrecision is time.precision.mode: adaptive_time_microseconds or connect.
	TimePrecision string
	// BigIntUnsignedHandling is bigint.unsigned.handling.mode: long or precise.
	BigIntUnsignedHandling string
}
