package binlogreader

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// errStreamClosed is returned by ReadBatch after Close.
var errStreamClosed = errors.New("binlog stream closed")

// classifyServerError turns errors of the replication connection into
// Sluice's errors: terminal when a retry cannot help (binlog purged, a
// server_id in use, and what sourcedb.Explain marks: wrong password,
// privileges missing), retryable otherwise. where says which position was
// asked for.
func classifyServerError(err error, src *topology.Source, where string) error {
	if err == nil {
		return nil
	}
	var me *mysql.MyError
	if errors.As(err, &me) && sameServerID(me) {
		return errkind.Terminal(fmt.Errorf(
			"source %q: another replica (perhaps another Sluice task) is connected with server_id %d: "+
				"give each task its own server_id under the source in the topology (the server keeps one "+
				"replica per server_id and drops the other, so both would reconnect forever): %w",
			src.Name, src.ServerID, err))
	}
	if me == nil || me.Code != mysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
		return sourcedb.Explain(src, "reading the binlog at "+where, err)
	}
	msg := strings.ToLower(me.Message)
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
			src.Name, where, me.Message, err))
	}
	return errkind.Terminal(fmt.Errorf("source %q cannot serve the binlog from %s: %w", src.Name, where, err))
}

// mariadbSlaveSameID is MariaDB's ER_SLAVE_SAME_ID, sent to a replica that
// another one with its server_id replaced; MySQL sends its text inside 1236.
const mariadbSlaveSameID = 4052

func sameServerID(me *mysql.MyError) bool {
	msg := strings.ToLower(me.Message)
	return me.Code == mariadbSlaveSameID ||
		strings.Contains(msg, "same server_uuid") || strings.Contains(msg, "same server_id")
}
