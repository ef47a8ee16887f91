package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/gtid"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// prepareSource decides where a source starts: its checkpoint; else the end
// of a finished snapshot; else an unfinished or new snapshot (start:
// initial); else its configured start position.
func prepareSource(ctx context.Context, s *topology.Source, st store.Store, budget int64, stat *status.Source,
	partitions map[string]map[string]int, log *slog.Logger) (*sourcePlan, error) {
	objects := &s.Objects
	sp := &sourcePlan{
		cfg:         s,
		partitions:  partitions,
		status:      stat,
		selectTable: func(db, table string) bool { _, ok := objects.Match(db, table); return ok },
		resume:      flow.Resume{NextSeq: 1},
		budget:      budget,
		online:      &snapshot.Online{Limiter: snapshot.NewLimiter(s.Phases.MaxRowsPerSecond, s.Phases.MaxBytesPerSecond)},
	}
	sp.history = schema.New(schema.Config{Source: s, Store: st, Select: sp.selectTable})
	if err := reportSkips(st, s.Name, stat); err != nil {
		return nil, err
	}
	id, version, err := serverIdentity(ctx, s)
	if err != nil {
		return nil, err
	}
	sp.serverID, sp.version = id, version
	if cp, ok, err := st.Checkpoint(s.Name); err != nil {
		return nil, err
	} else if ok {
		sp.resume = flow.Resume{Pos: cp.Pos, GTIDSet: cp.GTIDSet, NextSeq: cp.Seq}
		if cp.TakenOn(id) {
			if err := checkHistory(ctx, s, cp); err != nil {
				return nil, err
			}
		} else {
			if err := checkSwitch(ctx, s, cp, id); err != nil {
				return nil, err
			}
			// The old server's file and offset mean nothing here: resume by
			// GTID alone.
			sp.resume.Pos = change.Position{}
			log.Warn("source resumes on another server than its checkpoint's, by GTID", "source", s.Name,
				"checkpoint_server", cp.ServerUUID, "server", id, "gtid", cp.GTIDSet)
		}
		if err := planOnline(ctx, sp, st, nil, log); err != nil {
			return nil, fmt.Errorf("source %q: online snapshot: %w", s.Name, err)
		}
		return sp, nil
	}
	snap, ok, err := st.Snapshot(s.Name)
	if err != nil {
		return nil, err
	}
	if ok && snap.Finished {
		sp.resume = flow.Resume{Pos: snap.Pos, GTIDSet: snap.GTIDSet, NextSeq: seqCeiling(snap)}
		if err := planOnline(ctx, sp, st, nil, log); err != nil {
			return nil, fmt.Errorf("source %q: online snapshot: %w", s.Name, err)
		}
		return sp, nil
	}
	if !s.Phases.Snapshot {
		if s.Start.Mode == topology.StartInitial {
			pos, set, err := sourcedb.CurrentPosition(ctx, s)
			if err != nil {
				return nil, fmt.Errorf("source %q: %w", s.Name, err)
			}
			sp.resume = flow.Resume{Pos: pos, GTIDSet: set, NextSeq: 1}
		}
		return sp, nil
	}
	if err := planSnapshot(ctx, sp, st, snap, ok); err != nil {
		return nil, fmt.Errorf("source %q: snapshot: %w", s.Name, err)
	}
	if ok { // resumed: tables added since it started are read online after it
		if err := planOnline(ctx, sp, st, sp.snapshot.record.Tables, log); err != nil {
			return nil, fmt.Errorf("source %q: online snapshot: %w", s.Name, err)
		}
	}
	return sp, nil
}

