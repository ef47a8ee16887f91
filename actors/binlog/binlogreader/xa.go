package binlogreader

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
)

// An XA transaction is logged as two event groups: at XA PREPARE, the group
// of its rows, ended by an XA_PREPARE_LOG_EVENT; later, a group of its own
// holding only XA COMMIT or XA ROLLBACK. Its changes happen at the second,
// so the rows of the first are held until then, and dropped on a rollback.
// (MySQL's XA COMMIT … ONE PHASE is one group ended by an
// XA_PREPARE_LOG_EVENT flagged one-phase: a commit.)
//
// Held rows live in memory only, so a Mark must not pass a prepared group
// whose outcome is not read yet: while any is prepared, Marks stay at the
// boundary before the oldest one, and a restarted stream reads it again.
// The changes read after it come again with the same Seq.

// DefaultXAHoldBytes bounds the binlog bytes of the rows that prepared XA
// transactions hold, when Config.XAHoldBytes is zero.
const DefaultXAHoldBytes = 64 << 20

// flPreparedXA flags a MariaDB GTID event that opens an XA group.
const flPreparedXA = 0x40

// xaGroup is the rows of one XA transaction, held until it ends.
type xaGroup struct {
	xid    sourcedb.XID
	before change.Mark // the boundary before the group (GTIDSet filled): where a restart reads it again
	rows   []heldRows
	bytes  int
}

// heldRows is one rows event of a selected table, not yet emitted.
type heldRows struct {
	e   *replication.RowsEvent
	t   *tableEntry
	op  change.Op
	hdr *replication.EventHeader
}

// startXA opens an XA group, which starts at the last boundary.
func (s *Stream) startXA() {
	m := s.mark
	if s.gset != nil {
		m.GTIDSet = s.gset.String()
	}
	s.xa = &xaGroup{before: m}
}

// hold keeps a rows event of the open XA group.
func (s *Stream) hold(e *replication.RowsEvent, h *replication.EventHeader, t *tableEntry, op change.Op) error {
	g := s.xa
	g.rows = append(g.rows, heldRows{e: e, t: t, op: op, hdr: h})
	g.bytes += int(h.EventSize)
	s.heldBytes += int(h.EventSize)
	if s.heldBytes > s.xaHoldLimit {
		return errkind.Terminal(fmt.Errorf(
			"source %q at %s:%d: XA transactions prepared since %s hold more than %d MiB of row changes to selected tables; "+
				"Sluice keeps the rows of a prepared XA transaction in memory until its XA COMMIT and will not hold more. "+
				"Commit XA transactions in smaller parts; to go on, take a new snapshot once no XA transaction is prepared (XA RECOVER lists none): "+
				"delete this source's checkpoint and restart",
			s.name, s.file, h.LogPos, s.oldestXA(), s.xaHoldLimit>>20))
	}
	return nil
}

// oldestXA says where the oldest XA group still held starts.
func (s *Stream) oldestXA() string {
	g := s.xa
	if len(s.prepared) > 0 {
		g = s.prepared[0]
	}
	if g.before.Pos.File == "" { // no boundary passed since a start by GTID
		return s.start
	}
	return g.before.Pos.String()
}

// xaPrepare ends the open XA group at its XA_PREPARE_LOG_EVENT: a one-phase
// commit releases its rows, a prepare keeps them until XA COMMIT.
func (s *Stream) xaPrepare(data []byte, h *replication.EventHeader) error {
	g := s.xa
	s.xa = nil
	onePhase, xid, ok := decodeXAPrepare(data)
	if !ok {
		return errkind.Terminal(fmt.Errorf(
			"binlog of source %q at %s:%d: the XA_PREPARE event cannot be read (%d bytes): "+
				"inspect it with mysqlbinlog on the source, then take a new snapshot",
			s.name, s.file, h.LogPos, len(data)))
	}
	if g == nil { // an XA group whose start was not recognised: nothing held
		s.endTxn(h)
		return nil
	}
	if onePhase {
		s.heldBytes -= g.bytes
		s.releaseGroup(g, h)
		return nil
	}
	g.xid = xid
	s.prepared = append(s.prepared, g)
	s.endTxn(h)
	return nil
}

