package status

import (
	"slices"
	"sort"
	"time"
)

// TaskView is the /status document.
type TaskView struct {
	Uptime    string       `json:"uptime"`
	Sources   []SourceView `json:"sources"`
	Sinks     []SinkView   `json:"sinks"`
	LastError string       `json:"last_error,omitempty"`
}

// SourceView is one source in /status.
type SourceView struct {
	Name  string `json:"name"`
	Phase string `json:"phase"`
	// Position is the last transaction boundary read; Checkpoint the last
	// one committed.
	Position      string  `json:"position,omitempty"`
	GTIDSet       string  `json:"gtid_set,omitempty"`
	Checkpoint    string  `json:"checkpoint,omitempty"`
	LagSeconds    float64 `json:"lag_seconds"`
	Rows          uint64  `json:"rows"`
	InflightBytes int64   `json:"inflight_bytes"`
	BudgetBytes   int64   `json:"budget_bytes"`
	Restarts      uint64  `json:"restarts"`
	// TruncatesIgnored counts TRUNCATE TABLE statements dropped by
	// ignore_ddl.
	TruncatesIgnored uint64      `json:"truncates_ignored"`
	Tables           []TableView `json:"snapshot_tables,omitempty"`
	// Skips are the DDL statements the schema history skips by an
	// operator's decision (sluice skip).
	Skips []SkipView `json:"skipped_statements,omitempty"`
}

// SkipView is one recorded decision to skip a DDL statement.
type SkipView struct {
	// Position is where the statement's event ends ("file:offset").
	Position  string    `json:"position"`
	Digest    string    `json:"digest"`
	Statement string    `json:"statement,omitempty"`
	Reason    string    `json:"reason"`
	Who       string    `json:"who,omitempty"`
	At        time.Time `json:"at"`
}

// TableView is one table's snapshot progress.
type TableView struct {
	Name          string  `json:"name"`
	Rows          uint64  `json:"rows"`
	EstimatedRows uint64  `json:"estimated_rows"`
	Chunks        int     `json:"chunks"`
	ChunksDone    int64   `json:"chunks_done"`
	RowsPerSecond float64 `json:"rows_per_second"`
	ETASeconds    float64 `json:"eta_seconds"`
}

// SinkView is one sink in /status.
type SinkView struct {
	Name    string `json:"name"`
	Records uint64 `json:"records"`
	Bytes   uint64 `json:"bytes"`
	Skipped uint64 `json:"skipped_oversize"`
	Retries uint64 `json:"retries"`
}

// View takes the current state.
func (r *Registry) View(now time.Time) TaskView {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := TaskView{Uptime: now.Sub(r.started).Round(time.Second).String(), LastError: r.lastErr}
	for _, s := range r.sources {
		v.Sources = append(v.Sources, s.view(now))
	}
	for _, s := range r.sinks {
		v.Sinks = append(v.Sinks, SinkView{Name: s.name, Records: s.records.Load(), Bytes: s.bytes.Load(),
			Skipped: s.skipped.Load(), Retries: s.retries.Load()})
	}
	sort.Slice(v.Sources, func(i, j int) bool { return v.Sources[i].Name < v.Sources[j].Name })
	sort.Slice(v.Sinks, func(i, j int) bool { return v.Sinks[i].Name < v.Sinks[j].Name })
	return v
}

func (s *Source) view(now time.Time) SourceView {
	s.mu.Lock()
	v := SourceView{Name: s.name, Phase: s.phase, Position: s.position, GTIDSet: s.gtidSet,
		Rows: s.rows.Load(), InflightBytes: s.inflight.Load(), BudgetBytes: s.budget, Restarts: s.restarts.Load(),
		TruncatesIgnored: s.truncates.Load(), Skips: slices.Clone(s.skips)}
	for _, t := range s.tables {
		v.Tables = append(v.Tables, t.view(now))
	}
	s.mu.Unlock()
	if cp := s.checkpoint.Load(); cp != nil {
		v.Checkpoint = *cp
	}
	v.LagSeconds = lag(s.commitTime.Load(), s.caughtUp.Load(), now)
	sort.Slice(v.Tables, func(i, j int) bool { return v.Tables[i].Name < v.Tables[j].Name })
	return v
}

// lag is how far behind the source the reader is: zero when it recently saw
// the head of the log, else the age of the last transaction it read.
func lag(commitUnix, caughtUpNanos int64, now time.Time) float64 {
	if caughtUpNanos > 0 && now.Sub(time.Unix(0, caughtUpNanos)) < 15*time.Second {
		return 0
	}
	if commitUnix == 0 {
		return 0
	}
	return max(0, now.Sub(time.Unix(commitUnix, 0)).Seconds())
}

func (t *Table) view(now time.Time) TableView {
	v := TableView{Name: t.name, Rows: t.rows.Load(), EstimatedRows: t.estimated, Chunks: t.chunks, ChunksDone: t.chunksDone.Load()}
	if el := now.Sub(t.started).Seconds(); el > 0 {
		v.RowsPerSecond = float64(v.Rows) / el
	}
	if v.RowsPerSecond > 0 && v.EstimatedRows > v.Rows && v.ChunksDone < int64(v.Chunks) {
		v.ETASeconds = float64(v.EstimatedRows-v.Rows) / v.RowsPerSecond
	}
	return v
}
