package snapshot

import (
	"context"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/charset"
	"github.com/sluicecdc/sluice/internal/valuebox"
	"github.com/sluicecdc/sluice/sourcedb"
)

// DefaultBatchBytes is the batch size ReadChunk uses when given none.
const DefaultBatchBytes = 1 << 20

// rowSlab is how many rows' value slices are allocated at once.
const rowSlab = 128

// maxBatchRows bounds the rows a batch is first allocated for.
const maxBatchRows = 1 << 14

// ReadChunk reads one chunk of t in its own consistent-snapshot transaction
// (START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY) and hands its rows,
// in key order, to emit as batches of OpSnapshot changes of at most
// batchBytes each (a single larger row makes a batch of its own). The rows
// are streamed: at most one batch is held besides the one emit holds.
//
// Each change has Table t, After set, Size estimated, Pos the snapshot's
// binlog position (MariaDB; zero on MySQL), CommitTime the time the chunk's
// consistent snapshot began (Unix seconds) and Seq 0 (the engine numbers
// changes). Batches have no Source; emit may set it before passing the batch
// on, and owns the batch once called. Emit may block: that is the
// backpressure, and the server waits (the session's net_write_timeout is
// long). An error from emit stops the read and is returned.
//
// lim (nil = unlimited) is charged after each batch. It returns the rows read
// and the snapshot position. On any error the connection is left in an
// unknown state: close it.
func ReadChunk(ctx context.Context, conn *client.Conn, t *change.Table, ch Chunk,
	emit func(*change.Batch) error, batchBytes int, lim *Limiter) (rows uint64, pos change.Position, err error) {
	if batchBytes <= 0 {
		batchBytes = DefaultBatchBytes
	}
	query, err := chunkQuery(t, ch)
	if err != nil {
		return 0, pos, fmt.Errorf("snapshot: chunk %d of %s: %w", ch.ID, t.QualifiedName(), err)
	}
	stop := sourcedb.InterruptOnCancel(ctx, conn)
	defer stop()
	fail := func(step string, err error) (uint64, change.Position, error) {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return rows, pos, fmt.Errorf("snapshot: chunk %d of %s (%s, %d rows read, snapshot at %s): %w",
			ch.ID, t.QualifiedName(), step, rows, pos, err)
	}
	if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return fail("starting the snapshot", err)
	}
	if pos, err = sourcedb.SnapshotPosition(conn); err != nil {
		return fail("reading the snapshot position", err)
	}
	readAt := uint32(time.Now().Unix()) // the chunk's rows are as of now

	convs := converters(t)
	n := len(convs)
	var (
		// batch is allocated at its first row: with room for as many rows
		// as the first row's size says fit in batchBytes, or as many as the
		// batch before held. The Changes are most of what a row costs.
		batch  *change.Batch
		hint   int
		slab   []any
		box    valuebox.Box
		result mysql.Result
	)
	flush := func() error {
		if batch == nil || len(batch.Changes) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			// Rows already buffered would otherwise keep flowing.
			return err
		}
		b := batch
		batch, hint = nil, len(b.Changes)+len(b.Changes)/16
		if err := emit(b); err != nil {
			return err
		}
		return lim.Wait(ctx, len(b.Changes), b.Bytes)
	}
	perRow := func(row []mysql.FieldValue) error {
		if len(row) != n {
			return fmt.Errorf("server returned %d columns, the table has %d", len(row), n)
		}
		if len(slab) < n {
			slab = make([]any, n*rowSlab)
		}
		vals := slab[:n:n]
		slab = slab[n:]
		size := rowOverhead
		for i := range row {
			v, sz := convert(convs[i], &row[i], &box)
			vals[i] = v
			size += sz
		}
		if batch != nil && batch.Bytes+size > batchBytes && len(batch.Changes) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		if batch == nil {
			c := hint
			if c == 0 {
				c = min(batchBytes/size+batchBytes/size/8+1, maxBatchRows)
			}
			batch = &change.Batch{Changes: make([]change.Change, 0, c)}
		}
		batch.Add(change.Change{Op: change.OpSnapshot, Table: t, After: vals, Pos: pos, CommitTime: readAt, Size: size})
		rows++
		return nil
	}
	if err := conn.ExecuteSelectStreaming(query, &result, perRow, nil); err != nil {
		return fail("reading rows", err)
	}
	if err := flush(); err != nil {
		return fail("emitting rows", err)
	}
	if _, err := conn.Execute("COMMIT"); err != nil {
		return fail("ending the snapshot", err)
	}
	return rows, pos, nil
}

// chunkQuery is the chunk's SELECT: every column (FLOAT through DOUBLE, whose
// text is exact; ENUM and SET of other charsets in UTF-8, as the binlog
// reader names their values from the schema history), the chunk's key
// range, in key order.
func chunkQuery(t *change.Table, ch Chunk) (string, error) {
	key := ChunkKey(t)
	if key == nil && (ch.Low != nil || ch.High != nil) {
		return "", fmt.Errorf("a bounded chunk of a table without a usable key (the table's keys changed since planning)")
	}
	q := make([]byte, 0, 256)
	q = append(q, "SELECT "...)
	for i := range t.Columns {
		if i > 0 {
			q = append(q, ", "...)
		}
		name := sourcedb.QuoteIdent(t.Columns[i].Name)
		switch c := &t.Columns[i]; {
		case c.Type == change.TypeFloat:
			// FLOAT's text has 6 significant digits; its DOUBLE is exact.
			q = append(q, "CAST("...)
			q = append(q, name...)
			q = append(q, " AS DOUBLE)"...)
			continue
		case (c.Type == change.TypeEnum || c.Type == change.TypeSet) && !charset.IsUTF8(c.Charset):
			q = append(q, "CONVERT("...)
			q = append(q, name...)
			q = append(q, " USING utf8mb4)"...)
			continue
		}
		q = append(q, name...)
	}
	q = append(q, " FROM "...)
	q = append(q, sourcedb.Qualified(t.Schema, t.Name)...)
	var err error
	for i, b := range [][]byte{ch.Low, ch.High} {
		if b == nil {
			continue
		}
		vals, derr := DecodeKey(b)
		if derr != nil {
			return "", derr
		}
		if i == 0 || ch.Low == nil {
			q = append(q, " WHERE "...)
		} else {
			q = append(q, " AND "...)
		}
		if q, err = appendBound(q, t, key, vals, i == 0); err != nil {
			return "", err
		}
	}
	if key != nil {
		q = append(q, " ORDER BY "...)
		for i, ci := range key {
			if i > 0 {
				q = append(q, ", "...)
			}
			q = append(q, sourcedb.QuoteIdent(t.Columns[ci].Name)...)
		}
	}
	return string(q), nil
}
