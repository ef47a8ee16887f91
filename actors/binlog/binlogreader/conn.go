package binlogreader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/mysqltls"
	"github.com/sluicecdc/sluice/topology"
)

const connectTimeout = 10 * time.Second

// connect opens a plain client connection (not a replication one) to src.
func connect(ctx context.Context, src *topology.Source) (*client.Conn, error) {
	tc, err := mysqltls.Config(&src.TLS, src.Host)
	if err != nil {
		return nil, err
	}
	c, err := client.ConnectWithContext(ctx, src.Addr(), src.User, src.Password.Value(), "", connectTimeout,
		func(c *client.Conn) error {
			c.SetTLSConfig(tc)
			return nil
		})
	if err != nil {
		return nil, classifyServerError(err, src.Name, "connect to "+src.Addr())
	}
	return c, nil
}

// CurrentPosition returns the source's current binlog position (the end of
// the last transaction written) and the GTID set executed at exactly that
// position ("" when the server does not use GTIDs). It needs REPLICATION
// CLIENT (MariaDB: BINLOG MONITOR). The snapshot uses it for its watermarks.
func CurrentPosition(ctx context.Context, src *topology.Source) (change.Position, string, error) {
	c, err := connect(ctx, src)
	if err != nil {
		return change.Position{}, "", err
	}
	defer c.Close()
	return currentPosition(c, src)
}

func currentPosition(c *client.Conn, src *topology.Source) (change.Position, string, error) {
	where := "SHOW MASTER STATUS"
	var r *mysql.Result
	var err error
	if src.Flavor == topology.FlavorMySQL {
		// MySQL 8.2 renamed the statement; 8.4 removed the old name.
		where = "SHOW BINARY LOG STATUS"
		r, err = c.Execute(where)
		var me *mysql.MyError
		if errors.As(err, &me) && me.Code == mysql.ER_PARSE_ERROR {
			where = "SHOW MASTER STATUS"
			r, err = c.Execute(where)
		}
	} else {
		r, err = c.Execute(where)
	}
	if err != nil {
		return change.Position{}, "", classifyServerError(err, src.Name, where)
	}
	if r.Resultset == nil || r.RowNumber() == 0 {
		return change.Position{}, "", errkind.Terminal(fmt.Errorf(
			"source %q has binary logging off (%s returned nothing): enable log_bin with binlog_format=ROW and restart the server", src.Name, where))
	}
	file, _ := r.GetString(0, 0)
	pos, err := r.GetUint(0, 1)
	if err != nil {
		return change.Position{}, "", fmt.Errorf("source %q: %s position: %w", src.Name, where, err)
	}
	p := change.Position{File: file, Pos: uint32(pos)}
	if src.Flavor == topology.FlavorMySQL {
		var gtids string
		if r.ColumnNumber() >= 5 {
			gtids, _ = r.GetString(0, 4)
		}
		return p, strings.Join(strings.Fields(gtids), ""), nil
	}
	g, err := mariadbGTIDAt(c, src, p)
	return p, g, err
}

// mariadbGTIDAt returns MariaDB's GTID position at a binlog position, with
// BINLOG_GTID_POS; "" when the server cannot tell (position not at an event
// boundary, file gone).
func mariadbGTIDAt(c *client.Conn, src *topology.Source, p change.Position) (string, error) {
	q := fmt.Sprintf("SELECT BINLOG_GTID_POS('%s', %d)", strings.ReplaceAll(p.File, "'", "''"), p.Pos)
	r, err := c.Execute(q)
	if err != nil {
		return "", classifyServerError(err, src.Name, "BINLOG_GTID_POS at "+p.String())
	}
	if r.Resultset == nil || r.RowNumber() == 0 {
		return "", nil
	}
	if null, _ := r.IsNull(0, 0); null {
		return "", nil
	}
	g, _ := r.GetString(0, 0)
	return g, nil
}
