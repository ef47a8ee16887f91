package codecs

import (
	"context"
	"fmt"

	"github.com/sluicecdc/sluice/codecs/canaljson"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/confluentavro"
	"github.com/sluicecdc/sluice/codecs/debeziumjson"
	"github.com/sluicecdc/sluice/codecs/dtsavro"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// The shared contract, re-exported from codecs/codec (see its docs).
type (
	// Record is one encoded Kafka record; see codec.Record.
	Record = codec.Record
	// Header is one Kafka record header.
	Header = codec.Header
	// Encoder turns changes into records; see codec.Encoder.
	Encoder = codec.Encoder
	// TombstoneEncoder is an Encoder whose deletes are followed by a tombstone.
	TombstoneEncoder = codec.TombstoneEncoder
	// KeyChangeSplitter is an Encoder that writes a key change as a delete and an insert.
	KeyChangeSplitter = codec.KeyChangeSplitter
	// Options configure a codec; the zero value means every default.
	Options = codec.Options
	// Registry is a schema registry as the Avro encoders use it.
	Registry = codec.Registry
)

// Header keys of the position headers every record carries.
const (
	HeaderPos  = codec.HeaderPos
	HeaderGTID = codec.HeaderGTID
	HeaderRow  = codec.HeaderRow
	HeaderSeq  = codec.HeaderSeq
)

// New returns the encoder for format f. For canal-json, opts.CanalFlavor
// picks the flavour (empty means dts); OptionsFor fills it from a sink.
// Format avro needs opts.Registry; dts-avro uses it when set (Confluent wire
// format).
func New(f topology.Format, opts Options) (Encoder, error) {
	if b, ok := opts.Registry.(brokenRegistry); ok && (f == topology.FormatAvro || f == topology.FormatDTSAvro) {
		return nil, b.err
	}
	switch f {
	case topology.FormatCanalJSON, "":
		return canaljson.New(opts)
	case topology.FormatDTSAvro:
		return dtsavro.New(opts), nil
	case topology.FormatDebeziumJSON:
		return debeziumjson.New(opts)
	case topology.FormatAvro:
		return confluentavro.New(opts)
	}
	return nil, errkind.Terminal(fmt.Errorf("codecs: unknown format %q: use %q, %q, %q or %q",
		f, topology.FormatCanalJSON, topology.FormatDTSAvro, topology.FormatDebeziumJSON, topology.FormatAvro))
}

// OptionsFor returns the Options a sink implies for a source: the Canal
// flavour and ENUM/SET names and the Debezium settings from the sink, the source's name, and a
// registry client for the sink's schema_registry (a client that cannot be
// made, say for an unreadable ca_file, makes New fail with the reason). The
// source's version is left for the caller to set; the server id of each
// change is on the change (change.Change.ServerID).
func OptionsFor(sink *topology.Sink, source *topology.Source) Options {
	var o Options
	if sink != nil {
		o.CanalFlavor, o.CanalEnumNames = string(sink.CanalFlavor), sink.CanalEnumNames
		dbz := &sink.Debezium
		o.SchemasEnable, o.Tombstones = dbz.Schemas, dbz.Tombstones
		o.Decimal, o.Time = codec.DecimalMode(dbz.DecimalHandling), codec.TimeMode(dbz.TimePrecision)
		o.BigIntUnsigned = codec.BigIntUnsignedMode(dbz.BigIntUnsignedHandling)
		if r := sink.Registry; r != nil && r.URL != "" {
			cl, err := registry.New(registry.Config{URL: r.URL, User: r.User, Password: r.Password.Value(), CAFile: r.CAFile})
			if err != nil {
				o.Registry = brokenRegistry{fmt.Errorf("sink %s: %w", sink.Name, err)}
			} else {
				o.Registry = cl
			}
		}
	}
	if source != nil {
		o.SourceName, o.SourceFlavor = source.Name, string(source.Flavor)
	}
	return o
}

// brokenRegistry stands for a registry client that could not be made; New
// reports its error.
type brokenRegistry struct{ err error }

func (b brokenRegistry) Register(context.Context, string, string) (int32, error) { return 0, b.err }
