package precheck

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// bedTopology is a topology against the test bed: one source selecting
// db.* (plus extra patterns), one sink writing topic with partitions.
type bedTopology struct {
	host, user, password string
	port                 int
	patterns             []string
	tls                  string // extra YAML under the source, e.g. "tls: {mode: required}"
	brokers              []string
	topic                string
	partitions           int
	createTopics         string
	checkpointDir        string
}

func newBedTopology(t *testing.T, db, topic string) *bedTopology {
	t.Helper()
	my := testbed.MySQL(t)
	return &bedTopology{
		host: my.Host(), port: int(my.Port()), user: my.User, password: my.Password,
		patterns: []string{db + ".*"}, brokers: testbed.Kafka(t), topic: topic, partitions: 1,
		createTopics: "missing", checkpointDir: t.TempDir(),
	}
}

func (b *bedTopology) dag(t *testing.T) *topology.DAG {
	t.Helper()
	y := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %q
sources:
  - name: bed
    flavor: mariadb
    host: %q
    port: %d
    user: %q
    password: %q
    server_id: 4242
    %s
    objects:
      tables: [%s]
sinks:
  - name: kafka
    from: bed
    brokers: [%s]
    topic: %q
    partitions: %d
    create_topics: %s
`, b.checkpointDir, b.host, b.port, b.user, b.password, b.tls, quoteAll(b.patterns), quoteAll(b.brokers), b.topic, b.partitions, b.createTopics)
	g, diags := topology.Parse("bed.yaml", []byte(y))
	if g == nil {
		t.Fatalf("topology:\n%s\n%s", y, diags)
	}
	return g
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func runBed(t *testing.T, g *topology.DAG, opts Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	r := Run(ctx, g, opts)
	var b strings.Builder
	_ = r.WriteText(&b, nil)
	t.Logf("precheck took %s:\n%s", time.Since(start).Round(time.Millisecond), b.String())
	return r
}

func TestRun_Bed_AllPass(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t,
		"CREATE TABLE `"+db+"`.orders (id BIGINT PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB",
		"CREATE TABLE `"+db+"`.codes (code CHAR(8) NOT NULL, UNIQUE KEY uk_code (code)) ENGINE=InnoDB",
		"INSERT INTO `"+db+"`.orders VALUES (1, 'a'), (2, 'b')")
	topic := testbed.NewTopic(t, 3)
	bt := newBedTopology(t, db, topic)
	bt.partitions = 3
	pos := testbed.BinlogPosition(t)
	r := runBed(t, bt.dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": {Pos: change.Position{File: pos.Name, Pos: pos.Pos}}}})

	for _, it := range r.Items {
		if it.Status != Pass {
			t.Errorf("%s is %s on the test bed: %s → %s", it.Name, it.Status, it.Detail, it.Fix)
		}
	}
	for _, name := range []string{
		"source.bed.connect", "source.bed.version", "source.bed.flavor",
		"source.bed.privilege.select", "source.bed.privilege.replication_client",
		"source.bed.privilege.replication_slave", "source.bed.privilege.show_view",
		"source.bed.log_bin", "source.bed.binlog_format", "source.bed.binlog_row_image",
		"source.bed.binlog_row_metadata", "source.bed.server_id", "source.bed.binlog_file",
		"source.bed.binlog_retention", "source.bed.tables", "source.bed.keys", "source.bed.engines", "source.bed.charsets",
		"sink.kafka.connect", "sink.kafka.api_versions", "sink.kafka.brokers", "sink.kafka.topic." + topic,
		"engine.checkpoint_dir", "engine.free_space",
	} {
		find(t, r.Items, name)
	}
	wantItem(t, find(t, r.Items, "source.bed.tables"), Pass, "2 tables selected", "")
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+topic), Pass, "exists with 3 partitions", "")
	// The bed runs Kafka 4.4.0, the newest release kversion knows.
	wantItem(t, find(t, r.Items, "sink.kafka.broker_version"), Pass, "Kafka 4.4 (from its ApiVersions answer:", "")
	wantItem(t, find(t, r.Items, "sink.kafka.message_format"), Pass, "the brokers report no message.format.version setting (Kafka 4", "")
	if s := r.Summary(nil); !s.OK() || s.Warnings != 0 {
		t.Errorf("summary %+v", s)
	}
}

func TestRun_Bed_WrongPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	bt := newBedTopology(t, "nosuch", "unused")
	bt.password = "not-the-password"
	r := Run(context.Background(), bt.dag(t), Options{})
	it := find(t, r.Items, "source.bed.connect")
	wantItem(t, it, Fail, fmt.Sprintf("access denied for user %s at %s:%d: check user/password in the topology (source bed)", bt.user, bt.host, bt.port), "correct user and password of source bed")
	if strings.Contains(it.Detail+it.Fix, "not-the-password") {
		t.Errorf("the item prints the password: %+v", it)
	}
	for _, other := range r.Items {
		if strings.HasPrefix(other.Name, "source.bed.") && other.Name != "source.bed.connect" {
			t.Errorf("checks ran without a connection: %s", other.Name)
		}
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func TestRun_Bed_UnreachableSourceAndSink(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	bt := newBedTopology(t, "nosuch", "unused")
	bt.host = "no-such-host.invalid"
	port := closedPort(t)
	bt.brokers = []string{fmt.Sprintf("127.0.0.1:%d", port)}
	r := Run(context.Background(), bt.dag(t), Options{Timeout: 10 * time.Second})
	wantItem(t, find(t, r.Items, "source.bed.connect"), Fail, `unknown host "no-such-host.invalid" (source bed)`, "correct host under source bed")
	wantItem(t, find(t, r.Items, "sink.kafka.connect"), Fail, fmt.Sprintf("connection refused at Kafka broker 127.0.0.1:%d", port), "correct brokers of sink kafka")

	bt = newBedTopology(t, "nosuch", "unused")
	bt.port = closedPort(t)
	r = Run(context.Background(), bt.dag(t), Options{Timeout: 10 * time.Second})
	wantItem(t, find(t, r.Items, "source.bed.connect"), Fail, fmt.Sprintf("connection refused at 127.0.0.1:%d", bt.port), "check host and port of source bed")
}

func TestRun_Bed_TLSMismatch(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	r0 := testbed.AdminExec(t, "SHOW GLOBAL VARIABLES LIKE 'have_ssl'")[0]
	haveSSL, _ := r0.GetString(0, 1)
	bt := newBedTopology(t, "nosuch", "unused")
	if haveSSL == "YES" {
		// A server with TLS: a CA that did not sign its certificate.
		ca := writeSelfSignedCA(t)
		bt.tls = fmt.Sprintf("tls: {mode: verify-ca, ca_file: %q}", ca)
		r := Run(context.Background(), bt.dag(t), Options{})
		wantItem(t, find(t, r.Items, "source.bed.connect"), Fail, "is not trusted", "tls.ca_file")
		return
	}
	bt.tls = "tls: {mode: required}"
	r := Run(context.Background(), bt.dag(t), Options{})
	wantItem(t, find(t, r.Items, "source.bed.connect"), Fail,
		fmt.Sprintf("source bed asks for TLS (tls.mode required) but the server at %s:%d does not offer it", bt.host, bt.port), "tls.mode: disabled")
}

func TestRun_Bed_TablesPatternsAndMissingPrivileges(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	user := "p_" + db[2:]
	testbed.AdminExec(t,
		"CREATE TABLE `"+db+"`.orders (id INT PRIMARY KEY) ENGINE=InnoDB",
		"CREATE TABLE `"+db+"`.events (at DATETIME, what TEXT) ENGINE=InnoDB",
		"CREATE TABLE `"+db+"`.legacy (id INT PRIMARY KEY) ENGINE=MyISAM",
		"CREATE USER '"+user+"'@'%' IDENTIFIED BY 'pw'",
		"GRANT SELECT ON `"+db+"`.* TO '"+user+"'@'%'")
	t.Cleanup(func() { testbed.AdminExec(t, "DROP USER IF EXISTS '"+user+"'@'%'") })

	bt := newBedTopology(t, db, "unused")
	bt.patterns = append(bt.patterns, db+"_nosuch.*")
	bt.user, bt.password = user, "pw"
	r := runBed(t, bt.dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": {Pos: change.Position{File: "mariadb-bin.000001", Pos: 4}}}})

	wantItem(t, find(t, r.Items, "source.bed.connect"), Pass, "connected", "")
	wantItem(t, find(t, r.Items, "source.bed.tables"), Pass, "3 tables selected", "")
	wantItem(t, find(t, r.Items, "source.bed.pattern."+db+"_nosuch.*"), Warn, "selects no table", "objects.tables")
	wantItem(t, find(t, r.Items, "source.bed.key."+db+".events"), Warn, "has no primary or unique key", "ADD PRIMARY KEY")
	wantItem(t, find(t, r.Items, "source.bed.engine."+db+".legacy"), Warn, "MyISAM, which is not transactional", "ENGINE=InnoDB")
	wantItem(t, find(t, r.Items, "source.bed.privilege.select"), Pass, "every selected table", "")
	wantItem(t, find(t, r.Items, "source.bed.privilege.replication_slave"), Fail, "lacks REPLICATION SLAVE", "GRANT REPLICATION SLAVE ON *.* TO '"+user+"'@'%'")
	wantItem(t, find(t, r.Items, "source.bed.privilege.replication_client"), Fail, "lacks REPLICATION CLIENT", "GRANT REPLICATION CLIENT ON *.* TO '"+user+"'@'%'")
	// SHOW BINARY LOGS is refused without BINLOG MONITOR.
	wantItem(t, find(t, r.Items, "source.bed.binlog_file"), Warn, "SHOW BINARY LOGS failed", "GRANT REPLICATION CLIENT")
	// The binlog variables need no privilege: the real pass path.
	for _, v := range []string{"log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata", "server_id"} {
		wantItem(t, find(t, r.Items, "source.bed."+v), Pass, "", "")
	}
}

func TestRun_Bed_PurgedCheckpointAndNoTables(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	bt := newBedTopology(t, "t_nosuch_"+fmt.Sprint(time.Now().UnixNano()), "unused")
	r := runBed(t, bt.dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": {Pos: change.Position{File: "mariadb-bin.000000", Pos: 4}}}})
	wantItem(t, find(t, r.Items, "source.bed.binlog_file"), Fail, "checkpointed binlog file mariadb-bin.000000 is no longer on the server (oldest kept: ", "new snapshot")
	wantItem(t, find(t, r.Items, "source.bed.tables"), Fail, "no table matches the source's patterns", "objects.tables")
}

// A checkpoint recorded as another server's resumes on the bed by GTID when
// the bed has its GTID set, and fails with the way out otherwise.
func TestRun_Bed_CheckpointOfAnotherServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	r, err := testbed.Connect(t).Execute("SELECT @@gtid_binlog_pos, CONCAT(@@server_id, '/', @@gtid_domain_id)")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := r.GetString(0, 0)
	bed, _ := r.GetString(0, 1)
	pos := testbed.BinlogPosition(t)
	at := change.Position{File: pos.Name, Pos: pos.Pos}
	bt := newBedTopology(t, "t_nosuch_"+fmt.Sprint(time.Now().UnixNano()), "unused")
	for _, tc := range []struct {
		cp           store.Checkpoint
		status       Status
		detail, fix  string
		binlogFileOK bool
	}{
		{store.Checkpoint{Pos: at, GTIDSet: set, ServerUUID: bed}, Pass, "the checkpoint is this server's (" + bed + ")", "", true},
		{store.Checkpoint{Pos: at, GTIDSet: set, ServerUUID: "99/0"}, Pass, "this server (" + bed + ") has its GTID set " + set, "", false},
		{store.Checkpoint{Pos: at, ServerUUID: "99/0"}, Fail, "the checkpoint has no GTID set", "point source \"bed\" back at server 99/0", false},
		{store.Checkpoint{Pos: at, GTIDSet: "0-99-5", ServerUUID: "99/0"}, Fail, "no transaction of server_id 99 in domain 0", "new snapshot", false},
	} {
		r := runBed(t, bt.dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": tc.cp}})
		wantItem(t, find(t, r.Items, "source.bed.checkpoint_server"), tc.status, tc.detail, tc.fix)
		if has := hasItem(r.Items, "source.bed.binlog_file"); has != tc.binlogFileOK {
			t.Errorf("checkpoint %+v: binlog_file item present %v, want %v", tc.cp, has, tc.binlogFileOK)
		}
	}
}

func hasItem(items []Item, name string) bool {
	for _, it := range items {
		if it.Name == name {
			return true
		}
	}
	return false
}

func TestRun_Bed_Topics(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.orders (id INT PRIMARY KEY)")

	// An existing topic with fewer partitions than configured.
	small := testbed.NewTopic(t, 1)
	bt := newBedTopology(t, db, small)
	bt.partitions = 3
	r := runBed(t, bt.dag(t), Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+small), Fail, fmt.Sprintf("topic %s has 1 partition; the topology configures 3", small),
		fmt.Sprintf("--alter --topic %s --partitions 3", small))
	if err := r.Error(nil); err == nil || !strings.Contains(err.Error(), "sink.kafka.topic."+small) {
		t.Errorf("Report.Error = %v", err)
	}
	if got := r.Failed([]string{"sink.kafka.topic." + small}); len(got) != 0 {
		t.Errorf("ignored by name, still failed: %v", got)
	}

	// The same count recorded at task start, then changed.
	r = runBed(t, bt.dag(t), Options{Partitions: map[string]map[string]int{"kafka": {small: 2}}})
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+small), Fail, "had 2 when the task started", "recreate topic")

	// A missing topic: may be created (validated by the broker), or not.
	missing := "t_precheck_missing_" + fmt.Sprint(time.Now().UnixNano())
	bt = newBedTopology(t, db, missing)
	bt.partitions = 2
	r = runBed(t, bt.dag(t), Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+missing), Pass, "will create it with 2 partitions, replication factor 1 (the broker accepted", "")
	bt.createTopics = "never"
	r = runBed(t, bt.dag(t), Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+missing), Fail, "does not exist and sink kafka has create_topics: never", "--create --topic "+missing+" --partitions 2")
	if exists := topicExists(t, missing); exists {
		t.Errorf("precheck created topic %s", missing)
	}

	// A replication factor the one-broker bed cannot give.
	g := bt.dag(t)
	g.Sinks[0].CreateTopics = topology.CreateTopicsMissing
	g.Sinks[0].ReplicationFactor = 3
	r = runBed(t, g, Options{})
	wantItem(t, find(t, r.Items, "sink.kafka.topic."+missing), Fail, "cannot be created with replication factor 3: the cluster has 1 broker", "replication_factor: 1")
}

func TestRun_Bed_CheckpointDirNotWritable(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.orders (id INT PRIMARY KEY)")
	bt := newBedTopology(t, db, testbed.NewTopic(t, 1))
	file := bt.checkpointDir + "/file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bt.checkpointDir = file + "/cp"
	r := runBed(t, bt.dag(t), Options{})
	wantItem(t, find(t, r.Items, "engine.checkpoint_dir"), Fail, "is a file, not a directory", "engine.checkpoint_dir")
	if got := r.Failed(nil); len(got) != 1 {
		t.Errorf("want exactly the checkpoint dir to fail, got %v", got)
	}
}

func TestRun_Bed_PreparedXA(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)")
	conn := testbed.AdminConn(t)
	for _, s := range []string{"XA START '" + db + "'", "INSERT INTO `" + db + "`.t VALUES (1)", "XA END '" + db + "'", "XA PREPARE '" + db + "'"} {
		if _, err := conn.Execute(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() {
		if _, err := conn.Execute("XA ROLLBACK '" + db + "'"); err != nil {
			t.Errorf("XA ROLLBACK: %v", err)
		}
	})
	r := runBed(t, newBedTopology(t, db, testbed.NewTopic(t, 1)).dag(t), Options{})
	it := find(t, r.Items, "source.bed.xa_prepared")
	wantItem(t, it, Warn, "prepared, not yet committed", "XA RECOVER lists none")
	if !strings.Contains(it.Detail, "X'"+fmt.Sprintf("%x", db)+"',X'',1") {
		t.Errorf("detail %q does not name the prepared XID", it.Detail)
	}
}

func TestRun_Bed_UndecodableCharset(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, a VARCHAR(8) CHARACTER SET gbk, b VARCHAR(8) CHARACTER SET swe7)")
	pos := testbed.BinlogPosition(t)
	r := runBed(t, newBedTopology(t, db, testbed.NewTopic(t, 1)).dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": {Pos: change.Position{File: pos.Name, Pos: pos.Pos}}}})
	wantItem(t, find(t, r.Items, "source.bed.charset."+db+".t"), Fail, "b (swe7)", "CONVERT TO CHARACTER SET utf8mb4")
}

// Regression: a system-versioned table was left out of the selected tables.
func TestRun_Bed_SystemVersionedTables(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t,
		"CREATE TABLE `"+db+"`.plain (id INT PRIMARY KEY)",
		"CREATE TABLE `"+db+"`.ts (id INT PRIMARY KEY) WITH SYSTEM VERSIONING",
		"CREATE TABLE `"+db+"`.trx (id INT PRIMARY KEY, s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "+
			"e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME(s, e)) ENGINE=InnoDB WITH SYSTEM VERSIONING")
	pos := testbed.BinlogPosition(t)
	r := runBed(t, newBedTopology(t, db, testbed.NewTopic(t, 1)).dag(t), Options{Checkpoints: map[string]store.Checkpoint{"bed": {Pos: change.Position{File: pos.Name, Pos: pos.Pos}}}})
	wantItem(t, find(t, r.Items, "source.bed.tables"), Pass, "3 tables selected", "")
	wantItem(t, find(t, r.Items, "source.bed.versioning."+db+".trx"), Fail, "versioned by transaction id", "objects.exclude")
	for _, it := range r.Items {
		if it.Name == "source.bed.versioning."+db+".ts" {
			t.Errorf("timestamp versioning flagged: %+v", it)
		}
	}
}

// Regression (issue 17, defect 11): brokers pointed at a port where
// something other than Kafka listens (the MariaDB port, an HTTP server)
// waited the whole timeout and said only "no answer … in time".
func TestRun_Bed_BrokerIsNotKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	webAddr := strings.TrimPrefix(web.URL, "http://")
	my := testbed.MySQL(t)
	for _, tc := range []struct {
		broker, what string
	}{
		{my.Addr, "a MySQL/MariaDB server ("},
		{webAddr, "something that accepted the connection but did not answer a Kafka ApiVersions request within 3s"},
	} {
		bt := newBedTopology(t, "nosuch", "unused")
		bt.brokers = []string{tc.broker}
		t0 := time.Now()
		r := Run(context.Background(), bt.dag(t), Options{Timeout: 30 * time.Second})
		took := time.Since(t0)
		wantItem(t, find(t, r.Items, "sink.kafka.connect"), Fail,
			fmt.Sprintf("broker %s of sink kafka is not Kafka: %s", tc.broker, tc.what), "correct brokers of sink kafka: host:port of a Kafka listener")
		if took > 5*time.Second {
			t.Errorf("broker %s: the precheck took %s, want under 5 s", tc.broker, took.Round(time.Millisecond))
		}
	}
	// The bed's Kafka is judged Kafka.
	if err := probeKafkaPeer(context.Background(), testbed.Kafka(t)[0]); err != nil {
		t.Errorf("the bed's Kafka: %v", err)
	}
}

// A source pointed at a port where something other than MySQL listens (the
// bed's Kafka, an HTTP server) is named as such, with the fix, instead of
// go-mysql's "readInitialHandshake: … connection was bad".
func TestRun_Bed_SourceIsNotMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	for _, addr := range []string{testbed.Kafka(t)[0], strings.TrimPrefix(web.URL, "http://")} {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		bt := newBedTopology(t, "nosuch", "unused")
		bt.host = host
		if bt.port, err = strconv.Atoi(port); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		r := Run(context.Background(), bt.dag(t), Options{Timeout: 30 * time.Second})
		wantItem(t, find(t, r.Items, "source.bed.connect"), Fail,
			addr+" accepted the connection but did not greet as a MySQL or MariaDB server (source bed)",
			"set host and port of source bed to the database server's")
		t.Logf("source at %s: named in %s", addr, time.Since(t0).Round(time.Millisecond))
	}
}
