package binlog

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
)

// online runs the snapshots of tables added to a streaming source
// (snapshot.Online), inside the binlog reader: one chunk at a time is read
// on a connection of its own while the stream goes on; the keys of the
// table's changes read meanwhile are noted (snapshot.Window); once the
// stream has passed the chunk's snapshot point, the chunk's rows minus the
// noted keys are sent between two transactions, followed by the chunk's
// completion, which becomes durable with the stream's mark at that point.
// See docs/snapshot.md, "Online snapshots".
type online struct {
	set  *snapshot.Online
	gen  uint64
	done map[flow.ChunkID]bool // durable in this process before this epoch
	// cur is the table being read and next the index of its next chunk.
	cur  *snapshot.TablePlan
	next int
	win  *snapshot.Window
	// table is cur's definition the chunks are read with; describe is set
	// when a statement changed it during a window (read it again first).
	table    *change.Table
	describe bool
	// low is the stream's position when the window opened; ddlSent is set
	// once cur's CREATE statement went out (schema sync).
	low      change.Position
	inFlight bool
	result   *chunkFetched
	ddlSent  bool
	// stats of cur, for the log line at its end
	started          time.Time
	rows, rereads    uint64
	reading, waiting time.Duration
	ctx              context.Context
	cancel           context.CancelFunc
}

// chunkFetched carries one chunk read on the online goroutine to the
// reader.
type chunkFetched struct {
	epoch uint64
	table *snapshot.TablePlan
	chunk snapshot.Chunk
	// described is the table's definition read again instead of the chunk
	// (nil when the chunk was read); gone is set when the table no longer
	// exists.
	described *change.Table
	gone      bool
	batches   []*change.Batch
	rows      uint64
	// pos is the chunk's consistent-snapshot position (MariaDB), or the
	// server's position after the read (MySQL); at is when the read ended.
	pos change.Position
	at  time.Time
	// took is the time the read took.
	took time.Duration
	err  error
}

func newOnline(set *snapshot.Online, done []flow.ChunkID) *online {
	o := &online{set: set, done: map[flow.ChunkID]bool{}}
	for _, id := range done {
		o.done[id] = true
	}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	return o
}

func (o *online) close() { o.cancel() }

// note records the keys the batch changes in the table being read.
func (o *online) note(b *change.Batch) {
	if o.inFlight || o.result != nil {
		o.win.Note(b.Changes)
	}
}

// step runs between two transactions of the stream: it injects a fetched
// chunk whose time has come, or starts the next chunk's read.
func (a *Actor) onlineStep(ctx actor.Context) {
	o := a.online
	if r := o.result; r != nil {
		if !a.chunkReady(r) {
			return
		}
		o.result = nil
		if r.err != nil {
			panic(r.err) // the unit restarts the reader; the chunk is read again
		}
		if r.gone {
			a.cfg.Logger.Warn("online snapshot ends: the table no longer exists", "source", a.cfg.Source.Name, "table", r.table.Table.QualifiedName())
			o.set.Done(o.cur)
			o.cur = nil
			a.onlineFetch(ctx)
			return
		}
		if r.described != nil {
			// Only described: the chunk is read next, in a window keyed by
			// the new definition.
			o.table, o.describe = r.described, o.win.DDL // changed again meanwhile: describe again
			o.win = snapshot.NewWindow(r.described)
			o.next--
		} else if o.win.DDL || (r.pos.File != "" && o.low.File != "" && comparePos(r.pos, o.low) < 0) {
			// A statement changed the table during the window, or the
			// chunk's snapshot is older than the window (a transaction
			// the stream had read was not yet visible): read it again.
			a.cfg.Logger.Info("online snapshot: chunk read again", "source", a.cfg.Source.Name, "table", r.table.Table.QualifiedName(),
				"chunk", r.chunk.ID, "ddl", o.win.DDL, "snapshot_at", r.pos, "window_from", o.low)
			o.next--
			o.rereads++
			o.describe = o.describe || o.win.DDL
		} else {
			o.waiting += time.Since(r.at)
			o.reading += r.took
			a.inject(ctx, r)
		}
	}
	if o.inFlight {
		return
	}
	a.onlineFetch(ctx)
}

// chunkReady reports whether the stream is past every transaction the
// chunk's snapshot saw: at or after its snapshot position, or caught up
// with the source after the read ended.
func (a *Actor) chunkReady(r *chunkFetched) bool {
	if r.err != nil || r.gone || r.described != nil {
		return true // no rows to place
	}
	p := a.stream.Progress()
	if pos := a.streamPos(); r.pos.File != "" && pos.File != "" && comparePos(pos, r.pos) >= 0 {
		return true
	}
	return p.CaughtUpAt.After(r.at)
}

