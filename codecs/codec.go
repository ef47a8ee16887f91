package codecs

import (
	"fmt"

	"github.com/sluicecdc/sluice/codecs/canaljson"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/debeziumjson"
	"github.com/sluicecdc/sluice/codecs/dtsavro"
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
	// Options configure a codec; the zero value means every default.
	Options = codec.Options
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
func New(f topology.Format, opts Options) (Encoder, error) {
	switch f {
	case topology.FormatCanalJSON, "":
		return canaljson.New(opts)
	case topology.FormatDTSAvro:
		return dtsavro.New(opts), nil
	case topology.FormatDebeziumJSON:
		return debeziumjson.New(opts)
	case topology.FormatAvro:
		return nil, errkind.Terminal(fmt.Errorf("codecs: format %q (Avro with a schema registry) is not available yet: use %q, %q or %q",
			f, topology.FormatCanalJSON, topology.FormatDTSAvro, topology.FormatDebeziumJSON))
	}
	return nil, errkind.Terminal(fmt.Errorf("codecs: unknown format %q: use %q, %q or %q",
		f, topology.FormatCanalJSON, topology.FormatDTSAvro, topology.FormatDebeziumJSON))
}

// OptionsFor returns the Options a sink implies for a source: the Canal
// flavour from the sink, the source's name and server id. Debezium settings
// and the source version are left for the caller to set.
func OptionsFor(sink *topology.Sink, source *topology.Source) Options {
	var o Options
	if sink != nil {
		o.CanalFlavor = string(sink.CanalFlavor)
	}
	if source != nil {
		o.SourceName = source.Name
	}
	return o
}
