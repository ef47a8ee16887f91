package binlogreader

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// StatementStop is the terminal error of a DDL statement that the schema
// history cannot apply and the reader cannot resolve. It names the
// statement's position so that an operator can decide to skip it
// (`sluice skip`, recorded in the checkpoint store as a store.Skip).
type StatementStop struct {
	Source string
	// Pos is where the statement's event ends, as decisions record it.
	Pos change.Position
	// Note says why a decision recorded at Pos was not applied; empty when
	// none is recorded.
	Note string
	Err  error
}

func (e *StatementStop) Error() string {
	msg := e.Err.Error()
	if e.Note != "" {
		msg += "; " + e.Note
	}
	return msg + "; or, when the statement leaves the columns of the followed tables' rows as they were " +
		"(an index, a comment, an option the parser does not know), record the decision to skip it " +
		"in the schema history, then start the task again: " + e.SkipCommand("FILE")
}

func (e *StatementStop) Unwrap() error { return e.Err }

// SkipCommand is the command that records the decision to skip the
// statement, for the task run from topology file file.
func (e *StatementStop) SkipCommand(file string) string {
	return fmt.Sprintf(`sluice skip -f %s --source %s --at %s --reason "WHY"`, quoteArg(file), e.Source, e.Pos)
}

// ClusterSkipCommand is SkipCommand for a cluster task, given a node file
// of the cluster.
func (e *StatementStop) ClusterSkipCommand(nodeFile, task string) string {
	return fmt.Sprintf(`sluice skip -c %s --task %s --source %s --at %s --reason "WHY"`, quoteArg(nodeFile), quoteArg(task), e.Source, e.Pos)
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t'\"") {
		return strconv.Quote(s)
	}
	return s
}

// decisionKey is where a decision applies: a position without its GTID.
func decisionKey(p change.Position) change.Position { return change.Position{File: p.File, Pos: p.Pos} }

// loadSkips reads the source's skip decisions and logs those still ahead
// of the start position from (all of them when from is zero: a start by
// GTID set), so that the log says which will apply.
func (s *Stream) loadSkips(h *schema.History, from change.Position) error {
	list, err := h.Skips()
	if err != nil {
		return fmt.Errorf("source %q: skip decisions: %w", s.name, err)
	}
	for _, sk := range list {
		if !from.IsZero() && store.PosKey(sk.Pos) <= store.PosKey(from) {
			continue // its event ends at or before the start: read on an earlier run
		}
		if s.skips == nil {
			s.skips = make(map[change.Position]store.Skip)
		}
		s.skips[decisionKey(sk.Pos)] = sk
		s.log.Info("skip decision recorded: the DDL statement there is skipped if it is the recorded one and the schema history cannot apply it",
			slog.String("pos", sk.Pos.String()), slog.String("digest", sk.Digest), slog.String("reason", sk.Reason),
			slog.String("who", sk.Who), slog.Time("decided_at", sk.At))
	}
	return nil
}

// skipDecided reports whether a recorded decision skips the statement sql
// at pos. A decision at pos for another statement is not applied; note
// then says so, for the stop that follows.
func (s *Stream) skipDecided(sql string, pos change.Position) (skip bool, note string) {
	sk, ok := s.skips[decisionKey(pos)]
	if !ok {
		return false, ""
	}
	if d := schema.Digest(sql); d != sk.Digest {
		note = fmt.Sprintf("the skip decision recorded at %s is for another statement (digest %s; this one's is %s), so it is not applied", pos, sk.Digest, d)
		s.log.Warn("skip decision not applied: the statement at its position is another one",
			slog.String("pos", pos.String()), slog.String("recorded_digest", sk.Digest), slog.String("digest", d))
		return false, note
	}
	s.log.Warn("DDL statement skipped by a recorded decision; the schema history is left as it was",
		slog.String("pos", pos.String()), slog.String("digest", sk.Digest), slog.String("statement", abbreviate(sql, 300)),
		slog.String("reason", sk.Reason), slog.String("who", sk.Who), slog.Time("decided_at", sk.At))
	return true, ""
}

// skipUnneeded logs a decision recorded at pos for a statement the history
// applied: it is not used.
func (s *Stream) skipUnneeded(pos change.Position) {
	if sk, ok := s.skips[decisionKey(pos)]; ok {
		s.log.Warn("skip decision not applied: the schema history applied the statement at its position",
			slog.String("pos", pos.String()), slog.String("digest", sk.Digest), slog.String("reason", sk.Reason))
	}
}

// stopAtStatement turns the terminal error of a statement the history
// cannot apply into a StatementStop.
func (s *Stream) stopAtStatement(pos change.Position, note string, err error) error {
	return &StatementStop{Source: s.name, Pos: decisionKey(pos), Note: note, Err: err}
}

// StatementAt returns the statement of the QUERY event of src's binlog that
// ends at pos (the position a StatementStop names), read with SHOW BINLOG
// EVENTS from the start of pos's file.
func StatementAt(ctx context.Context, src *topology.Source, pos change.Position) (string, error) {
	c, err := sourcedb.Dial(ctx, src)
	if err != nil {
		return "", err
	}
	defer c.Close()
	const page = 10000
	from := uint64(4)
	for {
		r, err := c.Execute("SHOW BINLOG EVENTS IN " + sourcedb.QuoteString(pos.File) + " FROM " + strconv.FormatUint(from, 10) +
			" LIMIT " + strconv.Itoa(page))
		if err != nil {
			return "", fmt.Errorf("source %q: reading binlog file %s: %w", src.Name, pos.File, err)
		}
		typ, end, info := r.FieldNames["Event_type"], r.FieldNames["End_log_pos"], r.FieldNames["Info"]
		for _, row := range r.Values {
			e, _ := sourcedb.FieldUint(&row[end])
			switch {
			case e < uint64(pos.Pos):
				from = e
				continue
			case e > uint64(pos.Pos):
				return "", fmt.Errorf("source %q: no event of binlog file %s ends at %d (one ends at %d); give the position the stop message names", src.Name, pos.File, pos.Pos, from)
			}
			if t := string(row[typ].AsString()); t != "Query" {
				return "", fmt.Errorf("source %q: the event ending at %s is a %s event, not a statement", src.Name, pos, t)
			}
			_, sql := splitUse(string(row[info].AsString()))
			return sql, nil
		}
		if len(r.Values) < page {
			return "", fmt.Errorf("source %q: binlog file %s ends before %d", src.Name, pos.File, pos.Pos)
		}
	}
}
