package precheck

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// keyKind says what identifies a table's rows.
type keyKind uint8

const (
	keyNone           keyKind = iota
	keyPrimary                // PRIMARY KEY
	keyUnique                 // a UNIQUE key over NOT NULL columns
	keyUniqueNullable         // only UNIQUE keys with a nullable column
)

// tableFact is what the server says about one base table.
type tableFact struct {
	Schema, Name string
	Engine       string
	Rows         uint64 // information_schema estimate
	Key          keyKind
	KeyName      string
	// Versioning is set for a system-versioned table.
	Versioning *change.Versioning
}

// selectTables returns the tables of all that the source selects, and, per
// include rule (by index), how many tables the rule took.
func selectTables(src *topology.Source, all []tableFact) (selected []tableFact, perRule []int) {
	perRule = make([]int, len(src.Objects.Tables))
	for _, t := range all {
		r, ok := src.Objects.Match(t.Schema, t.Name)
		if !ok {
			continue
		}
		selected = append(selected, t)
		for i, rule := range src.Objects.Tables {
			if rule == r {
				perRule[i]++
				break
			}
		}
	}
	return selected, perRule
}

// checkTables reports the include patterns that select nothing, the tables
// without a usable key and the tables on engines Sluice does not fully
// support.
func checkTables(src *topology.Source, all []tableFact) []Item {
	n := itemNamer("source." + src.Name)
	selected, perRule := selectTables(src, all)
	var items []Item
	if len(selected) == 0 {
		items = append(items, Item{Name: n("tables"), Status: Fail,
			Detail: fmt.Sprintf("no table matches the source's patterns (%s) among the %d tables the account can see", patterns(src), len(all)),
			Fix:    "check the database and table names in objects.tables (matching is case-sensitive; write \"db.*\" for a whole database) and that the account has SELECT on them (tables it may not read are invisible to it)"})
	} else {
		items = append(items, Item{Name: n("tables"), Status: Pass,
			Detail: fmt.Sprintf("%s selected by %s", plural(len(selected), "table"), patterns(src))})
	}
	for i, r := range src.Objects.Tables {
		if perRule[i] > 0 || len(selected) == 0 {
			continue
		}
		items = append(items, Item{Name: n("pattern." + r.Pattern), Status: Warn,
			Detail: fmt.Sprintf("the pattern %q selects no table (none matches, or its matches are excluded or taken by an earlier pattern)", r.Pattern),
			Fix:    "correct or remove the pattern in objects.tables, or ignore this item if the tables will be created later"})
	}

	keyless := 0
	for _, t := range selected {
		name := t.Schema + "." + t.Name
		switch t.Key {
		case keyNone:
			keyless++
			items = append(items, Item{Name: n("key." + name), Status: Warn,
				Detail:  fmt.Sprintf("table %s has no primary or unique key: its snapshot is read in one chunk, records have no key (one partition under pk_hash), and after a restart duplicate rows cannot be told apart", name),
				Fix:     fmt.Sprintf("ALTER TABLE `%s`.`%s` ADD PRIMARY KEY (col, ...), or accept duplicates and ignore this item", t.Schema, t.Name),
				keyless: [2]string{t.Schema, t.Name}})
		case keyUniqueNullable:
			keyless++
			items = append(items, Item{Name: n("key." + name), Status: Warn,
				Detail: fmt.Sprintf("table %s has no primary key and its unique key %s allows NULL, so rows with NULL in it share no identity: duplicates possible", name, t.KeyName),
				Fix:    fmt.Sprintf("ALTER TABLE `%s`.`%s` ADD PRIMARY KEY (col, ...), or make the unique key's columns NOT NULL", t.Schema, t.Name)})
		}
	}
	if keyless == 0 && len(selected) > 0 {
		items = append(items, Item{Name: n("keys"), Status: Pass,
			Detail: "every selected table has a primary key or a NOT NULL unique key"})
	}

	odd := 0
	for _, t := range selected {
		name := t.Schema + "." + t.Name
		switch strings.ToLower(t.Engine) {
		case "innodb":
		case "aria", "myisam":
			odd++
			items = append(items, Item{Name: n("engine." + name), Status: Warn,
				Detail: fmt.Sprintf("table %s uses %s, which is not transactional: the snapshot cannot read it at one consistent point, so rows changed during the snapshot may appear in an older state until their binlog change arrives", name, t.Engine),
				Fix:    fmt.Sprintf("ALTER TABLE `%s`.`%s` ENGINE=InnoDB, or ignore this item", t.Schema, t.Name)})
		default:
			odd++
			items = append(items, Item{Name: n("engine." + name), Status: Warn,
				Detail: fmt.Sprintf("table %s uses the %s storage engine, which Sluice does not test (InnoDB is supported; Aria and MyISAM work without snapshot consistency)", name, orNone(t.Engine)),
				Fix:    fmt.Sprintf("ALTER TABLE `%s`.`%s` ENGINE=InnoDB, or ignore this item", t.Schema, t.Name)})
		}
	}
	if odd == 0 && len(selected) > 0 {
		items = append(items, Item{Name: n("engines"), Status: Pass, Detail: "every selected table uses InnoDB"})
	}

	for _, t := range selected {
		if v := t.Versioning; v != nil && v.ByTransaction {
			items = append(items, Item{Name: n("versioning." + t.Schema + "." + t.Name), Status: Fail,
				Detail: fmt.Sprintf("table %s.%s is system-versioned by transaction id (its period columns are BIGINT UNSIGNED): MariaDB logs its changes as statements, which Sluice cannot read; the binlog reader would stop at its first change, and every other table with it", t.Schema, t.Name),
				Fix:    fmt.Sprintf("leave it out of the source (objects.exclude: [%s.%s]), or re-create its period on TIMESTAMP(6) columns (timestamp versioning is logged as rows)", t.Schema, t.Name)})
		}
	}
	return items
}

