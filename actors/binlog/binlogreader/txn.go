package binlogreader

import (
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/sluicecdc/sluice/change"
)

func (s *Stream) beginGroup(h *replication.EventHeader) {
	s.inTxn = false
	s.txnRow = 0
	s.txnTime = h.Timestamp
	s.txnGTID = ""
	s.txnGNO = 0
}

func (s *Stream) mysqlGTID(e *replication.GTIDEvent, tag mysql.Tag, h *replication.EventHeader) {
	s.beginGroup(h)
	s.hasGTID = true
	if e.ImmediateCommitTimestamp != 0 {
		s.txnTime = uint32(e.ImmediateCommitTimestamp / 1_000_000)
	}
	u, err := uuid.FromBytes(e.SID)
	if err != nil || u == uuid.Nil { // ANONYMOUS_GTID_LOG_EVENT: GTIDs off
		return
	}
	s.txnSID, s.txnTag, s.txnGNO = u, tag, e.GNO
	if tag.String() != "" {
		s.txnGTID = u.String() + ":" + tag.String() + ":" + strconv.FormatInt(e.GNO, 10)
	} else {
		s.txnGTID = u.String() + ":" + strconv.FormatInt(e.GNO, 10)
	}
}

// endTxn records a transaction boundary at the end of the event h.
func (s *Stream) endTxn(h *replication.EventHeader) {
	if s.gset != nil && s.txnGTID != "" {
		switch g := s.gset.(type) {
		case *mysql.MariadbGTIDSet:
			gt := s.txnMDB
			_ = g.AddSet(&gt) // only fails on a domain mismatch, impossible here
		case *mysql.MysqlGTIDSet:
			g.AddGTIDWithTag(s.txnSID, s.txnTag, s.txnGNO)
		}
	}
	s.mark.Seq = s.nextSeq - 1
	s.mark.Pos = change.Position{File: s.file, Pos: h.LogPos}
	s.mark.Time = h.Timestamp
	s.markDirty = true
	s.progress.Pos = s.mark.Pos
	s.progress.CommitTime = h.Timestamp
	s.inTxn = false
	s.hasGTID = false
	s.txnGTID = ""
	s.txnRow = 0
	s.txnTime = 0
}

func (s *Stream) commitTime(h *replication.EventHeader) uint32 {
	if s.txnTime != 0 {
		return s.txnTime
	}
	return h.Timestamp
}

// executed is the GTID set executed at the last transaction boundary read;
// "" when unknown.
func (s *Stream) executed() string {
	if s.gset == nil {
		return ""
	}
	return s.gset.String()
}
