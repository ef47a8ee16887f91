package sourcedb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Point is a binlog position and the GTID set executed there ("" when the
// server does not use GTIDs).
type Point struct {
	Pos     change.Position
	GTIDSet string
}

// CurrentPosition returns the source's current binlog position (the end of
// the last transaction written) and the GTID set executed at exactly that
// position ("" when the server does not use GTIDs). It needs REPLICATION
// CLIENT (MariaDB: BINLOG MONITOR).
func CurrentPosition(ctx context.Context, src *topology.Source) (change.Position, string, error) {
	conn, err := Dial(ctx, src)
	if err != nil {
		return change.Position{}, "", err
	}
	defer conn.Close()
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	p, err := binlogStatus(conn, src)
	if err != nil || src.Flavor == topology.FlavorMySQL {
		return p.Pos, p.GTIDSet, err
	}
	g, err := GTIDAt(conn, src, p.Pos)
	return p.Pos, g, err
}

// SnapshotPoint records P0: a binlog position such that every transaction
// before it is visible to every consistent snapshot opened afterwards. Call it
// once, before the first chunk of a snapshot is read.
//
// On MariaDB it opens a consistent snapshot and reads its exact position
// (SnapshotPosition) and that position's GTID set (GTIDAt). On MySQL it
// reads the current position; see the sharp edges in actors/snapshot.
func SnapshotPoint(ctx context.Context, conn *client.Conn, src *topology.Source) (Point, error) {
	stop := InterruptOnCancel(ctx, conn)
	defer stop()
	if src.Flavor == topology.FlavorMySQL {
		p, err := binlogStatus(conn, src)
		if err != nil {
			return Point{}, fmt.Errorf("recording the snapshot's start position: %w", err)
		}
		return p, nil
	}
	if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return Point{}, fmt.Errorf("recording the snapshot's start position: %w", Explain(src, "START TRANSACTION WITH CONSISTENT SNAPSHOT", err))
	}
	pos, err := SnapshotPosition(conn)
	if err == nil && pos.IsZero() {
		err = errkind.Terminal(fmt.Errorf("the server reports no binlog snapshot position: enable the binary log (log_bin) on source %s", src.Name))
	}
	var gtid string
	if err == nil {
		gtid, err = GTIDAt(conn, src, pos)
	}
	if _, cerr := conn.Execute("COMMIT"); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return Point{}, fmt.Errorf("recording the snapshot's start position: %w", err)
	}
	return Point{Pos: pos, GTIDSet: gtid}, nil
}

// SnapshotPosition reads MariaDB's binlog position of the connection's open
// consistent snapshot; zero when the server has no such status (MySQL, or no
// binlog).
func SnapshotPosition(conn *client.Conn) (change.Position, error) {
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
			n, err := FieldUint(&row[1])
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

// GTIDAt returns MariaDB's GTID position at a binlog position
// (BINLOG_GTID_POS); "" when the server cannot tell (position not at an event
// boundary, file gone).
func GTIDAt(conn *client.Conn, src *topology.Source, p change.Position) (string, error) {
	q := fmt.Sprintf("SELECT BINLOG_GTID_POS(%s, %d)", QuoteString(p.File), p.Pos)
	r, err := conn.Execute(q)
	if err != nil {
		return "", Explain(src, "BINLOG_GTID_POS at "+p.String(), err)
	}
	if r.Resultset == nil || len(r.Values) == 0 || r.Values[0][0].Type == mysql.FieldValueTypeNull {
		return "", nil
	}
	return string(r.Values[0][0].AsString()), nil
}

// BinlogListed says whether the server still lists binlog file (SHOW
// BINARY LOGS).
func BinlogListed(conn *client.Conn, src *topology.Source, file string) (bool, error) {
	r, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return false, Explain(src, "SHOW BINARY LOGS", err)
	}
	for i := range r.RowNumber() {
		if f, _ := r.GetString(i, 0); f == file {
			return true, nil
		}
	}
	return false, nil
}

// binlogStatus reads the current binlog position with SHOW MASTER STATUS, or
// SHOW BINARY LOG STATUS on MySQL (8.2 renamed the statement, 8.4 removed
// the old name); on MySQL with the Executed_Gtid_Set there.
func binlogStatus(conn *client.Conn, src *topology.Source) (Point, error) {
	what := "SHOW MASTER STATUS"
	if src.Flavor == topology.FlavorMySQL {
		what = "SHOW BINARY LOG STATUS"
	}
	r, err := conn.Execute(what)
	var me *mysql.MyError
	if src.Flavor == topology.FlavorMySQL && errors.As(err, &me) && me.Code == mysql.ER_PARSE_ERROR {
		what = "SHOW MASTER STATUS"
		r, err = conn.Execute(what)
	}
	if err != nil {
		return Point{}, Explain(src, what, err)
	}
	if r.Resultset == nil || len(r.Values) == 0 {
		return Point{}, errkind.Terminal(fmt.Errorf(
			"source %s has binary logging off (%s returned nothing): enable log_bin with binlog_format=ROW and restart the server", src.Name, what))
	}
	row := r.Values[0]
	n, err := FieldUint(&row[1])
	if err != nil {
		return Point{}, fmt.Errorf("source %s: %s position %q: %w", src.Name, what, row[1].String(), err)
	}
	p := Point{Pos: change.Position{File: string(row[0].AsString()), Pos: uint32(n)}}
	if i, ok := r.FieldNames["Executed_Gtid_Set"]; ok && i < len(row) {
		p.GTIDSet = strings.Join(strings.Fields(string(row[i].AsString())), "")
	}
	return p, nil
}
