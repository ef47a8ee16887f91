package binlogreader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/charset"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
)

// headScanLimit bounds the binlog events read after an event to decide it is
// at the head of the binlog.
const headScanLimit = 10000

// fromHistory makes the entry of a selected table from its history version:
// names, keys, signedness, charsets and ENUM/SET values come from the
// history, type codes and metadata from the TABLE_MAP (what the rows are
// encoded with). When the two disagree, or the history does not know the
// table, resolve decides (re-read from the server, or a terminal error).
func (c *tableCache) fromHistory(tm *replication.TableMapEvent, e *tableEntry, at change.Position) error {
	db, name := e.table.Schema, e.table.Name
	var why string
	v, ok := c.hist.Table(db, name)
	switch {
	case !ok:
		why = "the schema history does not know the table"
	case v.Table == nil:
		why = "the schema history lost the table's definition at " + strconv.Quote(v.Unknown)
	default:
		why = disagreement(tm, e.table, v.Table, e.full)
	}
	h := v
	if why != "" {
		var err error
		if h, err = c.resolve(db, name, why, at, func(t *change.Table) string { return disagreement(tm, e.table, t, e.full) }); err != nil {
			return err
		}
	}
	e.table, e.fixes = merge(tm, e.table, h.Table)
	e.versioned = versionedOf(e.table)
	return nil
}

// disagreement says how a TABLE_MAP (decoded as bt) contradicts a history
// definition h; empty when they agree. Compared: the column count (with
// the hidden columns of a system-versioned table) and type codes always;
// names with FULL metadata; signedness of integers when the TABLE_MAP logs
// it.
func disagreement(tm *replication.TableMapEvent, bt, h *change.Table, full bool) string {
	if hidden := h.HiddenColumns(); len(bt.Columns) != len(h.Columns)+hidden {
		if hidden > 0 {
			return fmt.Sprintf("the binlog has %d columns, the schema history %d and %d hidden ones (system versioning)", len(bt.Columns), len(h.Columns), hidden)
		}
		return fmt.Sprintf("the binlog has %d columns, the schema history %d", len(bt.Columns), len(h.Columns))
	}
	signed := len(tm.SignednessBitmap) > 0
	for i := range h.Columns {
		b, s := &bt.Columns[i], &h.Columns[i]
		if baseType(b.Type) != baseType(s.Type) {
			return fmt.Sprintf("column %d (%s in the history) has type %d in the binlog, %d (%s) in the history", i, s.Name, b.Type, s.Type, s.ColumnType)
		}
		if full && !strings.EqualFold(b.Name, s.Name) {
			return fmt.Sprintf("column %d is %s in the binlog, %s in the history", i, b.Name, s.Name)
		}
		if signed && isInteger(b.Type) && b.Unsigned != s.Unsigned {
			return fmt.Sprintf("column %d (%s) is unsigned=%t in the binlog, unsigned=%t in the history", i, s.Name, b.Unsigned, s.Unsigned)
		}
	}
	return ""
}

// baseType folds type codes that name the same column type.
func baseType(t byte) byte {
	switch t {
	case change.TypeTime:
		return change.TypeTime2
	case change.TypeDateTime:
		return change.TypeDateTime2
	case change.TypeTimestamp:
		return change.TypeTimestamp2
	case change.TypeNewDate:
		return change.TypeDate
	case change.TypeVarString:
		return change.TypeVarchar
	case change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob:
		return change.TypeBlob
	}
	return t
}

func isInteger(t byte) bool {
	switch t {
	case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong:
		return true
	}
	return false
}

// merge is the history's definition with the TABLE_MAP's type codes and
// metadata, and the value fixes its rows need. A system-versioned table's
// hidden columns stay out of it (rows are cut to its columns).
func merge(tm *replication.TableMapEvent, bt, h *change.Table) (*change.Table, []colFix) {
	t := *h
	t.Columns = make([]change.Column, len(h.Columns))
	copy(t.Columns, h.Columns)
	for i := range t.Columns {
		c, b := &t.Columns[i], &bt.Columns[i]
		c.Type, c.Meta = b.Type, b.Meta
		tableMapElements(c, b)
	}
	return &t, fixesFor(&t, tm)
}

