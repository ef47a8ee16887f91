package binlogreader

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/internal/errkind"
)

// errStreamClosed is returned by ReadBatch after Close.
var errStreamClosed = errors.New("binlog stream closed")

// classifyServerError turns errors from the source into Sluice's errors:
// terminal when a retry cannot help (binlog purged, privileges missing,
// wrong password), retryable otherwise. source names the topology source;
// where says which position was asked for.
func classifyServerError(err error, source, where string) error {
	if err == nil {
		return nil
	}
	var me *mysql.MyError
	if !errors.As(err, &me) {
		return fmt.Errorf("binlog of source %q at %s: %w", source, where, err)
	}
	msg := strings.ToLower(me.Message)
	switch me.Code {
	case mysql.ER_MASTER_FATAL_ERROR_READING_BINLOG:
		switch {
		case strings.Contains(msg, "could not find first log file name"),
			strings.Contains(msg, "could not find gtid state"),
			strings.Contains(msg, "has purged binary logs"),
			strings.Contains(msg, "binlog truncated"),
			strings.Contains(msg, "position > file size"),
			strings.Contains(msg, "which is not in the master's binlog"):
			return errkind.Terminal(fmt.Errorf(
				"source %q no longer has the binlog Sluice needs (%s): the server says %q; "+
					"the changes since then are lost to Sluice. To recover, take a new snapshot: "+
					"delete this source's checkpoint (or set its start position) and restart; "+
					"to prevent it, keep binlogs longer (binlog_expire_logs_seconds / expire_logs_days): %w",
				source, where, me.Message, err))
		case strings.Contains(msg, "same server_uuid") || strings.Contains(msg, "same server_id"):
			return errkind.Terminal(fmt.Errorf(
				"source %q: another replica uses the same server_id as Sluice; give this source a unique server_id in the topology: %w",
				source, err))
		}
		return errkind.Terminal(fmt.Errorf("source %q cannot serve the binlog from %s: %w", source, where, err))
	case mysql.ER_ACCESS_DENIED_ERROR:
		return errkind.Terminal(fmt.Errorf(
			"source %q refused the login: check the user and password of the source in the topology: %w", source, err))
	case mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR, mysql.ER_DBACCESS_DENIED_ERROR,
		mysql.ER_TABLEACCESS_DENIED_ERROR, mysql.ER_PROCACCESS_DENIED_ERROR:
		priv := "REPLICATION SLAVE"
		if strings.Contains(msg, "replication client") || strings.Contains(msg, "binlog monitor") || strings.Contains(msg, "super") {
			priv = "REPLICATION CLIENT"
		}
		return errkind.Terminal(fmt.Errorf(
			"source %q: the account lacks a privilege Sluice needs (%s): run GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO the Sluice account: %w",
			source, priv, err))
	}
	return fmt.Errorf("binlog of source %q at %s: %w", source, where, err)
}
