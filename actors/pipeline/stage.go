package pipeline

import (
	"fmt"

	"github.com/segmentio/kafka-go"
	"github.com/sluicecdc/sluice/actors/pipeline/router"
	"github.com/sluicecdc/sluice/actors/pipeline/transform"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Stage is one pipeline's plain work: transform, route, encode. Not safe for
// concurrent use; one pipeline actor owns one.
type Stage struct {
	p          *topology.Pipeline
	tr         *transform.Transformer
	part       *router.Partitioner
	keys       *router.Keys
	enc        codecs.Encoder
	tomb       codecs.TombstoneEncoder // nil unless the format writes tombstones
	splitKeys  bool                    // the format writes a key change as a delete and an insert
	partitions map[string]int          // topic → partition count
	ignoreDDL  bool

	// scratch, reused across batches
	tb      change.Batch
	dropped []uint64
	rec     codecs.Record
	halves  [2]change.Change // a key change's delete and insert
	// perChange is the arena bytes one change took in the last batch, and
	// fanout the records it made (more than one with tombstones and split
	// key changes), to size the next batch's arena and slices in one
	// allocation each.
	perChange, fanout int
	// lastArena is the capacity of the last batch's arena.
	lastArena int
	// names memoises "db.table" per table version, for error messages.
	names map[*change.Table]string
}

// NewStage prepares pipeline p; partitions gives each topic's partition
// count (from the sink's metadata).
func NewStage(p *topology.Pipeline, partitions map[string]int, opts codecs.Options) (*Stage, error) {
	enc, err := codecs.New(p.Sink.Format, opts)
	if err != nil {
		return nil, fmt.Errorf("sink %q: %w", p.Sink.Name, err)
	}
	part := router.New(p.Router)
	s := &Stage{
		p: p, tr: transform.New(p), part: part, keys: router.NewKeys(part), enc: enc,
		partitions: partitions, ignoreDDL: p.Source.Phases.IgnoreDDL,
	}
	if t, ok := enc.(codecs.TombstoneEncoder); ok {
		s.tomb = t
	}
	if k, ok := enc.(codecs.KeyChangeSplitter); ok {
		s.splitKeys = k.SplitsKeyChanges()
	}
	return s, nil
}

// Run turns one source batch into Kafka messages for this pipeline's sink.
// The messages' bytes live in one arena owned by the returned slice. DDL is
// dropped when the source ignores DDL, except in a snapshot batch (schema
// sync). An error is terminal: the change cannot be transformed, routed or
// encoded.
func (s *Stage) Run(in *change.Batch, snapshot bool) ([]kafkawriter.Message, error) {
	s.tb.Changes, s.tb.Bytes = s.tb.Changes[:0], 0
	var err error
	if s.dropped, err = s.tr.AppendTo(&s.tb, s.dropped[:0], in); err != nil {
		return nil, err
	}
	if len(s.tb.Changes) == 0 {
		return nil, nil
	}
	records := len(s.tb.Changes) * max(1, s.fanout)
	msgs := make([]kafkawriter.Message, 0, records)
	// One arena per batch for keys, values and header values, sized from
	// the previous batch (encodings are several times the decoded size:
	// JSON names every column) so that it is allocated once.
	perChange := max(s.perChange, s.tb.Bytes/len(s.tb.Changes)+64)
	arena := make([]byte, 0, len(s.tb.Changes)*perChange*9/8)
	headers := make([]kafka.Header, 0, records*4)
	for i := range s.tb.Changes {
		c := &s.tb.Changes[i]
		if c.Op == change.OpDDL && s.ignoreDDL && !snapshot {
			continue
		}
		n := s.partitions[c.Topic]
		if n == 0 {
			return nil, errkind.Terminal(fmt.Errorf("pipeline %s: topic %q of %s has no partitions known to sink %q", s.p, c.Topic, tableName(c), s.p.Sink.Name))
		}
		var keyCols []int
		if c.Table != nil {
			if keyCols, err = s.keys.For(c.Table, s.tr.PartitionKey(c.Table)); err != nil {
				return nil, errkind.Terminal(err)
			}
		}
		if s.splitKeys && c.KeyChanged() {
			// Each half is routed by its own row: the delete by the old
			// key, the insert by the new.
			s.halves[0], s.halves[1] = c.SplitKeyChange()
			for h := range s.halves {
				if msgs, arena, headers, err = s.encode(&s.halves[h], keyCols, n, msgs, arena, headers); err != nil {
					return nil, err
				}
			}
			s.halves = [2]change.Change{} // keep no rows past the batch
			continue
		}
		if msgs, arena, headers, err = s.encode(c, keyCols, n, msgs, arena, headers); err != nil {
			return nil, err
		}
	}
	s.lastArena = cap(arena)
	if len(msgs) > 0 {
		s.perChange = len(arena) / len(s.tb.Changes)
		s.fanout = (len(msgs) + len(s.tb.Changes) - 1) / len(s.tb.Changes)
	}
	return msgs, nil
}

// encode partitions and encodes c, and its tombstone when it has one, into
// the batch's messages.
func (s *Stage) encode(c *change.Change, keyCols []int, partitions int, msgs []kafkawriter.Message, arena []byte, headers []kafka.Header) ([]kafkawriter.Message, []byte, []kafka.Header, error) {
	c.Partition = s.part.Partition(c, keyCols, partitions)
	s.rec.Reset()
	if err := s.enc.Encode(c, &s.rec); err != nil {
		return msgs, arena, headers, err
	}
	msgs, arena, headers = s.appendRecord(msgs, arena, headers, c)
	if s.tomb != nil {
		s.rec.Reset()
		ok, err := s.tomb.Tombstone(c, &s.rec)
		if err != nil {
			return msgs, arena, headers, err
		}
		if ok {
			msgs, arena, headers = s.appendRecord(msgs, arena, headers, c)
		}
	}
	return msgs, arena, headers, nil
}

// arenaBytes is the size of the last batch's arena: its keys, values and
// header values.
func (s *Stage) arenaBytes() int { return s.lastArena }

// appendRecord copies s.rec into the arena and appends its message.
func (s *Stage) appendRecord(msgs []kafkawriter.Message, arena []byte, headers []kafka.Header, c *change.Change) ([]kafkawriter.Message, []byte, []kafka.Header) {
	m := kafkawriter.Message{Topic: c.Topic, Partition: c.Partition, Seq: c.Seq, Table: s.tableName(c.Table)}
	if s.rec.Key != nil {
		start := len(arena)
		arena = append(arena, s.rec.Key...)
		m.Key = arena[start:len(arena):len(arena)]
	}
	if s.rec.Value != nil {
		start := len(arena)
		arena = append(arena, s.rec.Value...)
		m.Value = arena[start:len(arena):len(arena)]
	}
	h0 := len(headers)
	for _, h := range s.rec.Headers {
		start := len(arena)
		arena = append(arena, h.Value...)
		headers = append(headers, kafka.Header{Key: h.Key, Value: arena[start:len(arena):len(arena)]})
	}
	m.Headers = headers[h0:len(headers):len(headers)]
	return append(msgs, m), arena, headers
}

// tableName is t's "db.table", built once per table version.
func (s *Stage) tableName(t *change.Table) string {
	if t == nil {
		return ""
	}
	n, ok := s.names[t]
	if !ok {
		if s.names == nil || len(s.names) > 4096 {
			s.names = map[*change.Table]string{}
		}
		n = t.QualifiedName()
		s.names[t] = n
	}
	return n
}

func tableName(c *change.Change) string {
	if c.Table == nil {
		return "a database-level statement"
	}
	return c.Table.QualifiedName()
}