// streamPos is the stream's last transaction boundary, or where it started
// before it read one (on an idle server that is where a chunk's snapshot
// is too).
func (a *Actor) streamPos() change.Position {
	if p := a.stream.Progress().Pos; p.File != "" {
		return p
	}
	return a.startPos
}

// onlineFetch starts reading the next chunk, moving to the next table when
// the current one is finished.
func (a *Actor) onlineFetch(ctx actor.Context) {
	o := a.online
	for {
		if o.cur == nil {
			o.cur, o.next, o.ddlSent = o.set.Next(), 0, false
			o.gen = o.set.Generation()
			if o.cur == nil {
				return
			}
			o.table, o.describe = o.cur.Table, false
			o.win = snapshot.NewWindow(o.table)
			o.started, o.rows, o.rereads, o.reading, o.waiting = time.Now(), 0, 0, 0, 0
			a.cfg.Logger.Info("online snapshot starting", "source", a.cfg.Source.Name, "table", o.cur.Table.QualifiedName(),
				"chunks", len(o.cur.Chunks), "from", a.streamPos())
		}
		name := o.cur.Table.QualifiedName()
		for o.next < len(o.cur.Chunks) && o.done[flow.ChunkID{Table: name, ID: o.cur.Chunks[o.next].ID}] {
			o.next++
		}
		if o.next < len(o.cur.Chunks) {
			break
		}
		took := time.Since(o.started)
		a.cfg.Logger.Info("online snapshot complete", "source", a.cfg.Source.Name, "table", name, "rows", o.rows,
			"took", took.Round(time.Millisecond), "rows_per_second", int(float64(o.rows)/max(took.Seconds(), 0.001)),
			"reading", o.reading.Round(time.Millisecond), "waiting_for_stream", o.waiting.Round(time.Millisecond), "chunks_read_again", o.rereads)
		o.set.Done(o.cur)
		o.cur = nil
	}
	if !o.ddlSent {
		o.ddlSent = true
		a.sendCreate(ctx, o.cur)
	}
	ch := o.cur.Chunks[o.next]
	o.next++
	o.win.Clear()
	o.low = a.streamPos()
	o.inFlight = true
	root, self, src, epoch, t, rctx := ctx.ActorSystem().Root, ctx.Self(), a.cfg.Source, a.cfg.Epoch, o.cur, o.ctx
	table, describe := o.table, o.describe
	lim, budget := o.set.Limiter, a.grant
	go func() {
		r := &chunkFetched{epoch: epoch, table: t, chunk: ch}
		began := time.Now()
		conn, err := sourcedb.Dial(rctx, src)
		if err == nil && describe {
			r.described, r.gone, err = describeAgain(rctx, conn, table)
		} else if err == nil {
			var held int64
			r.rows, r.pos, err = snapshot.ReadChunk(rctx, conn, table, ch, func(b *change.Batch) error {
				// A chunk is held whole until its place in the stream: one
				// larger than half the source's budget (the other half for
				// its encoded records) would overrun the memory bound (a
				// table without a usable key is one chunk).
				if held += int64(b.Bytes); held > budget/2 {
					return errkind.Terminal(fmt.Errorf("the chunk holds more than half the source's in-flight budget (engine.inflight_bytes, %d bytes), and an online snapshot "+
						"holds a chunk whole until it joins the stream: give the table a primary key (or a unique key over NOT NULL columns) "+
						"of a type it can be split by, set a smaller snapshot.chunk_size, raise engine.inflight_bytes, or remove the table "+
						"from the source's objects.tables", budget))
				}
				r.batches = append(r.batches, b)
				return nil
			}, maxBatchBytes, lim)
			if err == nil && r.pos.File == "" {
				// MySQL gives no snapshot position: the current one, read
				// after the chunk, is past everything the chunk saw.
				var p sourcedb.Point
				p, err = sourcedb.SnapshotPoint(rctx, conn, src)
				r.pos = p.Pos
			}
		}
		if conn != nil {
			_ = conn.Close()
		}
		if err != nil {
			r.err = fmt.Errorf("source %s: online snapshot of %s: %w", src.Name, t.Table.QualifiedName(), err)
		}
		r.at = time.Now()
		r.took = r.at.Sub(began)
		if rctx.Err() == nil {
			root.Send(self, r)
		}
	}()
}

// describeAgain reads t's definition again after a statement changed it;
// gone reports that the table no longer exists.
func describeAgain(ctx context.Context, conn *client.Conn, t *change.Table) (*change.Table, bool, error) {
	found, err := sourcedb.ListTables(ctx, conn, func(db, table string) bool { return db == t.Schema && table == t.Name })
	if err != nil || len(found) == 0 {
		return nil, err == nil, err
	}
	d, err := sourcedb.Describe(ctx, conn, t.Schema, t.Name)
	return d, false, err
}

