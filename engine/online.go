package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// Online snapshots: tables snapshotted while the source's binlog streams
// (docs/snapshot.md). A table is queued when it is added to a task that
// already streams (its source's objects select it now and did not when the
// checkpoints were written), when a user asks for it (POST /snapshot, sluice
// snapshot), and at every start while its chunk states in the store are not
// all done (an online snapshot cut short by a stop or a crash resumes with
// its unfinished chunks).

// planOnline queues the source's online snapshots at start: every selected
// table whose chunk states are not all done (planAdded's, and those cut
// short by a stop or a crash). skip lists the tables of an unfinished
// initial snapshot, whose chunks are its own.
func planOnline(ctx context.Context, sp *sourcePlan, st store.Store, skip []string, log *slog.Logger) error {
	s := sp.cfg
	conn, err := sourcedb.Dial(ctx, s)
	if err != nil {
		return err
	}
	defer conn.Close()
	names, err := sourcedb.ListTables(ctx, conn, sp.selectTable)
	if err != nil {
		return err
	}
	for _, n := range names {
		name := n.String()
		if slices.Contains(skip, name) {
			continue
		}
		chunks, err := st.Chunks(s.Name, name)
		if err != nil {
			return err
		}
		var rest []snapshot.Chunk
		for _, c := range chunks {
			if !c.Done {
				rest = append(rest, snapshot.Chunk{ID: c.ID, Low: c.Low, High: c.High})
			}
		}
		if len(rest) > 0 {
			tp, est, err := describeOnline(ctx, conn, sp, n, len(rest) == len(chunks))
			if err != nil {
				return err
			}
			tp.Progress = sp.status.Table(name, len(chunks), est)
			for range len(chunks) - len(rest) {
				tp.Progress.ChunkDone()
			}
			tp.Chunks = rest
			if err := sp.online.Add(tp); err != nil {
				return err
			}
			log.Info("online snapshot resumes", "source", s.Name, "table", name, "chunks_left", len(rest), "chunks", len(chunks))
		}
	}
	return nil
}

// planAdded records the chunks of every table the sources select now and
// did not when the checkpoints were written (when their phases.snapshot is
// on), for planOnline to queue. It runs first thing after the store opened,
// since the store then records the new selection: a start that fails after
// this keeps the plans, one that fails in it names the tables to read with
// sluice snapshot.
func planAdded(ctx context.Context, dag *topology.DAG, st store.Store, accepted *acceptance, log *slog.Logger) error {
	for _, s := range dag.Sources {
		former := accepted.formerObjects(s.Name)
		if former == nil || !s.Phases.Snapshot {
			continue
		}
		added := func(db, table string) bool {
			_, now := s.Objects.Match(db, table)
			_, was := former.Match(db, table)
			return now && !was
		}
		names, err := planTables(ctx, s, st, added)
		if len(names) > 0 {
			log.Info("tables added to the task are snapshotted while the binlog streams", "source", s.Name, "tables", strings.Join(names, ", "))
		}
		if err != nil {
			return fmt.Errorf("source %q: planning the snapshot of the tables added to it: %w; the checkpoint now records them as selected, "+
				"so a later start will not snapshot the ones not planned yet: once the task runs, read each added table with "+
				"sluice snapshot -f FILE --table DB.TABLE (planned: %s)", s.Name, err, strings.Join(names, ", "))
		}
	}
	return nil
}

// planTables records a new online plan for every table of s that match
// selects, and returns their names.
func planTables(ctx context.Context, s *topology.Source, st store.Store, match func(db, table string) bool) ([]string, error) {
	conn, err := sourcedb.Dial(ctx, s)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tables, err := sourcedb.ListTables(ctx, conn, match)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range tables {
		old, err := st.Chunks(s.Name, n.String())
		if err != nil {
			return names, err
		}
		t, err := sourcedb.Describe(ctx, conn, n.Schema, n.Name)
		if err != nil {
			return names, err
		}
		if _, err := commitPlan(ctx, conn, s, st, t, old); err != nil {
			return names, err
		}
		names = append(names, n.String())
	}
	return names, nil
}

// commitPlan plans the chunks of t and records them (not done) in the
// store, replacing the table's earlier ones (old), with IDs above theirs.
func commitPlan(ctx context.Context, conn *client.Conn, s *topology.Source, st store.Store, t *change.Table, old []store.Chunk) ([]snapshot.Chunk, error) {
	chunks, err := snapshot.Plan(ctx, conn, t, s.Phases.ChunkSize)
	if err != nil {
		return nil, err
	}
	// Above every ID the table had: the checkpointer's list of chunks
	// done in this process must not match a chunk of this plan.
	var base uint32
	for _, c := range old {
		base = max(base, c.ID+1)
	}
	var u store.Update
	u.ResetChunks(s.Name, t.QualifiedName())
	for i := range chunks {
		chunks[i].ID += base
		u.PutChunk(s.Name, t.QualifiedName(), chunks[i].Stored())
	}
	if err := st.Commit(&u); err != nil {
		return nil, err
	}
	return chunks, nil
}

// queueOnline plans a new online snapshot of table n, records its chunks
// (not done) in the store, replacing any the table had (old), and queues
// it. It returns the number of chunks.
func queueOnline(ctx context.Context, conn *client.Conn, sp *sourcePlan, st store.Store, n sourcedb.TableName, old []store.Chunk) (int, error) {
	tp, est, err := describeOnline(ctx, conn, sp, n, true)
	if err != nil {
		return 0, err
	}
	chunks, err := commitPlan(ctx, conn, sp.cfg, st, tp.Table, old)
	if err != nil {
		return 0, err
	}
	tp.Chunks = chunks
	tp.Progress = sp.status.NewTable(n.String(), len(chunks), est)
	if err := sp.online.Add(tp); err != nil {
		return 0, err
	}
	return len(chunks), nil
}

