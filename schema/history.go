package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// catalogKey is the store "table" under which each catalog version is kept.
// Table keys are "db.table"; this one has no dot, so it cannot collide.
const catalogKey = "#catalog"

// formatVersion is the encoding version of stored records.
const formatVersion = 1

// Config configures a History.
type Config struct {
	// Source is the server (for capture and re-reads) and names the history.
	Source *topology.Source
	// Store keeps the versions (store.Update.PutSchema / store.SchemaAt).
	Store store.Store
	// Select says which tables are synced; nil selects all. The history also
	// follows the other tables of a database holding a selected one.
	Select func(db, table string) bool
	Logger *slog.Logger
}

// History is the versioned table definitions of one source, kept in the
// store by GTID or binlog position (see keys.go). It is safe for concurrent
// use; the Tables it opens are not.
type History struct {
	cfg Config
	log *slog.Logger
}

// New returns the history of cfg.Source kept in cfg.Store.
func New(cfg Config) *History {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &History{cfg: cfg, log: log.With(slog.String("source", cfg.Source.Name))}
}

// Source is the name of the source the history belongs to.
func (h *History) Source() string { return h.cfg.Source.Name }

// Exists reports whether anything was ever recorded for the source.
func (h *History) Exists() (bool, error) {
	es, err := h.cfg.Store.Schemas(h.cfg.Source.Name, catalogKey)
	return len(es) > 0, err
}

// CaptureAt reads the current definition of every followed table from the
// server (information_schema, the same description the snapshot uses) and
// records it as holding from pos, where the executed GTID set is gtidSet
// ("" when unknown), in the returned Tables' pending entries (TakePending):
// the caller commits them. Call it at the position the definitions are
// current at: the snapshot point, or the binlog end when starting there.
func (h *History) CaptureAt(ctx context.Context, pos change.Position, gtidSet string) (*Tables, error) {
	conn, err := sourcedb.Dial(ctx, h.cfg.Source)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st, err := h.capture(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("schema history of source %q: capture at %s: %w", h.cfg.Source.Name, pos, err)
	}
	t := h.tables(st)
	k, err := h.boundaryKey(pos, gtidSet, false)
	if err != nil {
		return nil, err
	}
	for name, v := range st.tables {
		if err := t.putVersion(&t.pending, name, k, v); err != nil {
			return nil, err
		}
	}
	if err := t.putCatalog(&t.pending, k); err != nil {
		return nil, err
	}
	h.log.Info("schema history captured", slog.String("pos", pos.String()), slog.Int("tables", len(st.tables)))
	return t, nil
}

func (h *History) capture(ctx context.Context, conn *client.Conn) (*state, error) {
	st := newState(h.cfg.Select)
	r, err := conn.Execute("SELECT @@version, @@character_set_server")
	if err != nil {
		return nil, err
	}
	version, _ := r.GetString(0, 0)
	st.serverCharset, _ = r.GetString(0, 1)
	st.serverCharset = normCharset(st.serverCharset)
	st.style = styleOf(h.cfg.Source.Flavor, version)
	r, err = conn.Execute("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return nil, err
	}
	for i := range r.Values {
		st.dbs[string(r.Values[i][0].AsString())] = normCharset(string(r.Values[i][1].AsString()))
	}
	names, err := sourcedb.ListTables(ctx, conn, h.cfg.Select)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		v, err := describe(ctx, conn, n.Schema, n.Name)
		if err != nil {
			return nil, err
		}
		st.put(n.Schema, n.Name, v)
	}
	// The other tables of the databases that hold selected ones.
	if h.cfg.Select != nil {
		all, err := sourcedb.ListTables(ctx, conn, func(db, table string) bool { return st.interest[db] > 0 && !h.cfg.Select(db, table) })
		if err != nil {
			return nil, err
		}
		for _, n := range all {
			v, err := describe(ctx, conn, n.Schema, n.Name)
			if err != nil {
				return nil, err
			}
			st.put(n.Schema, n.Name, v)
		}
	}
	return st, nil
}

// styleOf decides how DDL-defined columns render: MariaDB and MySQL before
// 8.0.19 show integer display widths.
func styleOf(flavor topology.Flavor, version string) style {
	if flavor == topology.FlavorMariaDB || strings.Contains(strings.ToLower(version), "mariadb") {
		return style{widths: true, mariadb: true}
	}
	var v [3]int
	for i, p := range strings.SplitN(strings.SplitN(version, "-", 2)[0], ".", 3) {
		v[i], _ = strconv.Atoi(p)
	}
	return style{widths: v[0] < 8 || v[0] == 8 && v[1] == 0 && v[2] < 19}
}

