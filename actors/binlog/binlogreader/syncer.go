package binlogreader

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/store"
)

// Progress reports where a stream is, for status and lag.
type Progress struct {
	// Pos is the last transaction boundary read.
	Pos change.Position
	// CommitTime is the commit time (Unix seconds) of the last transaction read.
	CommitTime uint32
	// CaughtUpAt is when the source last sent a heartbeat while the stream
	// was at a transaction boundary with nothing queued: the stream had read
	// everything the source had written. Zero until then.
	CaughtUpAt time.Time
	// Events and Changes count binlog events read and changes emitted.
	Events, Changes uint64
	// Truncates counts the statements that delete rows of a selected table
	// without logging them (TRUNCATE TABLE, TRUNCATE or DROP PARTITION),
	// emitted as DDL changes; LastTruncate names the last one, "db.table at
	// file:pos".
	Truncates    uint64
	LastTruncate string
}

// Progress returns the stream's progress. Call it from ReadBatch's goroutine.
func (s *Stream) Progress() Progress { return s.progress }

// TakeSchemaUpdates returns the schema history entries recorded while
// reading since the last call (nil without a history). They belong to the
// batch just read: the caller hands them to the checkpointer with it, which
// commits them once that batch is acknowledged, together with its mark.
func (s *Stream) TakeSchemaUpdates() []store.TableSchema {
	if s.schema == nil {
		return nil
	}
	return s.schema.TakePending()
}

// ReadBatch returns the next changes, in binlog order.
//
// It blocks until it has at least one change or a new Mark, or until maxWait
// passes; then it returns what it has, possibly an empty batch without Mark.
// It stops filling once batch.Bytes >= maxBytes, even inside a transaction:
// the rest follows in the next batches. batch.Mark, when set, is the last
// transaction boundary passed in this call.
//
// An error ends the stream: retryable ones (connection lost) and terminal
// ones (errkind) alike; the caller restarts from its checkpoint. ctx
// cancellation returns what was read so far, or ctx.Err() when nothing was.
func (s *Stream) ReadBatch(ctx context.Context, maxBytes int, maxWait time.Duration) (*change.Batch, error) {
	return s.read(ctx, maxBytes, maxWait, false)
}

// ReadToBoundary is ReadBatch that also returns as soon as a transaction
// ends: a graceful shutdown uses it to finish the transaction in progress
// without starting the next one.
func (s *Stream) ReadToBoundary(ctx context.Context, maxBytes int, maxWait time.Duration) (*change.Batch, error) {
	return s.read(ctx, maxBytes, maxWait, true)
}

func (s *Stream) read(ctx context.Context, maxBytes int, maxWait time.Duration, toBoundary bool) (*change.Batch, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.rctx = ctx
	// A batch that follows a full one (catch-up) is allocated for as many
	// changes as that one held: grown from 64 it would allocate its Changes
	// about twice over. Otherwise (following the source live) batches are
	// small.
	n := 64
	if s.fullBatch > n {
		n = s.fullBatch + s.fullBatch/16
	}
	b := &change.Batch{Source: s.name, Changes: make([]change.Change, 0, n)}
	defer func() {
		s.fullBatch = 0
		if b.Bytes >= maxBytes {
			s.fullBatch = len(b.Changes)
		}
	}()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for b.Bytes < maxBytes {
		if s.rows != nil {
			s.drainRows(b, maxBytes)
			continue
		}
		if s.release != nil {
			s.nextReleased()
			continue
		}
		var ev *replication.BinlogEvent
		if s.innerIdx < len(s.inner) {
			ev = s.inner[s.innerIdx]
			s.innerIdx++
			if err := s.handle(ev, b, true); err != nil {
				return s.fail(err)
			}
			if toBoundary && s.markDirty && !s.InTransaction() {
				return s.finish(b), nil
			}
			continue
		}
		s.inner, s.innerIdx = nil, 0

		select {
		case ev = <-s.events:
		default:
			if len(b.Changes) > 0 || s.markDirty {
				return s.finish(b), nil
			}
			if s.fatal != nil {
				return s.fail(s.fatal)
			}
			if timer == nil {
				timer = time.NewTimer(maxWait)
			}
			select {
			case ev = <-s.events:
			case err := <-s.errc:
				s.fatal = s.connectionEnded(err)
				continue // drain what was queued before the end
			case <-timer.C:
				return s.finish(b), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-s.done:
				return s.fail(errStreamClosed)
			}
		}
		if err := s.handle(ev, b, false); err != nil {
			return s.fail(err)
		}
		if toBoundary && s.markDirty && !s.InTransaction() {
			return s.finish(b), nil
		}
	}
	return s.finish(b), nil
}

