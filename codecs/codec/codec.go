package codec

import (
	"context"
	"fmt"
	"github.com/sluicecdc/sluice/internal/errkind"
	"strconv"
	"time"

	"github.com/sluicecdc/sluice/change"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one encoded Kafka record. Key and Value are owned by the caller
// after Encode returns (an encoder may append into the slices it is given).
// A nil Key means the record has no key (Kafka's null key).
type Record struct {
	Key, Value []byte
	Headers    []Header

	// buf is Value's whole backing array (Value is capped at its length so
	// that appends cannot reach the header bytes behind it); Reset reuses it.
	buf []byte
}

// Reset empties r for reuse, keeping its buffers (use it rather than
// reslicing Value, which is capped). Only call it once the previous record
// (its key, value and header values) is no longer referenced.
func (r *Record) Reset() {
	r.Key = r.Key[:0]
	if r.buf != nil {
		r.Value = r.buf[:0]
	} else {
		r.Value = r.Value[:0]
	}
	r.Headers = r.Headers[:0]
}

// Encoder turns changes into Kafka records.
//
// Encode appends c's encoding to rec: the caller resets rec.Key, rec.Value
// and rec.Headers (they may be recycled buffers); Encode sets Key (nil for a
// keyless format), Value and the position headers (see PositionHeaders). The
// change and its row values are only read, never retained. An error means the
// change cannot be encoded by this codec (an unexpected value type for its
// column, an unknown op); it is marked terminal, since retrying cannot help.
// The exception is an encoder that registers schemas (Options.Registry): a
// registry it cannot reach gives a retryable error, and a later Encode of
// the same change tries again.
type Encoder interface {
	Encode(c *change.Change, rec *Record) error
}

// TombstoneEncoder is implemented by encoders whose format follows a delete
// with a tombstone (a record with the delete's key and a null value), as
// Debezium does. The writer calls Tombstone after Encode for every change for
// which it reports true, and writes both records to the same partition.
type TombstoneEncoder interface {
	Encoder
	// Tombstone fills rec (reset by the caller) with the tombstone that
	// follows c, and reports whether c has one.
	Tombstone(c *change.Change, rec *Record) (bool, error)
}

// KeyChangeSplitter is implemented by encoders whose format writes an update
// that changes the row's key (change.Change.KeyChanged) as a delete under
// the old key, followed by its tombstone when the encoder writes them, and
// then an insert under the new key, as Debezium does: one record keyed by
// the new key would leave the old key alive on compacted topics and in
// upsert sinks. The writer encodes and partitions the two halves of
// change.Change.SplitKeyChange in turn instead of the update, so the delete
// and its tombstone go to the old key's partition and the insert to the new
// key's. Encoders without it write the update as one record.
type KeyChangeSplitter interface {
	Encoder
	// SplitsKeyChanges reports whether the encoder wants key changes split.
	SplitsKeyChanges() bool
}

// DecimalMode is Debezium's decimal.handling.mode.
type DecimalMode string

const (
	// DecimalPrecise writes DECIMAL as Kafka Connect's Decimal logical type:
	// the unscaled value's big-endian two's-complement bytes, base64 in JSON.
	DecimalPrecise DecimalMode = "precise"
	// DecimalString writes DECIMAL as its plain text, "12.50".
	DecimalString DecimalMode = "string"
	// DecimalDouble writes DECIMAL as a JSON number (may lose precision).
	DecimalDouble DecimalMode = "double"
)

// TimeMode is Debezium's time.precision.mode.
type TimeMode string

const (
	// TimeAdaptiveMicros (Debezium's default, adaptive_time_microseconds):
	// DATE as days since the epoch, TIME as microseconds, DATETIME(0..3) as
	// milliseconds, DATETIME(4..6) as microseconds since the epoch.
	TimeAdaptiveMicros TimeMode = "adaptive_time_microseconds"
	// TimeConnect (connect): DATE days, TIME milliseconds, DATETIME
	// milliseconds, whatever the fractional precision.
	TimeConnect TimeMode = "connect"
)

// BigIntUnsignedMode is Debezium's bigint.unsigned.handling.mode.
type BigIntUnsignedMode string

const (
	// BigIntLong (Debezium's default, long) writes BIGINT UNSIGNED as a
	// Connect int64: values above 2^63-1 wrap to negative numbers, exactly
	// as Debezium's do.
	BigIntLong BigIntUnsignedMode = "long"
	// BigIntPrecise (precise) writes it as Connect Decimal(20,0), exact.
	BigIntPrecise BigIntUnsignedMode = "precise"
)

// Options configure a codec. The zero value is valid: every format uses its
// documented defaults (docs/formats.md).
type Options struct {
	// CanalFlavor picks the Canal JSON flavour: "dts" (default) or "canal",
	// the values of topology.CanalFlavor.
	CanalFlavor string
	// CanalEnumNames makes the canal flavour write ENUM and SET values as
	// their names instead of Canal's index and bit mask.
	CanalEnumNames bool
	// SourceName is the logical name of the source (the topology source's
	// name): Debezium's source.name and schema name prefix.
	SourceName string
	// SourceFlavor is the source server's kind, "mysql" (default) or
	// "mariadb" (topology.Flavor): Debezium's connector name, which its
	// MariaDB connector writes as source.connector "mariadb".
	SourceFlavor string
	// SourceVersion is the source server's version text, e.g.
	// "10.11.6-MariaDB" (DTS Avro source.version). Default "mysql".
	SourceVersion string

	// SchemasEnable adds Debezium's "schema" part to keys and values.
	SchemasEnable bool
	// Tombstones makes the Debezium encoder follow deletes with a tombstone.
	Tombstones bool
	// Decimal is Debezium's decimal handling (default precise).
	Decimal DecimalMode
	// Time is Debezium's temporal precision mode (default adaptive).
	Time TimeMode
	// BigIntUnsigned is Debezium's BIGINT UNSIGNED handling (default long).
	BigIntUnsigned BigIntUnsignedMode

	// Now returns the current time (Canal's ts, Debezium's ts_ms); nil means
	// time.Now. Tests pin it to make output reproducible.
	Now func() time.Time

	// Registry is the schema registry of the sink: required by format avro,
	// optional for dts-avro (which then writes the Confluent wire format).
	// codecs.OptionsFor sets it from the sink's schema_registry.
	Registry Registry
}

// Registry is a Confluent-compatible schema registry as the Avro encoders use
// it (codecs/registry.Client implements it).
type Registry interface {
	// Register returns the id of schema (Avro schema JSON) under subject,
	// registering it when the subject does not hold it yet. Implementations
	// cache answers and bound the request in time. An error is retryable
	// unless marked terminal (errkind): a schema the registry refuses as
	// incompatible or invalid, refused credentials.
	Register(ctx context.Context, subject, schema string) (int32, error)
}

// DebeziumConnector is Debezium's connector name for the source: "mariadb"
// for a MariaDB source (Debezium 3.x's MariaDB connector), else "mysql".
func (o Options) DebeziumConnector() string {
	if o.SourceFlavor == "mariadb" {
		return "mariadb"
	}
	return "mysql"
}

// DebeziumModes returns o with the Debezium decimal, time and BIGINT
// UNSIGNED modes defaulted (precise, adaptive, long) and checked, and the
// server name (SourceName, else "sluice"); format names the codec in the
// error.
func (o Options) DebeziumModes(format string) (Options, string, error) {
	switch o.Decimal {
	case "":
		o.Decimal = DecimalPrecise
	case DecimalPrecise, DecimalString, DecimalDouble:
	default:
		return o, "", errkind.Terminal(fmt.Errorf("%s: unknown decimal handling %q: use precise, string or double", format, o.Decimal))
	}
	switch o.Time {
	case "":
		o.Time = TimeAdaptiveMicros
	case TimeAdaptiveMicros, TimeConnect:
	default:
		return o, "", errkind.Terminal(fmt.Errorf("%s: unknown time precision mode %q: use adaptive_time_microseconds or connect", format, o.Time))
	}
	switch o.BigIntUnsigned {
	case "":
		o.BigIntUnsigned = BigIntLong
	case BigIntLong, BigIntPrecise:
	default:
		return o, "", errkind.Terminal(fmt.Errorf("%s: unknown bigint unsigned handling %q: use long or precise", format, o.BigIntUnsigned))
	}
	server := o.SourceName
	if server == "" {
		server = "sluice"
	}
	return o, server, nil
}

// NowMillis returns o.Now() (or time.Now) in Unix milliseconds.
func (o *Options) NowMillis() int64 {
	if o.Now != nil {
		return o.Now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

// AppendHeader adds a header whose value is a copy of value, kept in rec's
// buffer behind its value and position headers (call it after
// PositionHeaders), so that a recycled record allocates nothing for it.
func AppendHeader(rec *Record, key string, value []byte) {
	n := len(rec.buf)
	rec.buf = append(rec.buf, value...)
	rec.Headers = append(rec.Headers, Header{Key: key, Value: rec.buf[n:len(rec.buf):len(rec.buf)]})
}

// Header keys of the position headers.
const (
	HeaderPos  = "sluice.pos"
	HeaderGTID = "sluice.gtid"
	HeaderRow  = "sluice.row"
	HeaderSeq  = "sluice.seq"
)

// Header keys of the owner headers a cluster node's writer adds to every
// record: the node's name and the task's owner epoch (decimal). A single
// `sluice run` writes neither.
const (
	HeaderNode  = "sluice.node"
	HeaderEpoch = "sluice.epoch"
)

// PositionHeaders appends the headers that carry c's source position to
// rec.Headers: sluice.pos ("file:pos"), sluice.gtid (only when the change has
// one), sluice.row (the row's index in its transaction) and sluice.seq (the
// per-source sequence number), all as decimal or plain text. Call it after
// rec.Value is complete: the header values are stored behind the value in its
// backing array, and rec.Value is capped at its length.
//
// It is the one place headers are built; every codec calls it last.
func PositionHeaders(c *change.Change, rec *Record) {
	v := rec.Value
	if v == nil {
		// A null value (a tombstone): the headers still go in the record's
		// buffer, or every tombstone would allocate a new one.
		v = rec.buf[:0]
	}
	n := len(v)
	v = append(v, c.Pos.File...)
	v = append(v, ':')
	v = strconv.AppendUint(v, uint64(c.Pos.Pos), 10)
	posEnd := len(v)
	v = append(v, c.Pos.GTID...)
	gtidEnd := len(v)
	v = strconv.AppendUint(v, uint64(c.Row), 10)
	rowEnd := len(v)
	v = strconv.AppendUint(v, c.Seq, 10)
	seqEnd := len(v)
	rec.Headers = append(rec.Headers, Header{Key: HeaderPos, Value: v[n:posEnd:posEnd]})
	if gtidEnd > posEnd {
		rec.Headers = append(rec.Headers, Header{Key: HeaderGTID, Value: v[posEnd:gtidEnd:gtidEnd]})
	}
	rec.Headers = append(rec.Headers,
		Header{Key: HeaderRow, Value: v[gtidEnd:rowEnd:rowEnd]},
		Header{Key: HeaderSeq, Value: v[rowEnd:seqEnd:seqEnd]})
	rec.buf = v
	if rec.Value != nil || n > 0 {
		rec.Value = v[:n:n]
	} else {
		rec.Value = nil
	}
}
