package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DebeziumConfig is one run of Debezium's MariaDB connector on Kafka Connect
// standalone, started through bench/debezium.sh.
type DebeziumConfig struct {
	// Script is bench/debezium.sh; Dir the run's directory (properties,
	// offsets, schema history, log). Offsets in Dir survive between runs
	// with the same Dir: that is how catch-up resumes.
	Script, Dir string
	// MySQL is Debezium's own account (it needs RELOAD, SHOW DATABASES,
	// REPLICATION SLAVE, REPLICATION CLIENT and SELECT).
	MySQL    MySQL
	ServerID int
	Database string
	// Table is the captured table (db.table).
	Table string
	// Prefix is topic.prefix: records go to PREFIX.DB.TABLE.
	Prefix string
	// SnapshotMode is initial (snapshot, then binlog) or no_data (binlog
	// from now on, or from the stored offset).
	SnapshotMode string
	Brokers      []string
	RESTPort     int
}

// Topic is where the connector writes the table's records.
func (c DebeziumConfig) Topic() string { return c.Prefix + "." + c.Table }

func (c DebeziumConfig) worker() string {
	return strings.Join([]string{
		"bootstrap.servers=" + strings.Join(c.Brokers, ","),
		"key.converter=org.apache.kafka.connect.json.JsonConverter",
		"value.converter=org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable=false",
		"value.converter.schemas.enable=false",
		"offset.storage.file.filename=" + filepath.Join(c.Dir, "offsets.dat"),
		"offset.flush.interval.ms=1000",
		fmt.Sprintf("listeners=http://127.0.0.1:%d", c.RESTPort),
		// The producer as Sluice's defaults: acks=all, lz4, a short linger.
		"producer.acks=all",
		"producer.compression.type=lz4",
		"producer.linger.ms=5",
		"",
	}, "\n")
}

func (c DebeziumConfig) connector() string {
	host, port, _ := strings.Cut(c.MySQL.Addr, ":")
	return strings.Join([]string{
		"name=sluice-bench-" + c.Prefix,
		"connector.class=io.debezium.connector.mariadb.MariaDbConnector",
		"tasks.max=1",
		"database.hostname=" + host,
		"database.port=" + port,
		"database.user=" + c.MySQL.User,
		"database.password=" + c.MySQL.Password,
		fmt.Sprintf("database.server.id=%d", c.ServerID),
		"topic.prefix=" + c.Prefix,
		"database.include.list=" + c.Database,
		"table.include.list=" + strings.ReplaceAll(c.Table, ".", "\\\\."),
		"snapshot.mode=" + c.SnapshotMode,
		// Lock-free like Sluice (and no FLUSH TABLES WITH READ LOCK on a
		// server other tests share).
		"snapshot.locking.mode=none",
		"include.schema.changes=false",
		"tombstones.on.delete=false",
		"schema.history.internal=io.debezium.storage.file.history.FileSchemaHistory",
		"schema.history.internal.file.filename=" + filepath.Join(c.Dir, "schema-history.dat"),
		// The bed's server holds other tests' tables with types Debezium's
		// DDL parser rejects (uuid, inet6): keep only the captured table's
		// history and skip DDL it cannot parse.
		"schema.history.internal.store.only.captured.tables.ddl=true",
		"schema.history.internal.store.only.captured.databases.ddl=true",
		"schema.history.internal.skip.unparseable.ddl=true",
		"",
	}, "\n")
}

// StartDebezium writes the properties into c.Dir and starts Connect
// standalone. The returned process is the JVM itself (the script execs it).
func StartDebezium(c DebeziumConfig) (*Process, error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	w := filepath.Join(c.Dir, "worker.properties")
	k := filepath.Join(c.Dir, "connector.properties")
	if err := os.WriteFile(w, []byte(c.worker()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(k, []byte(c.connector()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("bash", c.Script, "run", w, k)
	n := 0
	for {
		log := filepath.Join(c.Dir, fmt.Sprintf("connect-%d.log", n))
		if _, err := os.Stat(log); err != nil {
			return startProcess("debezium", cmd, log)
		}
		n++
	}
}

func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func trimNL(b []byte) []byte { return bytes.TrimRight(b, "\n") }