// tableMapElements gives the history column c the ENUM or SET members the
// TABLE_MAP (decoded as b) logs, when it logs them (FULL metadata): they are
// the ones the row was written with, while the server's catalog
// (information_schema and SHOW CREATE TABLE alike) renders definitions in
// 3-byte UTF-8 and turns every character outside the BMP into "?". The
// TABLE_MAP holds them in the column's charset: UTF-8 is taken as it is,
// other charsets with a decoder are decoded; the rest (latin1 among them)
// cannot hold such characters, so the catalog's names are exact.
func tableMapElements(c, b *change.Column) {
	if (c.Type != change.TypeEnum && c.Type != change.TypeSet) || b.Elements == nil || slices.Equal(b.Elements, c.Elements) {
		return
	}
	elems := b.Elements
	if !charset.IsUTF8(b.Charset) {
		d := charset.Lookup(b.Charset)
		if d == nil {
			return
		}
		elems = make([]string, len(b.Elements))
		for i, e := range b.Elements {
			elems[i] = string(charset.AppendUTF8(d, nil, e))
		}
		if slices.Equal(elems, c.Elements) {
			return
		}
	}
	c.Elements = elems
	c.ColumnType = change.EnumSetType(c.Type, elems)
}

// resolve handles a table whose history definition is missing or wrong at
// the event at (its start position): when the event is at the head of the
// binlog, the server's current definition is the event's; it is read,
// checked with check (empty: agrees) and recorded with a warning. Otherwise
// the stream stops with a terminal error: Sluice does not guess.
func (s *Stream) resolve(db, table, why string, at change.Position, check func(*change.Table) string) (*schema.Version, error) {
	ctx := s.rctx
	if ctx == nil {
		ctx = context.Background()
	}
	stop := func(reason string) error {
		return errkind.Terminal(fmt.Errorf(
			"source %q: table %s.%s at %s: %s, and %s; Sluice does not guess a table definition. "+
				"Ways out: take a new snapshot of the source (delete its checkpoint or set its start position, then restart: "+
				"the definitions are captured afresh), or restart while the source is idle so that the definition can be re-read",
			s.name, db, table, at, why, reason))
	}
	v, err := s.schema.Describe(ctx, db, table)
	if err != nil {
		return nil, stop("its current definition cannot be read from the server (" + err.Error() + ")")
	}
	if check != nil {
		if d := check(v.Table); d != "" {
			return nil, stop("the server's current definition does not match the event either (" + d + ")")
		}
	}
	if ok, reason, err := s.atHead(ctx, at, db, table); err != nil {
		return nil, err
	} else if !ok {
		return nil, stop("the event is not at the head of the binlog (" + reason + "), so the server's current definition may not be the one it was written under")
	}
	if err := s.schema.Put(db, table, v, at, s.executed()); err != nil {
		return nil, err
	}
	s.log.Warn("schema history disagreed with the binlog; the definition was re-read from the server (the event is at the head of the binlog)",
		slog.String("table", db+"."+table), slog.String("pos", at.String()), slog.String("reason", why))
	return v, nil
}

// atHead reports whether no DDL that may touch db.table was written to the
// binlog after the event starting at from: the source's binlog end is in the
// same file and the events from there to the end (at most headScanLimit)
// hold no such DDL.
func (s *Stream) atHead(ctx context.Context, from change.Position, db, table string) (bool, string, error) {
	cur, _, err := sourcedb.CurrentPosition(ctx, s.src)
	if err != nil {
		return false, "", err
	}
	if cur.File != from.File {
		return false, "the source writes binlog file " + cur.File + " now", nil
	}
	c, err := sourcedb.Dial(ctx, s.src)
	if err != nil {
		return false, "", err
	}
	defer c.Close()
	r, err := c.Execute("SHOW BINLOG EVENTS IN " + sourcedb.QuoteString(from.File) + " FROM " + strconv.FormatUint(uint64(from.Pos), 10) +
		" LIMIT " + strconv.Itoa(headScanLimit))
	if err != nil {
		return false, "SHOW BINLOG EVENTS failed: " + err.Error(), nil
	}
	typ, end, info := r.FieldNames["Event_type"], r.FieldNames["End_log_pos"], r.FieldNames["Info"]
	last := uint64(0)
	for _, row := range r.Values {
		e, _ := sourcedb.FieldUint(&row[end])
		if e > uint64(cur.Pos) {
			break
		}
		last = e
		if string(row[typ].AsString()) == "Query" && ddlMayTouch(s.parser, string(row[info].AsString()), db, table) {
			return false, fmt.Sprintf("DDL follows at %s:%d", from.File, e), nil
		}
	}
	if last < uint64(cur.Pos) && len(r.Values) >= headScanLimit {
		return false, fmt.Sprintf("more than %d events follow it", headScanLimit), nil
	}
	return true, "", nil
}

