package status

import (
	"io"
	"sort"
	"strconv"
	"time"
)

// WriteMetrics renders the registry in the Prometheus text format.
func (r *Registry) WriteMetrics(w io.Writer, now time.Time) error {
	v := r.View(now)
	b := make([]byte, 0, 4096)
	head := func(name, typ, help string) {
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, '\n')
	}
	sample := func(name string, labels []string, val float64) {
		b = append(b, name...)
		if len(labels) > 0 {
			b = append(b, '{')
			for i := 0; i < len(labels); i += 2 {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, labels[i]...)
				b = append(b, '=')
				b = strconv.AppendQuote(b, labels[i+1])
			}
			b = append(b, '}')
		}
		b = append(b, ' ')
		b = strconv.AppendFloat(b, val, 'g', -1, 64)
		b = append(b, '\n')
	}
	for _, m := range sourceMetrics {
		head(m.name, m.typ, m.help)
		for _, s := range v.Sources {
			sample(m.name, []string{"source", s.Name}, m.value(&s))
		}
	}
	head("sluice_snapshot_rows_total", "counter", "Rows read by the snapshot, per table.")
	for _, s := range v.Sources {
		for _, t := range s.Tables {
			sample("sluice_snapshot_rows_total", []string{"source", s.Name, "table", t.Name}, float64(t.Rows))
		}
	}
	head("sluice_snapshot_chunks_done", "gauge", "Snapshot chunks read, per table (of sluice_snapshot_chunks).")
	for _, s := range v.Sources {
		for _, t := range s.Tables {
			sample("sluice_snapshot_chunks_done", []string{"source", s.Name, "table", t.Name}, float64(t.ChunksDone))
			sample("sluice_snapshot_chunks", []string{"source", s.Name, "table", t.Name}, float64(t.Chunks))
		}
	}
	for _, m := range sinkMetrics {
		head(m.name, m.typ, m.help)
		for _, s := range v.Sinks {
			sample(m.name, []string{"sink", s.Name}, m.value(&s))
		}
	}
	head("sluice_freshness_seconds", "histogram", "Source commit time to Kafka acknowledgement (commit time has 1 s resolution).")
	r.mu.Lock()
	names := make([]string, 0, len(r.sinks))
	for n := range r.sinks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h := &r.sinks[n].fresh
		h.mu.Lock()
		var cum uint64
		for i, le := range freshBuckets {
			cum += h.counts[i]
			sample("sluice_freshness_seconds_bucket", []string{"sink", n, "le", strconv.FormatFloat(le, 'g', -1, 64)}, float64(cum))
		}
		sample("sluice_freshness_seconds_bucket", []string{"sink", n, "le", "+Inf"}, float64(h.n))
		sample("sluice_freshness_seconds_sum", []string{"sink", n}, h.sum)
		sample("sluice_freshness_seconds_count", []string{"sink", n}, float64(h.n))
		h.mu.Unlock()
	}
	r.mu.Unlock()
	_, err := w.Write(b)
	return err
}

// metric is one per-source or per-sink series.
type metric[V any] struct {
	name, typ, help string
	value           func(*V) float64
}

var sourceMetrics = []metric[SourceView]{
	{"sluice_source_rows_total", "counter", "Row changes read from the source (snapshot and binlog).", func(s *SourceView) float64 { return float64(s.Rows) }},
	{"sluice_source_lag_seconds", "gauge", "Age of the last transaction read; 0 when at the head of the binlog.", func(s *SourceView) float64 { return s.LagSeconds }},
	{"sluice_source_inflight_bytes", "gauge", "Decoded bytes read but not yet acknowledged by every sink.", func(s *SourceView) float64 { return float64(s.InflightBytes) }},
	{"sluice_source_inflight_budget_bytes", "gauge", "The in-flight byte budget.", func(s *SourceView) float64 { return float64(s.BudgetBytes) }},
	{"sluice_source_restarts_total", "counter", "Restarts of the source's reader after failures.", func(s *SourceView) float64 { return float64(s.Restarts) }},
	{"sluice_source_truncates_ignored_total", "counter", "TRUNCATE TABLE statements of selected tables dropped by ignore_ddl: the topics keep rows the tables no longer have.", func(s *SourceView) float64 { return float64(s.TruncatesIgnored) }},
}

var sinkMetrics = []metric[SinkView]{
	{"sluice_sink_records_total", "counter", "Records acknowledged by Kafka.", func(s *SinkView) float64 { return float64(s.Records) }},
	{"sluice_sink_bytes_total", "counter", "Record bytes (key + value) acknowledged by Kafka.", func(s *SinkView) float64 { return float64(s.Bytes) }},
	{"sluice_sink_skipped_total", "counter", "Records dropped by the oversize skip policy.", func(s *SinkView) float64 { return float64(s.Skipped) }},
	{"sluice_sink_retries_total", "counter", "Kafka writes retried after a retryable failure.", func(s *SinkView) float64 { return float64(s.Retries) }},
}