// Describe reads one table's current definition from the server.
func (h *History) Describe(ctx context.Context, db, table string) (*Version, error) {
	conn, err := sourcedb.Dial(ctx, h.cfg.Source)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return describe(ctx, conn, db, table)
}

func describe(ctx context.Context, conn *client.Conn, db, table string) (*Version, error) {
	t, err := sourcedb.Describe(ctx, conn, db, table)
	if err != nil {
		return nil, err
	}
	r, err := conn.Execute("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table)
	if err != nil {
		return nil, fmt.Errorf("reading the collation of %s.%s: %w", db, table, err)
	}
	v := &Version{Table: t}
	if len(r.Values) > 0 {
		v.Charset = charsetOfCollation(string(r.Values[0][0].AsString()))
	}
	return v, nil
}

// Open returns the definitions that hold at pos, where the executed GTID set
// is gtidSet: by the GTID set when there is one, so that a position on
// another server than the history was recorded on (a failover) finds them;
// else by pos (a zero pos: the newest). When nothing was ever recorded for
// the source, it captures them from the server first, as holding from pos:
// right when pos is the binlog's end; for an older pos the reader's checks
// against each TABLE_MAP stand guard.
func (h *History) Open(ctx context.Context, pos change.Position, gtidSet string) (*Tables, error) {
	ok, err := h.Exists()
	if err != nil {
		return nil, err
	}
	if !ok {
		return h.CaptureAt(ctx, pos, gtidSet)
	}
	src := h.cfg.Source.Name
	k, err := h.boundaryKey(pos, gtidSet, true)
	if err != nil {
		return nil, err
	}
	e, ok, err := h.schemaAt(catalogKey, k, pos)
	if err != nil {
		return nil, err
	}
	if !ok {
		es, err := h.cfg.Store.Schemas(src, catalogKey)
		if err != nil || len(es) == 0 {
			return nil, fmt.Errorf("schema history of source %q: no catalog: %v", src, err)
		}
		e = es[0]
		h.log.Warn("schema history starts after the stream's position; using its oldest version",
			slog.String("pos", pos.String()), slog.String("gtid", gtidSet), slog.String("history_from", e.PosKey))
		k, pos = e.PosKey, change.Position{}
	}
	var cat catalogRecord
	if err := json.Unmarshal(e.Def, &cat); err != nil || cat.V != formatVersion {
		return nil, fmt.Errorf("schema history of source %q: catalog at %s is unreadable (format %d): %v", src, e.PosKey, cat.V, err)
	}
	st := newState(h.cfg.Select)
	st.style = style{widths: cat.Widths, mariadb: cat.MariaDB}
	st.serverCharset = cat.ServerCharset
	for db, cs := range cat.DBs {
		st.dbs[db] = cs
	}
	for _, name := range cat.Tables {
		te, ok, err := h.schemaAt(name, k, pos)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("schema history of source %q: table %s is in the catalog at %s but has no definition", src, name, k)
		}
		var rec tableRecord
		if err := json.Unmarshal(te.Def, &rec); err != nil || rec.V != formatVersion {
			return nil, fmt.Errorf("schema history of source %q: definition of %s at %s is unreadable: %v", src, name, te.PosKey, err)
		}
		db, table, _ := strings.Cut(name, ".")
		st.put(db, table, rec.version())
	}
	return h.tables(st), nil
}

func (h *History) tables(st *state) *Tables {
	return &Tables{h: h, st: st}
}

// tableRecord is the stored form of a Version.
type tableRecord struct {
	V       int           `json:"v"`
	Table   *change.Table `json:"table,omitempty"`
	Charset string        `json:"charset,omitempty"`
	Unknown string        `json:"unknown,omitempty"`
}

func (r *tableRecord) version() *Version {
	return &Version{Table: r.Table, Charset: r.Charset, Unknown: r.Unknown}
}

// catalogRecord is the stored list of followed tables and database charsets.
type catalogRecord struct {
	V             int               `json:"v"`
	Widths        bool              `json:"widths"`
	MariaDB       bool              `json:"mariadb"`
	ServerCharset string            `json:"server_charset"`
	DBs           map[string]string `json:"dbs"`
	Tables        []string          `json:"tables"`
}