// ddlMayTouch reports whether a statement as SHOW BINLOG EVENTS shows it
// ("use `db`; ALTER …") is DDL that may change db.table: a single-table
// statement naming it, a database statement naming its database, or any
// other DDL whose text mentions the table's name.
func ddlMayTouch(p *sourcedb.Parser, info, db, table string) bool {
	defDB, info := splitUse(info)
	if sourcedb.Classify([]byte(info)) != sourcedb.KindDDL {
		return false
	}
	st := p.Parse(info, defDB)
	switch {
	case st.Object == sourcedb.ObjectDatabase:
		return st.Database == "" || st.Database == db
	case st.Object != sourcedb.ObjectOther && len(st.Tables) > 0:
		return slices.Contains(st.Tables, sourcedb.TableName{Schema: db, Name: table})
	}
	return sourcedb.Mentions(info, table)
}

// applyDDL advances the schema history by a DDL statement at pos. A
// statement the history cannot apply is resolved per table like a
// disagreeing TABLE_MAP: re-read at the head of the binlog, else stop.
func (s *Stream) applyDDL(st *sourcedb.Statement, pos change.Position) error {
	sql := st.SQL
	res, err := s.schema.Apply(st, pos, s.executed())
	var de *schema.DDLError
	switch {
	case errors.As(err, &de):
		skip, note := s.skipDecided(sql, pos)
		if skip {
			return nil
		}
		why := "the schema history cannot apply the statement " + strconv.Quote(abbreviate(sql, 300)) + " (" + de.Err.Error() + ")"
		if len(de.Tables) == 0 {
			return s.stopAtStatement(pos, note, errkind.Terminal(fmt.Errorf(
				"source %q at %s: %s and cannot tell which tables it changes; Sluice does not guess a table definition. "+
					"Ways out: take a new snapshot of the source (delete its checkpoint or set its start position, then restart)", s.name, pos, why)))
		}
		for _, t := range de.Tables {
			if !s.schema.Follows(t.Schema, t.Name) {
				continue
			}
			if _, err := s.resolve(t.Schema, t.Name, why, pos, nil); err != nil {
				if errkind.IsTerminal(err) {
					return s.stopAtStatement(pos, note, err)
				}
				return err
			}
		}
	case err != nil:
		return err
	default:
		s.skipUnneeded(pos)
	}
	s.tables.reset()
	for _, r := range res.Renamed {
		fromDB, fromName, _ := strings.Cut(r[0], ".")
		toDB, toName, _ := strings.Cut(r[1], ".")
		was, is := s.tables.selects(fromDB, fromName), s.tables.selects(toDB, toName)
		switch {
		case was && !is:
			s.log.Warn("table renamed out of the selected objects: its changes are no longer synced",
				slog.String("from", r[0]), slog.String("to", r[1]), slog.String("pos", pos.String()))
		case !was && is:
			s.log.Info("table renamed into the selected objects: its changes are synced from here on",
				slog.String("from", r[0]), slog.String("to", r[1]), slog.String("pos", pos.String()))
		}
	}
	return nil
}

// splitUse splits a statement as SHOW BINLOG EVENTS shows it ("use `db`;
// ALTER …") into its default database and the statement as logged.
func splitUse(info string) (db, sql string) {
	if strings.HasPrefix(info, "use ") {
		if i := strings.Index(info, "; "); i > 0 {
			if d, _, ok := sourcedb.Ident(strings.TrimSpace(info[4:i])); ok {
				db = d
			}
			return db, info[i+2:]
		}
	}
	return "", info
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
