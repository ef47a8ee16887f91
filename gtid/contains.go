package gtid

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/topology"
)

// Contains reports whether the server can resume a stream at the GTID set
// set: its binlog has seen every transaction of set and still holds every
// transaction after it. It returns nil, or an error that says what the
// server lacks, naming its own GTID sets.
func (s *Server) Contains(set string) error {
	if s.Flavor == topology.FlavorMySQL {
		return s.containsMySQL(set)
	}
	return s.containsMariaDB(set)
}

func (s *Server) containsMySQL(set string) error {
	want, err := mysql.ParseMysqlGTIDSet(set)
	if err != nil {
		return fmt.Errorf("the GTID set %q does not parse as MySQL's: %w", set, err)
	}
	executed, err := mysql.ParseMysqlGTIDSet(s.Executed)
	if err != nil {
		return fmt.Errorf("the server's gtid_executed %q does not parse: %w", s.Executed, err)
	}
	purged, err := mysql.ParseMysqlGTIDSet(s.Purged)
	if err != nil {
		return fmt.Errorf("the server's gtid_purged %q does not parse: %w", s.Purged, err)
	}
	if !executed.Contain(want) {
		return fmt.Errorf("its gtid_executed %s does not contain all of %s: it never applied some of those transactions", orNone(s.Executed), set)
	}
	if !want.Contain(purged) {
		return fmt.Errorf("its gtid_purged %s goes past %s: binlogs with transactions after that set are purged", s.Purged, set)
	}
	return nil
}

func (s *Server) containsMariaDB(set string) error {
	want, err := mysql.ParseMariadbGTIDSet(set)
	if err != nil {
		return fmt.Errorf("the GTID position %q does not parse as MariaDB's: %w", set, err)
	}
	// gtid_binlog_state holds several GTIDs per domain (one per originating
	// server): parsed as a position it would keep only the last.
	state := map[[2]uint32]uint64{}
	for _, part := range strings.Split(s.Executed, ",") {
		if part == "" {
			continue
		}
		g, err := mysql.ParseMariadbGTID(part)
		if err != nil {
			return fmt.Errorf("the server's gtid_binlog_state %q does not parse: %w", s.Executed, err)
		}
		state[[2]uint32{g.DomainID, g.ServerID}] = g.SequenceNumber
	}
	purged, err := mysql.ParseMariadbGTIDSet(s.Purged)
	if err != nil {
		return fmt.Errorf("the server's GTID position at its oldest binlog %q does not parse: %w", s.Purged, err)
	}
	wants := want.(*mysql.MariadbGTIDSet).Sets
	for _, d := range sortedDomains(wants) {
		g := wants[d]
		seq, ok := state[[2]uint32{d, g.ServerID}]
		switch {
		case !ok:
			return fmt.Errorf("its binlog has no transaction of server_id %d in domain %d (gtid_binlog_state %s): it did not replicate %s", g.ServerID, d, orNone(s.Executed), g)
		case seq < g.SequenceNumber:
			return fmt.Errorf("its binlog has the transactions of server_id %d in domain %d only up to %d-%d-%d, before %s (gtid_binlog_state %s)", g.ServerID, d, d, g.ServerID, seq, g, s.Executed)
		}
	}
	ps := purged.(*mysql.MariadbGTIDSet).Sets
	for _, d := range sortedDomains(ps) {
		p := ps[d]
		if g, ok := wants[d]; p.SequenceNumber > 0 && (!ok || g.SequenceNumber < p.SequenceNumber) {
			return fmt.Errorf("its oldest binlog file starts after %s, past %s in domain %d: the transactions in between are purged", p, orNone(set), d)
		}
	}
	return nil
}

func sortedDomains(sets map[uint32]*mysql.MariadbGTID) []uint32 {
	ds := make([]uint32, 0, len(sets))
	for d := range sets {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}

func orNone(set string) string {
	if set == "" {
		return "(empty)"
	}
	return set
}