// Tables is the definitions at one point of the binlog, advanced by Apply
// as the reader goes. Every change is recorded in the store at once, keyed
// by the statement's transaction (see keys.go). Not safe for concurrent use.
type Tables struct {
	h  *History
	st *state
	// pending holds the versions recorded since the last TakePending: they
	// are durable facts of the batch being read, committed by the
	// checkpointer with that batch's resume mark, not here.
	pending store.Update
}

// TakePending returns the history entries recorded since the last call and
// forgets them. The caller commits them once everything read before them is
// acknowledged (the checkpointer does, with the batch that read them).
func (t *Tables) TakePending() []store.TableSchema {
	p := t.pending.Schemas
	t.pending.Schemas = nil
	return p
}

// Table returns the definition of db.table; ok is false when the history
// does not follow the table.
func (t *Tables) Table(db, table string) (v *Version, ok bool) {
	v, ok = t.st.tables[key(db, table)]
	return v, ok
}

// Follows reports whether the history follows db.table (known or not).
func (t *Tables) Follows(db, table string) bool { return t.st.tracks(db, table) }

// Result is what a statement did.
type Result struct {
	// Changed lists the tables ("db.table") whose definition changed.
	Changed []string
	// Renamed lists renames as {from, to}.
	Renamed [][2]string
	// Dropped lists tables no longer followed.
	Dropped []string
	// Ignored says why the statement left the history alone, when it did.
	Ignored string
}

// Apply applies a DDL statement logged at pos (the end of its event), as
// sourcedb.Parser read it, and records the new versions as holding after it.
// gtidSet is the executed GTID set at the transaction boundary before the
// statement ("" when unknown). A statement that does not concern followed
// tables is ignored. A *DDLError means the statement touches followed
// tables but cannot be applied; the history is then unchanged.
func (t *Tables) Apply(st *sourcedb.Statement, pos change.Position, gtidSet string) (Result, error) {
	out, err := t.st.apply(st)
	if err != nil {
		return Result{}, err
	}
	res := Result{Changed: out.changed, Renamed: out.renamed, Dropped: out.removed, Ignored: out.ignored}
	if len(out.changed) == 0 && !out.catalog {
		return res, nil
	}
	k, err := t.h.statementKey(pos, gtidSet)
	if err != nil {
		return res, err
	}
	for _, name := range out.changed {
		if v, ok := t.st.tables[name]; ok {
			if err := t.putVersion(&t.pending, name, k, v); err != nil {
				return res, fmt.Errorf("schema history of source %q: recording %q at %s: %w", t.h.Source(), abbreviate(st.SQL, 120), pos, err)
			}
		}
	}
	if out.catalog {
		if err := t.putCatalog(&t.pending, k); err != nil {
			return res, fmt.Errorf("schema history of source %q: recording %q at %s: %w", t.h.Source(), abbreviate(st.SQL, 120), pos, err)
		}
	}
	return res, nil
}

// Put records v as db.table's definition from the event at pos on (a
// definition re-read from the server); gtidSet is as for Apply.
func (t *Tables) Put(db, table string, v *Version, pos change.Position, gtidSet string) error {
	k, err := t.h.statementKey(pos, gtidSet)
	if err != nil {
		return err
	}
	name := key(db, table)
	_, had := t.st.tables[name]
	t.st.put(db, table, v)
	if err := t.putVersion(&t.pending, name, k, v); err != nil {
		return err
	}
	if !had {
		return t.putCatalog(&t.pending, k)
	}
	return nil
}

// Describe reads db.table's current definition from the server.
func (t *Tables) Describe(ctx context.Context, db, table string) (*Version, error) {
	return t.h.Describe(ctx, db, table)
}

func (t *Tables) putVersion(u *store.Update, name, k string, v *Version) error {
	b, err := json.Marshal(tableRecord{V: formatVersion, Table: v.Table, Charset: v.Charset, Unknown: v.Unknown})
	if err != nil {
		return err
	}
	u.PutSchema(t.h.Source(), name, k, b)
	return nil
}

func (t *Tables) putCatalog(u *store.Update, k string) error {
	names := make([]string, 0, len(t.st.tables))
	for n := range t.st.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	b, err := json.Marshal(catalogRecord{V: formatVersion, Widths: t.st.widths, MariaDB: t.st.mariadb,
		ServerCharset: t.st.serverCharset, DBs: t.st.dbs, Tables: names})
	if err != nil {
		return err
	}
	u.PutSchema(t.h.Source(), catalogKey, k, b)
	return nil
}