// fetched receives a chunk read by the online goroutine.
func (a *Actor) fetched(ctx actor.Context, r *chunkFetched) {
	if a.online == nil || r.epoch != a.cfg.Epoch {
		return
	}
	a.online.inFlight, a.online.result = false, r
	if !a.midTxn && !a.stopping && a.stream != nil {
		a.onlineStep(ctx)
	}
}

// inject sends a chunk's rows that no change in its window touched, then
// the chunk's completion, at the stream's current transaction boundary.
func (a *Actor) inject(ctx actor.Context, r *chunkFetched) {
	o := a.online
	src, name := a.cfg.Source.Name, r.table.Table.QualifiedName()
	seq := a.lastSeq
	var kept uint64
	for _, b := range r.batches {
		b.Changes = o.win.Keep(b.Changes)
		if len(b.Changes) == 0 {
			continue
		}
		b.Source, b.Bytes = src, 0
		for i := range b.Changes {
			b.Changes[i].Seq = seq // exempt from the seq rule, like every snapshot record
			b.Bytes += b.Changes[i].Size
		}
		kept += uint64(len(b.Changes))
		a.batchID++
		a.credit.Take(int64(b.Bytes))
		a.cfg.Status.Read(len(b.Changes), int64(b.Bytes), "", "", 0)
		r.table.Progress.Rows(len(b.Changes))
		ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchSent{
			Source: src, Epoch: a.cfg.Epoch, ID: a.batchID, Bytes: int64(b.Bytes), Acks: len(a.cfg.Pipelines), From: ctx.Self(),
		})
		msg := &pipeline.Process{Source: src, Epoch: a.cfg.Epoch, ID: a.batchID, Batch: b, Snapshot: true}
		for _, pid := range a.cfg.Pipelines {
			ctx.Send(pid, msg)
		}
	}
	// Durable with the stream's mark here: a restart resumes after the
	// rows' place in the stream, or reads the chunk again.
	a.batchID++
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: src, Epoch: a.cfg.Epoch, ID: a.batchID, From: ctx.Self(), Mark: a.lastMark,
		Chunk: &checkpointer.ChunkDone{Source: src, Table: name, ID: r.chunk.ID, Low: r.chunk.Low, High: r.chunk.High, Rows: kept, Pos: r.pos},
	})
	r.table.Progress.ChunkDone()
	o.rows += kept
	o.done[flow.ChunkID{Table: name, ID: r.chunk.ID}] = true
	if a.cfg.Logger.Enabled(context.Background(), -4) {
		a.cfg.Logger.Debug("online snapshot chunk injected", "source", src, "table", name, "chunk", r.chunk.ID,
			"rows", r.rows, "kept", kept, "changed_in_window", o.win.Len(), "at", a.stream.Progress().Pos)
	}
}

// sendCreate emits the table's CREATE statement (schema sync) before its
// first row.
func (a *Actor) sendCreate(ctx actor.Context, t *snapshot.TablePlan) {
	if t.DDL == "" {
		return
	}
	b := &change.Batch{Source: a.cfg.Source.Name}
	b.Add(change.Change{Op: change.OpDDL, SchemaSync: true, Table: t.Table, SQL: t.DDL, Schema: t.Table.Schema,
		Pos: a.stream.Progress().Pos, CommitTime: uint32(time.Now().Unix()), Size: len(t.DDL), Seq: a.lastSeq})
	a.batchID++
	ctx.Send(a.cfg.Checkpointer, &checkpointer.BatchSent{
		Source: b.Source, Epoch: a.cfg.Epoch, ID: a.batchID, Bytes: int64(b.Bytes), Acks: len(a.cfg.Pipelines), From: ctx.Self(),
	})
	a.credit.Take(int64(b.Bytes))
	msg := &pipeline.Process{Source: b.Source, Epoch: a.cfg.Epoch, ID: a.batchID, Batch: b, Snapshot: true}
	for _, pid := range a.cfg.Pipelines {
		ctx.Send(pid, msg)
	}
}

// comparePos orders two binlog positions: by file (a longer numeric suffix
// is later, then by name) and offset.
func comparePos(a, b change.Position) int {
	switch {
	case len(a.File) != len(b.File):
		if len(a.File) < len(b.File) {
			return -1
		}
		return 1
	case a.File != b.File:
		if a.File < b.File {
			return -1
		}
		return 1
	case a.Pos < b.Pos:
		return -1
	case a.Pos > b.Pos:
		return 1
	}
	return 0
}