// planSnapshot prepares a new snapshot (recording its start position and
// chunks) or the rest of an unfinished one.
func planSnapshot(ctx context.Context, sp *sourcePlan, st store.Store, snap store.Snapshot, resume bool) error {
	s := sp.cfg
	conn, err := sourcedb.Dial(ctx, s)
	if err != nil {
		return err
	}
	defer conn.Close()

	var u store.Update
	plan := &snapshotPlan{}
	chunkCount := 0
	if resume {
		kept := snap.Tables[:0:0]
		for _, name := range snap.Tables {
			db, table, _ := cutTable(name)
			if !sp.selectTable(db, table) {
				// Removed from the topology since the snapshot started: its
				// rest is not read, and its chunk states go.
				u.ResetChunks(s.Name, name)
				continue
			}
			kept = append(kept, name)
			t, err := sourcedb.Describe(ctx, conn, db, table)
			if err != nil {
				return err
			}
			chunks, err := st.Chunks(s.Name, name)
			if err != nil {
				return err
			}
			est, err := sourcedb.EstimateRows(ctx, conn, db, table)
			if err != nil {
				return err
			}
			tbl := &snapshot.TablePlan{Table: t, Progress: sp.status.Table(name, len(chunks), est)}
			for _, c := range chunks {
				if c.Done {
					tbl.Progress.ChunkDone()
				} else {
					tbl.Chunks = append(tbl.Chunks, snapshot.Chunk{ID: c.ID, Low: c.Low, High: c.High})
				}
			}
			chunkCount += len(tbl.Chunks)
			plan.tables = append(plan.tables, tbl)
		}
		snap.Tables = kept
	} else {
		point, err := sourcedb.SnapshotPoint(ctx, conn, s)
		if err != nil {
			return err
		}
		captured, err := sp.history.CaptureAt(ctx, point.Pos, point.GTIDSet)
		if err != nil {
			return err
		}
		u.Schemas = append(u.Schemas, captured.TakePending()...) // committed with the plan
		names, err := sourcedb.ListTables(ctx, conn, sp.selectTable)
		if err != nil {
			return err
		}
		snap = store.Snapshot{Started: true, StartedAt: time.Now(), Pos: point.Pos, GTIDSet: point.GTIDSet, Extra: []byte("1")}
		for _, n := range names {
			t, err := sourcedb.Describe(ctx, conn, n.Schema, n.Name)
			if err != nil {
				return err
			}
			chunks, err := snapshot.Plan(ctx, conn, t, s.Phases.ChunkSize)
			if err != nil {
				return err
			}
			est, err := sourcedb.EstimateRows(ctx, conn, n.Schema, n.Name)
			if err != nil {
				return err
			}
			tbl := &snapshot.TablePlan{Table: t, Chunks: chunks, Progress: sp.status.Table(n.String(), len(chunks), est)}
			if s.Phases.SchemaSync {
				if tbl.DDL, err = sourcedb.ShowCreate(ctx, conn, n.Schema, n.Name); err != nil {
					return err
				}
			}
			snap.Tables = append(snap.Tables, n.String())
			for _, c := range chunks {
				u.PutChunk(s.Name, n.String(), store.Chunk{ID: c.ID, Low: c.Low, High: c.High})
			}
			chunkCount += len(chunks)
			plan.tables = append(plan.tables, tbl)
		}
	}
	// Reserve this run's block of sequence numbers: a restarted snapshot
	// starts above it, so sequence numbers never repeat across crashes
	// although unacknowledged snapshot rows are not checkpointed one by one.
	base := seqCeiling(snap)
	snap.Extra = strconv.AppendUint(nil, base+snapshot.SeqSpan(chunkCount), 10)
	snap.Partitions = sp.partitions // checked against the recorded ones (checkPartitions)
	u.SetSnapshot(s.Name, snap)
	if err := st.Commit(&u); err != nil {
		return err
	}
	plan.seqBase, plan.record = base, snap
	sp.snapshot = plan
	sp.resume = flow.Resume{Pos: snap.Pos, GTIDSet: snap.GTIDSet, NextSeq: seqCeiling(snap)}
	sp.limiter = snapshot.NewLimiter(s.Phases.MaxRowsPerSecond, s.Phases.MaxBytesPerSecond)
	return nil
}

// serverIdentity names the server s is connected to, as checkpoints record
// it (see gtid.Identity), and returns its version as its handshake gives it
// ("10.11.6-MariaDB-log", without the "5.5.5-" prefix MariaDB sends).
func serverIdentity(ctx context.Context, s *topology.Source) (id, version string, err error) {
	conn, err := sourcedb.Dial(ctx, s)
	if err != nil {
		return "", "", err
	}
	defer conn.Close()
	if id, err = gtid.Identity(conn, s.Flavor); err != nil {
		return "", "", fmt.Errorf("source %q: %w", s.Name, err)
	}
	return id, strings.TrimPrefix(conn.GetServerVersion(), "5.5.5-"), nil
}