// xaEnd handles XA COMMIT (commit) or XA ROLLBACK of a prepared group.
func (s *Stream) xaEnd(q []byte, h *replication.EventHeader, commit bool) error {
	xid, ok := sourcedb.ParseXID(string(q))
	if !ok {
		return errkind.Terminal(fmt.Errorf(
			"binlog of source %q at %s:%d: cannot read the XA transaction id of %q; take a new snapshot once the XA transaction is resolved",
			s.name, s.file, h.LogPos, abbreviate(string(q), 200)))
	}
	for i, g := range s.prepared {
		if g.xid != xid {
			continue
		}
		s.prepared = append(s.prepared[:i], s.prepared[i+1:]...)
		s.heldBytes -= g.bytes
		if commit {
			s.releaseGroup(g, h)
			return nil
		}
		s.endTxn(h)
		return nil
	}
	if commit {
		return s.xaCommitOfUnread(xid, h)
	}
	s.endTxn(h) // rolled back: nothing of it was read, nothing is lost
	return nil
}

// xaCommitOfUnread handles the XA COMMIT of a transaction prepared before
// the stream's start (the snapshot point or the configured start), whose
// rows were never read: harmless when it changed no selected table (as the
// binlog before the start says), else a terminal error.
func (s *Stream) xaCommitOfUnread(xid sourcedb.XID, h *replication.EventHeader) error {
	ctx := s.rctx
	if ctx == nil {
		ctx = context.Background()
	}
	selected, found, err := s.priorXA(ctx, xid, change.Position{File: s.file, Pos: h.LogPos - h.EventSize})
	var why string
	switch {
	case err != nil:
		why = "its XA PREPARE could not be looked up (" + err.Error() + ")"
	case !found:
		why = fmt.Sprintf("its XA PREPARE is not within the %d binlog events before it", priorScanLimit)
	case selected:
		why = "it changed selected tables"
	default:
		s.log.Info("XA COMMIT of a transaction prepared before the stream started; it changed no selected table",
			slog.String("xid", xid.String()), slog.String("pos", s.file+":"+strconv.FormatUint(uint64(h.LogPos), 10)))
		s.endTxn(h)
		return nil
	}
	return errkind.Terminal(fmt.Errorf(
		"source %q at %s:%d commits the XA transaction %s, prepared before Sluice started reading (at the snapshot or start point), and %s: "+
			"its changes are not in the snapshot and were never read. Take a new snapshot now that it is committed "+
			"(delete this source's checkpoint and restart); to prevent it, start when XA RECOVER lists no prepared transaction",
		s.name, s.file, h.LogPos, xid, why))
}

// releaseGroup emits the rows of g as changes of the transaction that ends
// at h (its commit), then ends that transaction (see nextReleased).
func (s *Stream) releaseGroup(g *xaGroup, h *replication.EventHeader) {
	s.release, s.releaseHdr = g.rows, h
	if s.release == nil {
		s.release = []heldRows{}
	}
}

// nextReleased starts draining the next released rows event, or ends the
// committing transaction when none is left.
func (s *Stream) nextReleased() {
	if len(s.release) == 0 {
		s.release = nil
		s.endTxn(s.releaseHdr)
		s.releaseHdr = nil
		return
	}
	r := s.release[0]
	s.release = s.release[1:]
	s.rows, s.rowsHdr, s.rowsTab, s.rowsOp, s.rowsIdx = r.e, s.releaseHdr, r.t, r.op, 0
}

// resumeMark is the Mark to hand out at a boundary: the last one, or, while
// XA transactions are prepared, the boundary before the oldest.
func (s *Stream) resumeMark() change.Mark {
	if len(s.prepared) > 0 {
		return s.prepared[0].before
	}
	m := s.mark
	if s.gset != nil {
		m.GTIDSet = s.gset.String()
	}
	return m
}

// decodeXAPrepare reads an XA_PREPARE_LOG_EVENT body: one_phase (1 byte),
// format id, gtrid and bqual lengths (4 bytes each), then gtrid and bqual.
func decodeXAPrepare(b []byte) (onePhase bool, x sourcedb.XID, ok bool) {
	if len(b) < 13 {
		return false, x, false
	}
	x.FormatID = binary.LittleEndian.Uint32(b[1:])
	gl, bl := binary.LittleEndian.Uint32(b[5:]), binary.LittleEndian.Uint32(b[9:])
	if gl > 64 || bl > 64 || len(b) < 13+int(gl+bl) {
		return false, x, false
	}
	x.GTRID = string(b[13 : 13+gl])
	x.BQual = string(b[13+gl : 13+gl+bl])
	return b[0] != 0, x, true
}