func (s *Stream) connectionEnded(err error) error {
	select {
	case <-s.done:
		return errStreamClosed
	default:
	}
	if errors.Is(err, replication.ErrSyncClosed) || errors.Is(err, errStreamClosed) {
		return errStreamClosed
	}
	return classifyServerError(err, s.src, s.where())
}

// where describes the stream's position for errors.
func (s *Stream) where() string {
	p := change.Position{File: s.file, Pos: s.mark.Pos.Pos}
	if s.mark.Pos.File == "" {
		return s.start
	}
	return p.String()
}

func (s *Stream) fail(err error) (*change.Batch, error) {
	s.err = err
	return nil, err
}

// finish attaches the Mark of the last boundary passed, if any.
func (s *Stream) finish(b *change.Batch) *change.Batch {
	if s.markDirty {
		m := s.resumeMark()
		b.Mark = &m
		s.markDirty = false
	}
	return b
}

// InTransaction reports whether the stream stopped inside a transaction
// whose changes it started to return: more of them follow before its
// boundary. A graceful stop reads on (ReadToBoundary) while it is true.
// Call it from ReadBatch's goroutine.
func (s *Stream) InTransaction() bool {
	return s.txnRow > 0 || s.rows != nil || s.release != nil || s.innerIdx < len(s.inner)
}

// handle applies one event to the stream state, appending changes to b.
// inner is true for events unpacked from a TRANSACTION_PAYLOAD_EVENT.
func (s *Stream) handle(ev *replication.BinlogEvent, b *change.Batch, inner bool) error {
	s.progress.Events++
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RowsEvent:
		return s.rowsEvent(ev, e, h, inner)
	case *replication.TableMapEvent:
		at := change.Position{File: s.file, Pos: h.LogPos - h.EventSize}
		if _, err := s.tables.observe(e, tableDef(ev.RawData, s.checksum && !inner), at); err != nil {
			return err
		}
	case *replication.XIDEvent:
		s.endTxn(h)
	case *replication.QueryEvent:
		return s.query(e, h, b)
	case *replication.MariadbGTIDEvent:
		s.beginGroup(h)
		s.hasGTID = true
		s.txnMDB = e.GTID
		s.txnGTID = e.GTID.String()
		s.inTxn = !e.IsStandalone()
		if e.Flags&flPreparedXA != 0 {
			s.startXA()
		}
	case *replication.GTIDEvent:
		s.mysqlGTID(e, mysql.Tag{}, h)
	case *replication.GtidTaggedLogEvent:
		s.mysqlGTID(&e.GTIDEvent, e.Tag, h)
	case *replication.TransactionPayloadEvent:
		s.inner, s.innerIdx = e.Events, 0
	case *replication.RotateEvent:
		s.file = string(e.NextLogName)
		if !s.inTxn {
			s.mark.Pos = change.Position{File: s.file, Pos: uint32(e.Position)}
			// A real rotate (not the fake one a dump starts with) moves the
			// resume point to the next file: worth a Mark.
			if h.Timestamp != 0 && h.LogPos != 0 {
				s.markDirty = true
			}
		}
	case *replication.FormatDescriptionEvent:
		if !inner {
			s.checksum = e.ChecksumAlgorithm == replication.BINLOG_CHECKSUM_ALG_CRC32
		}
	case *replication.PreviousGTIDsEvent:
		// At a file start it is the exact executed set: adopt it when the
		// start position did not tell.
		if s.gset == nil && !s.inTxn && s.flavor == mysql.MySQLFlavor {
			if g, err := mysql.ParseMysqlGTIDSet(e.GTIDSets); err == nil {
				s.gset = g
			}
		}
	case *replication.HeartbeatEvent:
		if !s.inTxn && s.rows == nil && len(s.events) == 0 {
			s.progress.CaughtUpAt = time.Now()
		}
	case *replication.GenericEvent:
		switch h.EventType {
		case replication.INCIDENT_EVENT:
			return errkind.Terminal(fmt.Errorf(
				"source %q logged an incident at %s:%d (changes may be missing from its binlog): "+
					"check the source's error log, then take a new snapshot (delete the checkpoint or set the start position)",
				s.name, s.file, h.LogPos))
		case replication.XA_PREPARE_LOG_EVENT:
			return s.xaPrepare(e.Data, h)
		}
	}
	return nil
}

// tableDef is the TABLE_MAP body without the header, the 6-byte table id and
// the checksum: equal bytes mean an equal table definition.
func tableDef(raw []byte, checksum bool) []byte {
	end := len(raw)
	if checksum {
		end -= replication.BinlogChecksumLength
	}
	start := replication.EventHeaderSize + 6
	if end < start {
		return nil
	}
	return raw[start:end]
}
