package gtid

import (
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/topology"
)

// Server is what one server holds of the GTID history, as Read finds it.
type Server struct {
	Flavor topology.Flavor
	// Executed is what the server's binlog has seen: MySQL's
	// @@gtid_executed; MariaDB's @@gtid_binlog_state (the last GTID of every
	// domain and originating server).
	Executed string
	// Purged is what the server's binlog no longer has: MySQL's
	// @@gtid_purged; MariaDB's GTID position at the start of its oldest
	// binlog file.
	Purged string
}

// Identity names the server conn is connected to as checkpoints record it:
// MySQL's @@server_uuid; on MariaDB "server_id/gtid_domain_id" (for example
// "1/0"), as MariaDB has no server UUID.
func Identity(conn *client.Conn, flavor topology.Flavor) (string, error) {
	q := "SELECT CONCAT(@@server_id, '/', @@gtid_domain_id)"
	if flavor == topology.FlavorMySQL {
		q = "SELECT @@server_uuid"
	}
	r, err := conn.Execute(q)
	if err != nil {
		return "", fmt.Errorf("reading the server's identity: %w", err)
	}
	return r.GetString(0, 0)
}

// Read reads the GTID history of the server conn is connected to. It needs
// REPLICATION CLIENT (MariaDB: BINLOG MONITOR) for the binlog listing.
func Read(conn *client.Conn, flavor topology.Flavor) (*Server, error) {
	s := &Server{Flavor: flavor}
	if flavor == topology.FlavorMySQL {
		r, err := conn.Execute("SELECT @@gtid_executed, @@gtid_purged")
		if err != nil {
			return nil, fmt.Errorf("reading gtid_executed and gtid_purged: %w", err)
		}
		executed, _ := r.GetString(0, 0)
		purged, _ := r.GetString(0, 1)
		s.Executed, s.Purged = compact(executed), compact(purged)
		return s, nil
	}
	r, err := conn.Execute("SELECT @@gtid_binlog_state")
	if err != nil {
		return nil, fmt.Errorf("reading gtid_binlog_state: %w", err)
	}
	state, _ := r.GetString(0, 0)
	s.Executed = compact(state)
	if r, err = conn.Execute("SHOW BINARY LOGS"); err != nil {
		return nil, fmt.Errorf("listing the binlog files (SHOW BINARY LOGS): %w", err)
	}
	if r.RowNumber() == 0 {
		return nil, fmt.Errorf("the server lists no binlog file (SHOW BINARY LOGS): enable log_bin with binlog_format=ROW and restart it")
	}
	oldest, _ := r.GetString(0, 0)
	// Position 4 is the file's first event: the GTID position there is what
	// the file's Gtid_list event says was logged before it.
	if r, err = conn.Execute("SELECT BINLOG_GTID_POS(?, 4)", oldest); err != nil {
		return nil, fmt.Errorf("reading the GTID position at the start of binlog file %s: %w", oldest, err)
	}
	if null, _ := r.IsNull(0, 0); null {
		return nil, fmt.Errorf("the server cannot tell the GTID position at the start of binlog file %s (BINLOG_GTID_POS is NULL; was the file purged just now?)", oldest)
	}
	purged, _ := r.GetString(0, 0)
	s.Purged = compact(purged)
	return s, nil
}

// compact drops the blanks and newlines servers put into long GTID sets.
func compact(set string) string { return strings.Join(strings.Fields(set), "") }
