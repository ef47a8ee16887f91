package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/snapshot"
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

// planOnline queues the source's online snapshots at start: those still
// unfinished in the store, and those of tables added since the checkpoints
// were written (former is the source's selection then; nil when unknown).
// skip lists the tables of an unfinished initial snapshot, whose chunks are
// its own.
func planOnline(ctx context.Context, sp *sourcePlan, st store.Store, former *topology.Objects, skip []string, log *slog.Logger) error {
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
	var added []string
	for _, n := range names {
		name := n.String()
		if slices.Contains(skip, name) {
			continue
		}
		chunks, err := st.Chunks(s.Name, name)
		if err != nil {
			return err
		}
		if former != nil && s.Phases.Snapshot {
			if _, was := former.Match(n.Schema, n.Name); !was {
				// Added (or added back: what an older plan of it read is
				// stale, its changes since were not sent): a new plan.
				if _, err := queueOnline(ctx, conn, sp, st, n, chunks); err != nil {
					return err
				}
				added = append(added, name)
				continue
			}
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
	if len(added) > 0 {
		log.Info("tables added to the task are snapshotted while the binlog streams", "source", s.Name, "tables", strings.Join(added, ", "))
	}
	return nil
}

// queueOnline plans a new online snapshot of table n, records its chunks
// (not done) in the store, replacing any the table had (old), and queues
// it. It returns the number of chunks.
func queueOnline(ctx context.Context, conn *client.Conn, sp *sourcePlan, st store.Store, n sourcedb.TableName, old []store.Chunk) (int, error) {
	s := sp.cfg
	tp, est, err := describeOnline(ctx, conn, sp, n, true)
	if err != nil {
		return 0, err
	}
	chunks, err := snapshot.Plan(ctx, conn, tp.Table, s.Phases.ChunkSize)
	if err != nil {
		return 0, err
	}
	// Above every ID the table had: the checkpointer's list of chunks
	// done in this process must not match a chunk of this plan.
	var base uint32
	for _, c := range old {
		base = max(base, c.ID+1)
	}
	var u store.Update
	u.ResetChunks(s.Name, n.String())
	for i := range chunks {
		chunks[i].ID += base
		u.PutChunk(s.Name, n.String(), chunks[i].Stored())
	}
	if err := st.Commit(&u); err != nil {
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

// snapshotHandler serves POST /snapshot?table=db.t[&source=NAME]: it queues
// an online snapshot of the table on the running task.
func snapshotHandler(live *atomic.Pointer[liveTask]) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		lt := live.Load()
		if lt == nil {
			http.Error(w, "the task is not running yet (it is starting or stopping); try again when sluice status shows it streaming", http.StatusServiceUnavailable)
			return
		}
		res, code, err := lt.resnapshot(req.Context(), req.URL.Query().Get("table"), req.URL.Query().Get("source"))
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
