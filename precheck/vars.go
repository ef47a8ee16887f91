package precheck

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/topology"
)

// variableNames are the global variables the source checks read.
var variableNames = []string{
	"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata",
	"binlog_row_value_options", "server_id", "expire_logs_days",
	"binlog_expire_logs_seconds", "binlog_expire_logs_auto_purge",
}

// restartNote is appended to fixes of dynamic binlog variables: a global
// change applies to new sessions only.
const restartNote = "; put the same line under [mysqld] in my.cnf so it survives a restart; sessions already open keep the old value, so reconnect (restart) the applications that write"

// checkVariables evaluates the binlog variables of a source whose server is
// of flavor (as detected from its version). vars holds SHOW GLOBAL VARIABLES
// with lower-case names; a variable the server does not have is absent.
func checkVariables(src *topology.Source, flavor topology.Flavor, vars map[string]string) []Item {
	n := itemNamer("source." + src.Name)
	var items []Item

	// log_bin cannot be turned on at runtime.
	switch v := strings.ToUpper(vars["log_bin"]); v {
	case "ON", "1":
		items = append(items, Item{Name: n("log_bin"), Status: Pass, Detail: "binary logging is on"})
	default:
		items = append(items, Item{Name: n("log_bin"), Status: Fail,
			Detail: fmt.Sprintf("binary logging is off (log_bin=%s); Sluice reads changes from the binlog", orNone(vars["log_bin"])),
			Fix:    "add log_bin=mysql-bin, binlog_format=ROW and a server_id under [mysqld] in my.cnf and restart the server (log_bin cannot be changed at runtime)"})
	}

	switch v := strings.ToUpper(vars["binlog_format"]); v {
	case "ROW":
		items = append(items, Item{Name: n("binlog_format"), Status: Pass, Detail: "binlog_format is ROW"})
	default:
		items = append(items, Item{Name: n("binlog_format"), Status: Fail,
			Detail: fmt.Sprintf("binlog_format is %s; Sluice needs ROW (row events carry the changed rows; statements do not)", orNone(v)),
			Fix:    "SET GLOBAL binlog_format=ROW" + restartNote})
	}

	switch v := strings.ToUpper(vars["binlog_row_image"]); v {
	case "FULL":
		items = append(items, Item{Name: n("binlog_row_image"), Status: Pass, Detail: "binlog_row_image is FULL"})
	default:
		items = append(items, Item{Name: n("binlog_row_image"), Status: Fail,
			Detail: fmt.Sprintf("binlog_row_image is %s; Sluice needs FULL (with %s the binlog omits unchanged columns, which would reach Kafka as NULL)", orNone(v), orNone(v)),
			Fix:    "SET GLOBAL binlog_row_image=FULL" + restartNote})
	}

	switch v, ok := vars["binlog_row_metadata"]; {
	case strings.EqualFold(v, "FULL"):
		items = append(items, Item{Name: n("binlog_row_metadata"), Status: Pass, Detail: "binlog_row_metadata is FULL"})
	case !ok:
		items = append(items, Item{Name: n("binlog_row_metadata"), Status: Warn,
			Detail: "the server has no binlog_row_metadata (it needs MySQL 8.0.1+ or MariaDB 10.5+): binlog events carry no column names, keys or ENUM/SET values, so Sluice takes them from its schema history (captured at the start, advanced by each DDL); a DDL its parser rejects, read behind a later change of the same table, stops the task",
			Fix:    "upgrade the server to MySQL 8.0.1+ or MariaDB 10.5+ and set binlog_row_metadata=FULL"})
	default:
		items = append(items, Item{Name: n("binlog_row_metadata"), Status: Warn,
			Detail: fmt.Sprintf("binlog_row_metadata is %s: binlog events carry no column names, keys or ENUM/SET values, so Sluice takes them from its schema history (captured at the start, advanced by each DDL) and cannot cross-check them against the events (FULL costs a few bytes per table map event, i.e. per table per transaction)", strings.ToUpper(v)),
			Fix:    "SET GLOBAL binlog_row_metadata=FULL" + restartNote})
	}

	// MySQL only: PARTIAL_JSON logs JSON diffs Sluice cannot apply.
	// MariaDB has no such variable and no partial JSON events.
	if v, ok := vars["binlog_row_value_options"]; ok || flavor == topology.FlavorMySQL {
		if strings.Contains(strings.ToUpper(v), "PARTIAL_JSON") {
			items = append(items, Item{Name: n("binlog_row_value_options"), Status: Fail,
				Detail: "binlog_row_value_options is PARTIAL_JSON: JSON updates are logged as diffs, which Sluice cannot apply (the task would stop at the first one)",
				Fix:    "SET GLOBAL binlog_row_value_options=''" + restartNote})
		} else {
			items = append(items, Item{Name: n("binlog_row_value_options"), Status: Pass, Detail: "JSON updates are logged whole (binlog_row_value_options is empty)"})
		}
	}

	items = append(items, checkServerID(src, vars["server_id"], n))
	return items
}

func checkServerID(src *topology.Source, v string, n func(string) string) Item {
	id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	switch {
	case err != nil:
		return Item{Name: n("server_id"), Status: Warn,
			Detail: fmt.Sprintf("could not read the server's server_id (%q)", v),
			Fix:    "check that the account may run SHOW GLOBAL VARIABLES"}
	case id == 0:
		return Item{Name: n("server_id"), Status: Fail,
			Detail: "the server's server_id is 0: it refuses replication clients such as Sluice",
			Fix:    "set server_id=1 (any value unique in the replication topology) under [mysqld] in my.cnf and restart, or SET GLOBAL server_id=1"}
	case uint32(id) == src.ServerID:
		return Item{Name: n("server_id"), Status: Fail,
			Detail: fmt.Sprintf("Sluice's server_id for this source is %d, the same as the server's own: the server would refuse or confuse the connection", src.ServerID),
			Fix:    fmt.Sprintf("set server_id under source %s in the topology to a value no server or replica uses (e.g. %d)", src.Name, suggestServerID(uint32(id)))}
	}
	return Item{Name: n("server_id"), Status: Pass,
		Detail: fmt.Sprintf("server's server_id is %d; Sluice connects as %d", id, src.ServerID)}
}

func suggestServerID(taken uint32) uint32 {
	if taken == 4242 {
		return 4243
	}
	return 4242
}

// itemNamer returns a function that prefixes check names with scope.
func itemNamer(scope string) func(string) string {
	return func(check string) string { return scope + "." + check }
}

func orNone(v string) string {
	if v == "" {
		return "not set"
	}
	return v
}