func patterns(src *topology.Source) string {
	ps := make([]string, len(src.Objects.Tables))
	for i, r := range src.Objects.Tables {
		ps[i] = strconv.Quote(r.Pattern)
	}
	s := strings.Join(ps, ", ")
	if len(src.Objects.Exclude) > 0 {
		s += " minus " + strings.Join(src.Objects.Exclude, ", ")
	}
	return s
}

// DefaultSnapshotRowsPerSecond is the snapshot speed the retention check
// assumes when Options leave it at zero.
const DefaultSnapshotRowsPerSecond = 100_000

// retention returns how long the server keeps binlogs; 0 means forever.
func retention(vars map[string]string) time.Duration {
	if strings.EqualFold(vars["binlog_expire_logs_auto_purge"], "OFF") {
		return 0 // MySQL 8.0.29+: automatic purge switched off
	}
	if s, err := strconv.ParseFloat(vars["binlog_expire_logs_seconds"], 64); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if d, err := strconv.ParseFloat(vars["expire_logs_days"], 64); err == nil && d > 0 {
		return time.Duration(d * 24 * float64(time.Hour))
	}
	return 0
}

// snapshotEstimate is the expected snapshot duration of the selected tables
// at rowsPerSec.
func snapshotEstimate(selected []tableFact, rowsPerSec int) (rows uint64, d time.Duration) {
	for _, t := range selected {
		rows += t.Rows
	}
	if rowsPerSec <= 0 {
		rowsPerSec = DefaultSnapshotRowsPerSecond
	}
	secs := float64(rows) / float64(rowsPerSec)
	return rows, time.Duration(math.Ceil(secs)) * time.Second
}

// checkRetention compares binlog retention with the expected snapshot time
// (the binlog from the snapshot's start must survive until the snapshot
// ends) and with the source's retry window (an outage Sluice waits out must
// not outlast the binlog it resumes from).
func checkRetention(src *topology.Source, vars map[string]string, selected []tableFact, rowsPerSec int) Item {
	name := "source." + src.Name + ".binlog_retention"
	if src.Phases.MaxRowsPerSecond > 0 && (rowsPerSec <= 0 || src.Phases.MaxRowsPerSecond < rowsPerSec) {
		rowsPerSec = src.Phases.MaxRowsPerSecond
	}
	if rowsPerSec <= 0 {
		rowsPerSec = DefaultSnapshotRowsPerSecond
	}
	keep := retention(vars)
	rows, est := snapshotEstimate(selected, rowsPerSec)
	var snap string
	switch {
	case !src.Phases.Snapshot:
		est, snap = 0, "no snapshot is configured"
	case est <= time.Second:
		snap = fmt.Sprintf("the snapshot of about %d rows should take a second or less", rows)
	default:
		snap = fmt.Sprintf("the snapshot of about %d rows should take about %s at %d rows/s", rows, human(est), rowsPerSec)
	}
	if keep == 0 {
		return Item{Name: name, Status: Pass,
			Detail: "binlogs are never purged automatically (" + snap + "); watch the server's disk"}
	}
	need := max(2*est, src.RetryWindow)
	fix := fmt.Sprintf("keep binlogs at least %s: SET GLOBAL binlog_expire_logs_seconds=%d (and the same under [mysqld] in my.cnf)", human(need), int64(need.Seconds()))
	if est > 0 && keep < 2*est {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("binlogs are kept %s but %s: the binlog position the snapshot starts from may be purged before the snapshot ends, forcing a new snapshot", human(keep), snap),
			Fix:    fix + ", or split the tables across several tasks"}
	}
	if keep < src.RetryWindow {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("binlogs are kept %s, less than the source's retry window (%s): if Sluice is stopped or Kafka is down longer than %s, the binlog it resumes from is gone and the tables must be snapshotted again (%s)", human(keep), human(src.RetryWindow), human(keep), snap),
			Fix:    fix + ", or lower retry_window on the source"}
	}
	return Item{Name: name, Status: Pass,
		Detail: fmt.Sprintf("binlogs are kept %s (%s); Sluice may be stopped up to that long and resume without a new snapshot", human(keep), snap)}
}