// checkSwitch decides whether cp, taken on another server, resumes on the
// one s is connected to (connected), by reading that server's GTID history.
// A refusal (store.CheckSwitch) is terminal; a failed read is not, as it
// says nothing about the checkpoint.
func checkSwitch(ctx context.Context, s *topology.Source, cp store.Checkpoint, connected string) error {
	var lacking error
	if cp.GTIDSet != "" {
		conn, err := sourcedb.Dial(ctx, s)
		if err != nil {
			return err
		}
		defer conn.Close()
		srv, err := gtid.Read(conn, s.Flavor)
		if err != nil {
			return fmt.Errorf("source %q: %w", s.Name, err)
		}
		lacking = srv.Contains(cp.GTIDSet)
	}
	return errkind.Terminal(store.CheckSwitch(s.Name, cp, connected, lacking))
}

// checkHistory refuses a checkpoint its own server no longer holds: at the
// checkpoint's binlog file and offset the server's GTID position must still
// be the checkpoint's (MariaDB). After RESET MASTER or a restored backup the
// same file name exists again with other transactions in it, and resuming
// there would silently skip the new ones.
func checkHistory(ctx context.Context, s *topology.Source, cp store.Checkpoint) error {
	if s.Flavor != topology.FlavorMariaDB || cp.GTIDSet == "" || cp.Pos.File == "" {
		return nil
	}
	conn, err := sourcedb.Dial(ctx, s)
	if err != nil {
		return err
	}
	defer conn.Close()
	at, err := sourcedb.GTIDAt(conn, s, cp.Pos)
	if err != nil {
		return err
	}
	if at == "" {
		// No position there: the file is gone (the binlog_file check and
		// the reader name it) or now shorter than the offset.
		listed, err := sourcedb.BinlogListed(conn, s, cp.Pos.File)
		if err != nil || !listed {
			return err
		}
	}
	if err := gtid.SameAt(at, cp.GTIDSet); err != nil {
		return errkind.Terminal(fmt.Errorf("source %q: the server's binlog no longer holds the checkpoint at %s (GTID %s): %v. "+
			"Its binlog was reset (RESET MASTER) or the server was restored from a backup since the checkpoint, so resuming "+
			"there would skip or repeat changes. Take a new snapshot: remove the task's checkpoints (checkpoints.db in "+
			"engine.checkpoint_dir; in a cluster, sluice remove --purge and submit again) and start with start: initial",
			s.Name, cp.Pos, cp.GTIDSet, err))
	}
	return nil
}

// seqCeiling is the first sequence number above every block a snapshot
// reserved so far (1 before any).
func seqCeiling(snap store.Snapshot) uint64 {
	n, err := strconv.ParseUint(string(snap.Extra), 10, 64)
	if err != nil || n == 0 {
		return 1
	}
	return n
}

func cutTable(name string) (db, table string, ok bool) {
	i := slices.Index([]byte(name), '.')
	if i < 0 {
		return "", name, false
	}
	return name[:i], name[i+1:], true
}

// commitFunc stores what the checkpointer made durable.
func commitFunc(st store.Store, sources []*sourcePlan, reg *status.Registry) checkpointer.CommitFunc {
	plans := map[string]*sourcePlan{}
	for _, sp := range sources {
		plans[sp.cfg.Name] = sp
	}
	var u store.Update
	return func(d *checkpointer.Durable) error {
		u.Reset()
		now := time.Now()
		for src, m := range d.Marks {
			u.SetCheckpoint(src, store.Checkpoint{Pos: m.Pos, GTIDSet: m.GTIDSet, Seq: m.Seq + 1, ServerUUID: plans[src].serverID, CommittedAt: now,
				Partitions: plans[src].partitions})
		}
		u.Schemas = append(u.Schemas, d.Schemas...)
		for _, c := range d.Chunks {
			u.PutChunk(c.Source, c.Table, store.Chunk{ID: c.ID, Low: c.Low, High: c.High, Done: true, Rows: c.Rows, Pos: c.Pos})
		}
		for _, src := range d.Finished {
			snap := plans[src].snapshot.record
			snap.Finished, snap.FinishedAt = true, now
			u.SetSnapshot(src, snap)
		}
		if err := st.Commit(&u); err != nil {
			return err
		}
		for src, m := range d.Marks {
			reg.Source(src, 0).Checkpointed(m.Pos.String())
		}
		return nil
	}
}
