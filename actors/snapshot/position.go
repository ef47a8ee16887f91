package snapshot

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Point is the binlog position the incremental phase starts from once the
// snapshot is over (P0, the low watermark).
type Point struct {
	Pos change.Position
	// GTIDSet is the executed GTID set at Pos; empty without GTIDs.
	GTIDSet string
}

// SnapshotPoint records P0: a binlog position such that every transaction
// before it is visible to every consistent snapshot opened afterwards. Call it
// once, before the first chunk is read.
//
// On MariaDB it opens a consistent snapshot and reads its exact position
// (Binlog_snapshot_file/position) and that position's GTID set
// (BINLOG_GTID_POS). On MySQL it reads SHOW MASTER STATUS (SHOW BINARY LOG
// STATUS on 8.4) and its Executed_Gtid_Set; see the package's sharp edges.
func SnapshotPoint(ctx context.Context, conn *client.Conn, flavor topology.Flavor) (Point, error) {
	stop := interruptOnCancel(ctx, conn)
	defer stop()
	if flavor == topology.FlavorMySQL {
		p, err := masterStatus(conn)
		if err != nil {
			return Point{}, fmt.Errorf("snapshot: recording the start position: %w", err)
		}
		return p, nil
	}
	if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return Point{}, fmt.Errorf("snapshot: recording the start position: %w", err)
	}
	pos, err := snapshotStatus(conn)
	if err == nil && pos.IsZero() {
		err = errkind.Terminal(fmt.Errorf("the server reports no binlog snapshot position: enable the binary log (log_bin) on the source"))
	}
	var gtid string
	if err == nil {
		gtid, err = binlogGTIDPos(conn, pos)
	}
	if _, cerr := conn.Execute("COMMIT"); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return Point{}, fmt.Errorf("snapshot: recording the start position: %w", err)
	}
	return Point{Pos: pos, GTIDSet: gtid}, nil
}

// snapshotStatus reads MariaDB's position of the current consistent snapshot;
// zero when the server has no such status (MySQL, or no binlog).
func snapshotStatus(conn *client.Conn) (change.Position, error) {
	r, err := conn.Execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return change.Position{}, err
	}
	var p change.Position
	for _, row := range r.Values {
		switch strings.ToLower(string(row[0].AsString())) {
		case "binlog_snapshot_file":
			p.File = string(row[1].AsString())
		case "binlog_snapshot_position":
			n, err := fieldUint(&row[1])
			if err != nil {
				return change.Position{}, fmt.Errorf("binlog_snapshot_position %q: %w", row[1].String(), err)
			}
			p.Pos = uint32(n)
		}
	}
	if p.File == "" {
		return change.Position{}, nil
	}
	return p, nil
}

func binlogGTIDPos(conn *client.Conn, p change.Position) (string, error) {
	r, err := conn.Execute(fmt.Sprintf("SELECT BINLOG_GTID_POS(%s, %d)", quoteString(p.File), p.Pos))
	if err != nil {
		return "", fmt.Errorf("BINLOG_GTID_POS(%s): %w", p, err)
	}
	if len(r.Values) == 0 || r.Values[0][0].Type == mysql.FieldValueTypeNull {
		return "", nil
	}
	return string(r.Values[0][0].AsString()), nil
}

// masterStatus reads SHOW MASTER STATUS, or SHOW BINARY LOG STATUS where the
// former was removed (MySQL 8.4).
func masterStatus(conn *client.Conn) (Point, error) {
	r, err := conn.Execute("SHOW MASTER STATUS")
	if err != nil {
		var e2 error
		if r, e2 = conn.Execute("SHOW BINARY LOG STATUS"); e2 != nil {
			return Point{}, fmt.Errorf("SHOW MASTER STATUS: %w", err)
		}
	}
	if len(r.Values) == 0 {
		return Point{}, errkind.Terminal(fmt.Errorf("SHOW MASTER STATUS returned nothing: enable the binary log (log_bin) on the source, and grant REPLICATION CLIENT to the source's user"))
	}
	row := r.Values[0]
	n, err := fieldUint(&row[1])
	if err != nil {
		return Point{}, fmt.Errorf("SHOW MASTER STATUS position %q: %w", row[1].String(), err)
	}
	p := Point{Pos: change.Position{File: string(row[0].AsString()), Pos: uint32(n)}}
	if i, ok := r.FieldNames["Executed_Gtid_Set"]; ok && i < len(row) {
		p.GTIDSet = strings.ReplaceAll(string(row[i].AsString()), "\n", "")
	}
	return p, nil
}