// describeOnline is table n's plan without chunks and progress: its
// definition and, when schema sync is on and create, its CREATE statement;
// and the table's row estimate.
func describeOnline(ctx context.Context, conn *client.Conn, sp *sourcePlan, n sourcedb.TableName, create bool) (*snapshot.TablePlan, uint64, error) {
	t, err := sourcedb.Describe(ctx, conn, n.Schema, n.Name)
	if err != nil {
		return nil, 0, err
	}
	est, err := sourcedb.EstimateRows(ctx, conn, n.Schema, n.Name)
	if err != nil {
		return nil, 0, err
	}
	tp := &snapshot.TablePlan{Table: t}
	if create && sp.cfg.Phases.SchemaSync {
		if tp.DDL, err = sourcedb.ShowCreate(ctx, conn, n.Schema, n.Name); err != nil {
			return nil, 0, err
		}
	}
	return tp, est, nil
}

// liveTask is what the running task's POST /snapshot needs; nil while the
// task starts and once it stopped.
type liveTask struct {
	task string
	plan *plan
	st   store.Store
	log  *slog.Logger
	// mu makes requests one at a time: a second request for a table sees
	// the first one's plan queued.
	mu sync.Mutex
}

// Commands are the requests a running task takes: its engine.http_addr's
// POST /snapshot, and a cluster node's for the tasks it runs
// (Options.Commands).
type Commands struct {
	live atomic.Pointer[liveTask]
}

// Snapshot queues an online snapshot of table (db.t) on the source that
// selects it (source "" when one does), and returns the HTTP status of a
// refusal: 503 while the task starts or stops, 400 for a bad name, 404 for
// a table the task does not select, 409 when its snapshot already runs.
func (c *Commands) Snapshot(ctx context.Context, table, source string) (*SnapshotQueued, int, error) {
	lt := c.live.Load()
	if lt == nil {
		return nil, http.StatusServiceUnavailable, errors.New("the task is not running yet (it is starting or stopping); try again when sluice status shows it streaming")
	}
	return lt.resnapshot(ctx, table, source)
}

// snapshotHandler serves POST /snapshot?table=db.t[&source=NAME]: it queues
// an online snapshot of the table on the running task.
func snapshotHandler(c *Commands) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		res, code, err := c.Snapshot(req.Context(), req.URL.Query().Get("table"), req.URL.Query().Get("source"))
		if err != nil {
			http.Error(w, err.Error(), code)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		status.WriteJSON(w, res)
	}
}

// SnapshotQueued answers a POST /snapshot that queued a table.
type SnapshotQueued struct {
	Task   string `json:"task"`
	Source string `json:"source"`
	Table  string `json:"table"`
	Chunks int    `json:"chunks"`
}

// resnapshot queues table on the source that selects it, and returns the
// HTTP status of a refusal.
func (lt *liveTask) resnapshot(ctx context.Context, table, source string) (*SnapshotQueued, int, error) {
	db, name, ok := cutTable(table)
	if !ok || db == "" || name == "" {
		return nil, http.StatusBadRequest, fmt.Errorf("table %q: name it as database.table, e.g. ?table=shop.orders", table)
	}
	var sp *sourcePlan
	var names []string
	for _, s := range lt.plan.sources {
		names = append(names, s.cfg.Name)
		if (source == "" || source == s.cfg.Name) && s.selectTable(db, name) {
			if sp != nil {
				return nil, http.StatusBadRequest, fmt.Errorf("table %s is selected by sources %q and %q: name one with &source=NAME (sluice snapshot --source NAME)", table, sp.cfg.Name, s.cfg.Name)
			}
			sp = s
		}
	}
	if sp == nil {
		where := "any of its sources (" + strings.Join(names, ", ") + ")"
		if source != "" {
			where = "source " + source
		}
		return nil, http.StatusNotFound, fmt.Errorf("table %s is not selected by %s of task %q: add it to the source's objects.tables in the topology file and restart the task (an added table is snapshotted while the binlog streams)",
			table, where, lt.task)
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if sp.online.Has(table) {
		return nil, http.StatusConflict, fmt.Errorf("a snapshot of %s already runs on source %q; wait for it to finish (sluice status shows its progress)", table, sp.cfg.Name)
	}
	conn, err := sourcedb.Dial(ctx, sp.cfg)
	if err != nil {
		return nil, http.StatusBadGateway, err
	}
	defer conn.Close()
	n := sourcedb.TableName{Schema: db, Name: name}
	exists, err := sourcedb.ListTables(ctx, conn, func(d, t string) bool { return d == db && t == name })
	if err != nil {
		return nil, http.StatusBadGateway, err
	}
	if len(exists) == 0 {
		return nil, http.StatusNotFound, fmt.Errorf("table %s does not exist on source %q (%s)", table, sp.cfg.Name, sp.cfg.Addr())
	}
	old, err := lt.st.Chunks(sp.cfg.Name, table)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	chunks, err := queueOnline(ctx, conn, sp, lt.st, n, old)
	if err != nil {
		code := http.StatusInternalServerError
		if strings.Contains(err.Error(), "already runs") {
			code = http.StatusConflict
		}
		return nil, code, err
	}
	lt.log.Info("online snapshot requested", "source", sp.cfg.Name, "table", table, "chunks", chunks)
	return &SnapshotQueued{Task: lt.task, Source: sp.cfg.Name, Table: table, Chunks: chunks}, 0, nil
}