// human renders a duration in the largest sensible unit.
func human(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64) + " days"
	case d >= 2*time.Hour:
		return strconv.FormatFloat(math.Round(d.Hours()*10)/10, 'f', -1, 64) + " hours"
	case d >= 2*time.Minute:
		return strconv.FormatFloat(math.Round(d.Minutes()), 'f', -1, 64) + " minutes"
	}
	return strconv.FormatFloat(math.Ceil(d.Seconds()), 'f', -1, 64) + " s"
}

// checkBinlogFile checks that the binlog file Sluice resumes from (its
// checkpoint, or the configured start file) is still on the server. account
// is CURRENT_USER(); logs is
// SHOW BINARY LOGS; logsErr its error (nil when it ran).
func checkBinlogFile(src *topology.Source, account, file, why string, logs []string, logsErr error) Item {
	name := "source." + src.Name + ".binlog_file"
	if logsErr != nil {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("cannot tell whether the %s binlog file %s is still on the server: SHOW BINARY LOGS failed: %v", why, file, logsErr),
			Fix:    "GRANT REPLICATION CLIENT ON *.* TO " + quoteAccount(account) + " (MariaDB 10.5+ also calls it BINLOG MONITOR)"}
	}
	for _, l := range logs {
		if l == file {
			return Item{Name: name, Status: Pass, Detail: fmt.Sprintf("the %s binlog file %s is still on the server", why, file)}
		}
	}
	oldest := "none"
	if len(logs) > 0 {
		oldest = logs[0]
	}
	return Item{Name: name, Status: Fail,
		Detail: fmt.Sprintf("the %s binlog file %s is no longer on the server (oldest kept: %s): the changes since then cannot be read", why, file, oldest),
		Fix:    fmt.Sprintf("start source %s again from a new snapshot (delete its checkpoint, or set start: initial), and keep binlogs longer (binlog_expire_logs_seconds)", src.Name)}
}

// checkVersion reports the server version and compares its flavour with the
// topology's.
func checkVersion(src *topology.Source, version string) []Item {
	n := itemNamer("source." + src.Name)
	server := detectFlavor(version)
	major, minor := versionNumbers(version)
	var items []Item
	v := Item{Name: n("version"), Status: Pass, Detail: fmt.Sprintf("server version %s (%s)", version, server)}
	switch {
	case server == topology.FlavorMariaDB && (major < 10 || major == 10 && minor < 3):
		v.Status, v.Fix = Warn, "upgrade to MariaDB 10.5 or later"
		v.Detail += ": older than MariaDB 10.3, which Sluice does not test"
	case server == topology.FlavorMySQL && (major < 5 || major == 5 && minor < 7):
		v.Status, v.Fix = Warn, "upgrade to MySQL 8.0 or later"
		v.Detail += ": older than MySQL 5.7, which Sluice does not test"
	}
	items = append(items, v)
	if src.Flavor != "" && src.Flavor != server {
		items = append(items, Item{Name: n("flavor"), Status: Fail,
			Detail: fmt.Sprintf("the topology says flavor %s but the server is %s (version %s): GTIDs and binlog events differ between the two", src.Flavor, server, version),
			Fix:    fmt.Sprintf("set flavor: %s under source %s in the topology", server, src.Name)})
	} else {
		items = append(items, Item{Name: n("flavor"), Status: Pass, Detail: fmt.Sprintf("flavor %s matches the server", server)})
	}
	return items
}

// detectFlavor tells MariaDB (whose version says "MariaDB") from MySQL.
func detectFlavor(version string) topology.Flavor {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return topology.FlavorMariaDB
	}
	return topology.FlavorMySQL
}

// versionNumbers parses "10.11.6-MariaDB-log" into 10, 11.
func versionNumbers(v string) (major, minor int) {
	v = strings.TrimPrefix(v, "5.5.5-") // MariaDB's old replication prefix
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		major, minor = leadingInt(parts[0]), leadingInt(parts[1])
	}
	return major, minor
}

func leadingInt(s string) int {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
