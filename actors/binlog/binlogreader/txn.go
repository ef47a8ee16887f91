package binlogreader

import (
	"slices"
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
	s.txnSet = ""
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
	s.txnSet = ""
	s.txnRow = 0
	s.txnTime = 0
}

// txnExecuted is the GTID set executed once the open transaction commits,
// the transaction included; "" when the set is unknown or the transaction
// has no GTID. It is built on the first call of a transaction and shared by
// all its changes. On MariaDB it is written into a reused buffer, domains
// in ascending order, one allocation per transaction.
func (s *Stream) txnExecuted() string {
	if s.txnSet != "" || s.gset == nil || s.txnGTID == "" {
		return s.txnSet
	}
	switch g := s.gset.(type) {
	case *mysql.MariadbGTIDSet:
		doms := s.setDoms[:0]
		if _, ok := g.Sets[s.txnMDB.DomainID]; !ok {
			doms = append(doms, s.txnMDB.DomainID)
		}
		for d := range g.Sets {
			doms = append(doms, d)
		}
		slices.Sort(doms)
		b := s.setBuf[:0]
		for _, d := range doms {
			gt := g.Sets[d]
			if d == s.txnMDB.DomainID {
				gt = &s.txnMDB
			}
			if gt == nil || *gt == (mysql.MariadbGTID{}) {
				continue
			}
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(gt.DomainID), 10)
			b = append(b, '-')
			b = strconv.AppendUint(b, uint64(gt.ServerID), 10)
			b = append(b, '-')
			b = strconv.AppendUint(b, gt.SequenceNumber, 10)
		}
		s.setDoms, s.setBuf = doms, b
		s.txnSet = string(b)
	case *mysql.MysqlGTIDSet:
		next := g.Clone().(*mysql.MysqlGTIDSet)
		next.AddGTIDWithTag(s.txnSID, s.txnTag, s.txnGNO)
		s.txnSet = next.String()
	}
	return s.txnSet
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
