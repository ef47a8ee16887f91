package snapshot

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// Chunk is a key range of a table: rows with Low <= key < High. Nil bounds
// are unbounded. Bounds are EncodeKey tuples of the ChunkKey columns.
type Chunk struct {
	// ID numbers the table's chunks from 0, in key order.
	ID        uint32
	Low, High []byte
}

// DefaultChunkSize is the rows per chunk when the topology sets none.
const DefaultChunkSize = 8192

// denseRatio is the largest (MAX-MIN+1)/rows for which a single integer key
// is split arithmetically; sparser keys are walked.
const denseRatio = 2

// Plan splits t into chunks of about chunkSize rows by its ChunkKey. A table
// without a usable key, or with at most one chunk's worth of rows, is one
// unbounded chunk; so is an empty table. The plan always covers the whole
// key space: rows inserted after planning fall into some chunk.
//
// A dense single integer key is split from MIN and MAX and the estimated row
// count (two cheap queries). Other keys are walked: one query per chunk reads
// the key chunkSize rows further on, which scans the key's index once.
func Plan(ctx context.Context, conn *client.Conn, t *change.Table, chunkSize int) ([]Chunk, error) {
	if chunkSize <= 0 {
		chunkSize = DefaultChunkSize
	}
	key := ChunkKey(t)
	whole := []Chunk{{ID: 0}}
	if key == nil {
		return whole, nil
	}
	stop := sourcedb.InterruptOnCancel(ctx, conn)
	defer stop()
	var (
		bounds [][]byte
		err    error
	)
	if len(key) == 1 && isInteger(t.Columns[key[0]].Type) {
		bounds, err = integerBounds(conn, t, key[0], chunkSize)
	} else {
		bounds, err = walkBounds(conn, t, key, chunkSize)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("snapshot: planning chunks of %s: %w", t.QualifiedName(), err)
	}
	chunks := make([]Chunk, len(bounds)+1)
	for i := range chunks {
		chunks[i].ID = uint32(i)
		if i > 0 {
			chunks[i].Low = bounds[i-1]
		}
		if i < len(bounds) {
			chunks[i].High = bounds[i]
		}
	}
	return chunks, nil
}

func isInteger(t byte) bool {
	switch t {
	case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong, change.TypeYear:
		return true
	}
	return false
}

// integerBounds splits a single integer key arithmetically when it is dense,
// and falls back to walking it when it is sparse or the estimate is unknown.
func integerBounds(conn *client.Conn, t *change.Table, col, chunkSize int) ([][]byte, error) {
	c := &t.Columns[col]
	name := sourcedb.QuoteIdent(c.Name)
	r, err := conn.Execute("SELECT MIN(" + name + "), MAX(" + name + ") FROM " + sourcedb.Qualified(t.Schema, t.Name))
	if err != nil {
		return nil, err
	}
	if len(r.Values) == 0 || r.Values[0][0].Type == mysql.FieldValueTypeNull {
		return nil, nil // empty table
	}
	unsigned := c.Unsigned || c.Type == change.TypeYear
	lo, err := integerOf(&r.Values[0][0], unsigned)
	if err != nil {
		return nil, fmt.Errorf("MIN(%s): %w", c.Name, err)
	}
	hi, err := integerOf(&r.Values[0][1], unsigned)
	if err != nil {
		return nil, fmt.Errorf("MAX(%s): %w", c.Name, err)
	}
	// Offsets from lo in uint64 are exact for signed and unsigned keys alike.
	span := hi - lo // rows span+1 key values
	if span < uint64(chunkSize) {
		return nil, nil
	}
	rows, err := sourcedb.EstimateRows(context.Background(), conn, t.Schema, t.Name) // Plan interrupts on its ctx
	if err != nil {
		return nil, err
	}
	if rows == 0 || float64(span)+1 > denseRatio*float64(rows) {
		return walkBounds(conn, t, []int{col}, chunkSize)
	}
	width := uint64(float64(chunkSize) * (float64(span) + 1) / float64(rows))
	if width < uint64(chunkSize) {
		width = uint64(chunkSize)
	}
	var bounds [][]byte
	for off := width; off <= span && off >= width; off += width {
		v := lo + off
		var text []byte
		if unsigned {
			text = strconv.AppendUint(nil, v, 10)
		} else {
			text = strconv.AppendInt(nil, int64(v), 10)
		}
		bounds = append(bounds, EncodeKey([][]byte{text}))
		if off > math.MaxUint64-width {
			break
		}
	}
	return bounds, nil
}

// integerOf returns an integer field as uint64 bits (two's complement for
// signed values).
func integerOf(fv *mysql.FieldValue, unsigned bool) (uint64, error) {
	switch fv.Type {
	case mysql.FieldValueTypeUnsigned:
		return fv.AsUint64(), nil
	case mysql.FieldValueTypeSigned:
		return uint64(fv.AsInt64()), nil
	case mysql.FieldValueTypeString:
		if unsigned {
			return strconv.ParseUint(string(fv.AsString()), 10, 64)
		}
		v, err := strconv.ParseInt(string(fv.AsString()), 10, 64)
		return uint64(v), err
	}
	return 0, fmt.Errorf("not an integer")
}

// walkBounds reads the key of every chunkSize-th row in key order: each query
// starts at the previous boundary and skips chunkSize rows on the key's
// index, so boundaries strictly increase even under concurrent writes.
func walkBounds(conn *client.Conn, t *change.Table, key []int, chunkSize int) ([][]byte, error) {
	var cols []byte
	for i, ci := range key {
		if i > 0 {
			cols = append(cols, ", "...)
		}
		cols = append(cols, sourcedb.QuoteIdent(t.Columns[ci].Name)...)
	}
	tail := " ORDER BY " + string(cols) + " LIMIT 1 OFFSET " + strconv.Itoa(chunkSize)
	head := "SELECT " + string(cols) + " FROM " + sourcedb.Qualified(t.Schema, t.Name)
	var (
		bounds [][]byte
		prev   [][]byte
		q      []byte
		err    error
	)
	for {
		q = append(q[:0], head...)
		if prev != nil {
			q = append(q, " WHERE "...)
			if q, err = appendBound(q, t, key, prev, true); err != nil {
				return nil, err
			}
		}
		q = append(q, tail...)
		r, err := conn.Execute(string(q))
		if err != nil {
			return nil, err
		}
		if len(r.Values) == 0 {
			return bounds, nil
		}
		vals := make([][]byte, len(key))
		for i := range key {
			if r.Values[0][i].Type == mysql.FieldValueTypeNull {
				return nil, fmt.Errorf("key column %s holds NULL", t.Columns[key[i]].Name)
			}
			vals[i] = appendFieldText(nil, &r.Values[0][i])
		}
		bounds = append(bounds, EncodeKey(vals))
		prev = vals
	}
}
