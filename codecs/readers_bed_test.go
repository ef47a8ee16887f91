package codecs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/dtsavro"
	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// matrixColumn is one column of the type matrix the real readers are run on:
// its DDL and how its values compare.
type matrixColumn struct {
	name, ddl string
	kind      string
}

var matrix = []matrixColumn{
	{"id", "BIGINT UNSIGNED NOT NULL PRIMARY KEY", "uint64"},
	{"ti", "TINYINT", "int"}, {"tu", "TINYINT UNSIGNED", "int"},
	{"si", "SMALLINT", "int"}, {"su", "SMALLINT UNSIGNED", "int"},
	{"mi", "MEDIUMINT", "int"}, {"mu", "MEDIUMINT UNSIGNED", "int"},
	{"i", "INT", "int"}, {"iu", "INT UNSIGNED", "int"},
	{"bi", "BIGINT", "int"}, {"bu", "BIGINT UNSIGNED", "uint64"},
	{"d", "DECIMAL(20,6)", "dec"}, {"f", "FLOAT", "float"}, {"db", "DOUBLE", "double"},
	{"dt", "DATE", "date"}, {"tm", "TIME", "time"}, {"tm6", "TIME(6)", "time"},
	{"dt6", "DATETIME(6)", "datetime"}, {"ts6", "TIMESTAMP(6) NULL", "timestamp"}, {"y", "YEAR", "year"},
	{"s", "VARCHAR(64) CHARACTER SET utf8mb4", "text"}, {"bin", "VARBINARY(16)", "bin"},
	{"j", "JSON", "json"}, {"e", "ENUM('small','medium','large')", "enum"}, {"st", "SET('a','b','c')", "set"},
}

const (
	matrixMax = "(1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, " +
		"18446744073709551615, 99999999999999.999999, 1.5, 1.7976931348623157e308, '9999-12-31', '838:59:59', " +
		"'12:34:56.789012', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155, 'héllo \"wörld\" 😀 世界', " +
		"x'00ff10', '{\"a\": [1, 2.5, null]}', 'large', 'a,c')"
	matrixMin = "(2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, -99999999999999.999999, " +
		"-0.25, -2.5e-300, '1000-01-01', '-838:59:59', '00:00:00', '1000-01-01 00:00:00', '1970-01-01 00:00:01.000001', 1901, " +
		"'', x'', '[]', 'small', '')"
	matrixNulls = "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " +
		"NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
	matrixMid = "(4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12.5, 0.1, 0.30000000000000004, '2024-02-29', '100:00:01', " +
		"'-00:00:00.000001', '2024-02-29 12:34:56.000789', '2024-02-29 12:34:56.5', 2024, 'x', x'ff', '{}', 'medium', 'a,b,c')"
)

// readerResult is what the Java reader printed for one topic.
type readerResult struct {
	Topic     string                    `json:"topic"`
	Mode      string                    `json:"mode"`
	Records   int                       `json:"records"`
	RawRows   map[string]map[string]any `json:"rows"`
	DDL       []string                  `json:"ddl"`
	Types     []string                  `json:"types"`
	MySQLType map[string]string         `json:"mysqlType"`
	Errors    []string                  `json:"errors"`
}

// TestReaders_Bed_RealConsumers runs Sluice on a type matrix (snapshot,
// insert, update, a primary-key change, delete, ALTER TABLE, insert) into
// three sinks, and has real consumers read them: Kafka Connect's
// JsonConverter with schemas on (debezium-json, schemas: true) and off, and
// Canal's FlatMessage with fastjson2 (canal-json, canal flavour). Each
// consumer's materialised table must equal the source table read over SQL.
// The readers are the Java module in codecs/compat/java, built with Maven
// (dependencies from Maven Central, cached in ~/.m2).
func TestReaders_Bed_RealConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed, Java and Maven")
	}
	classpath := buildReaders(t, "java")
	flinkClasspath := buildReaders(t, "flink")

	db := testbed.NewDatabase(t)
	var cols []string
	for _, c := range matrix {
		cols = append(cols, "`"+c.name+"` "+c.ddl)
	}
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.m ("+strings.Join(cols, ", ")+")",
		"SET time_zone = '+00:00'",
		"INSERT INTO `"+db+"`.m VALUES "+matrixMax+", "+matrixMin+", "+matrixNulls)

	source := testbed.NewTopic(t, 1) // also the source's name, so its default DDL topic
	dbzOn, dbzOnDDL, dbzOff, canal := testbed.NewTopic(t, 1), testbed.NewTopic(t, 1), testbed.NewTopic(t, 1), testbed.NewTopic(t, 1)
	dts := testbed.NewTopic(t, 1)
	cfg := testbed.MySQL(t)
	host, port, _ := strings.Cut(cfg.Addr, ":")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := ln.Addr().String()
	ln.Close()
	broker := testbed.Kafka(t)[0]
	yml := strings.NewReplacer("$dir", t.TempDir(), "$http", httpAddr, "$source", source, "$host", host, "$port", port,
		"$user", cfg.User, "$password", cfg.Password, "$server_id", strconv.Itoa(7000+rand.IntN(1000)), "$database", db,
		"$broker", broker, "$dbz_on_ddl", dbzOnDDL, "$dbz_on", dbzOn, "$dbz_off", dbzOff, "$canal", canal, "$dts", dts).Replace(`version: 1
engine:
  checkpoint_dir: $dir
  http_addr: $http
sources:
  - name: $source
    flavor: mariadb
    host: $host
    port: $port
    user: $user
    password: $password
    server_id: $server_id
    start: initial
    phases: {ignore_ddl: false}
    objects:
      tables: [$database.m]
routers:
  - {name: r, from: $source, policy: pk_hash}
sinks:
  - {name: dbz_on, from: r, brokers: [$broker], topic: $dbz_on, ddl_topic: $dbz_on_ddl, linger: 2ms, format: debezium-json,
     debezium: {schemas: true, tombstones: true, bigint_unsigned_handling: precise}}
  - {name: dbz_off, from: r, brokers: [$broker], topic: $dbz_off, linger: 2ms, format: debezium-json,
     debezium: {tombstones: true, decimal_handling: string}}
  - {name: canal, from: r, brokers: [$broker], topic: $canal, linger: 2ms, format: canal-json, canal_flavor: canal}
  - {name: dts, from: r, brokers: [$broker], topic: $dts, linger: 2ms, format: dts-avro}
`)
	dag, diags := topology.Parse("readers.yaml", []byte(yml))
	if dag == nil || diags.Errors() > 0 {
		t.Fatalf("topology: %s", diags.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- engine.Run(ctx, dag, engine.Options{Task: "readers-test", Logger: log}) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("engine: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("engine did not stop within 60s of cancel")
		}
	}
	defer stop()

	// The snapshot first: 3 rows and the schema sync in every sink.
	testbed.ReadTopic(t, canal, 4, 60*time.Second)
	// DTS Avro's source.version is the server's version (it was always
	// "mysql": the engine never passed it).
	codec, err := goavro.NewCodec(dtsavro.RecordSchema())
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range testbed.ReadTopic(t, dts, 4, 60*time.Second) {
		native, rest, err := codec.NativeFromBinary(msg.Value)
		if err != nil || len(rest) != 0 {
			t.Fatalf("dts-avro record: %v (%d bytes left)", err, len(rest))
		}
		src := native.(map[string]any)["source"].(map[string]any)
		if v, _ := src["version"].(string); !strings.Contains(v, "MariaDB") || strings.HasPrefix(v, "5.5.5-") {
			t.Errorf("dts-avro source %v: version is not the server's", src)
		}
	}
	m := "`" + db + "`.m"
	testbed.AdminExec(t, "SET time_zone = '+00:00'",
		"INSERT INTO "+m+" VALUES "+matrixMid,
		"UPDATE "+m+" SET ti = 0, bu = 9223372036854775808, j = '{\"b\": true}' WHERE id = 1",
		"UPDATE "+m+" SET id = 30 WHERE id = 3",
		"DELETE FROM "+m+" WHERE id = 2",
		"ALTER TABLE "+m+" ADD COLUMN extra INT NULL",
		"INSERT INTO "+m+" (id, s, extra) VALUES (5, 'after the ALTER', 42)")
	// Records each topic gets: Debezium 3 r, c, u, d + tombstone + c (key
	// change), d + tombstone, c = 11, DDL apart; Canal the CREATE, 3 INSERT,
	// INSERT, UPDATE, UPDATE, DELETE, ALTER, INSERT = 10.
	want := map[string]int{dbzOn: 11, dbzOnDDL: 2, dbzOff: 11, source: 2, canal: 10}
	for _, topic := range []string{dbzOn, dbzOnDDL, dbzOff, source, canal} {
		testbed.ReadTopic(t, topic, want[topic], 60*time.Second)
	}
	checkCanalGTID(t, testbed.ReadTopic(t, canal, want[canal], 60*time.Second), 4)
	stop()

	// The consumers, all at once: Connect's and Canal's in one JVM, Flink's
	// jobs (one per topic, bounded at the topics' ends) in another.
	type run struct {
		out []byte
		err error
		dur time.Duration
	}
	javaRun := func(c chan<- run, args ...string) {
		start := time.Now()
		cmd := exec.Command("java", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			err = fmt.Errorf("%w\n%s\n%s", err, out, tail(stderr.Bytes()))
		}
		c <- run{out, err, time.Since(start)}
	}
	readersDone, flinkDone := make(chan run, 1), make(chan run, 1)
	go javaRun(readersDone, "-cp", classpath, "io.sluice.compat.Readers", broker,
		"connect-schemas:"+dbzOn+":11", "connect-schemas:"+dbzOnDDL+":2",
		"connect:"+dbzOff+":11", "connect:"+source+":2", "canal:"+canal+":10")
	go javaRun(flinkDone, "-cp", flinkClasspath, "io.sluice.compat.flink.FlinkReaders", broker,
		"canal:"+canal, "debezium:"+dbzOff, "debezium-schema:"+dbzOn)
	parse := func(name string, r run) map[string]*readerResult {
		if r.err != nil {
			t.Fatalf("%s: %v", name, r.err)
		}
		t.Logf("%s ran in %v", name, r.dur.Round(time.Millisecond))
		res := map[string]*readerResult{}
		for _, line := range bytes.Split(bytes.TrimSpace(r.out), []byte("\n")) {
			var rr readerResult
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			if err := dec.Decode(&rr); err != nil {
				t.Fatalf("%s output %q: %v", name, line, err)
			}
			res[rr.Topic] = &rr
			res[rr.Mode] = &rr
		}
		return res
	}
	results, flink := parse("java readers", <-readersDone), parse("flink readers", <-flinkDone)
	for topic, n := range want {
		r := results[topic]
		if r == nil {
			t.Fatalf("no reader result for %s", topic)
		}
		if len(r.Errors) > 0 {
			t.Errorf("%s (%s): reader errors: %v", topic, r.Mode, r.Errors)
		}
		if r.Records != n {
			t.Errorf("%s (%s): %d records, want %d", topic, r.Mode, r.Records, n)
		}
	}
	for _, mode := range []string{"flink-canal", "flink-debezium", "flink-debezium-schema"} {
		if r := flink[mode]; r == nil || len(r.Errors) > 0 {
			t.Errorf("%s: no result or errors: %+v", mode, r)
		}
	}

	expect := func(enumAsNumber bool) map[string]map[string]*string { return sourceTable(t, db, enumAsNumber) }
	compare(t, "JsonConverter schemas on", results[dbzOn], expect(false), func(c matrixColumn, v any) *string { return plain(v) })
	compare(t, "JsonConverter schemas off", results[dbzOff], expect(false), debeziumRaw)
	compare(t, "Canal FlatMessage", results[canal], expect(true), func(c matrixColumn, v any) *string { return plain(v) })
	compare(t, "Flink canal-json", flink["flink-canal"], expect(true), func(c matrixColumn, v any) *string { return plain(v) })
	flinkDebezium := func(c matrixColumn, v any) *string {
		if c.kind == "bin" || c.kind == "timestamp" {
			return plain(v) // BYTES and TIMESTAMP_LTZ, rendered by the reader
		}
		return debeziumRaw(c, v)
	}
	compare(t, "Flink debezium-json", flink["flink-debezium"], expect(false), flinkDebezium)
	compare(t, "Flink debezium-json schema-include", flink["flink-debezium-schema"], expect(false), flinkDebezium)

	// DDL: none in the Debezium data topics; the schema sync's CREATE and the
	// ALTER in the DDL topics (the source-named default one included) and in
	// Canal's data topic.
	for _, topic := range []string{dbzOn, dbzOff} {
		if d := results[topic].DDL; len(d) != 0 {
			t.Errorf("%s: Debezium data topic holds DDL %q", results[topic].Mode, d)
		}
	}
	for _, topic := range []string{dbzOnDDL, source, canal} {
		d := results[topic].DDL
		if len(d) != 2 || !strings.HasPrefix(strings.ToUpper(d[0]), "CREATE TABLE") || !strings.Contains(d[1], "ADD COLUMN extra") {
			t.Errorf("%s (%s): DDL %q, want the CREATE TABLE and the ALTER", topic, results[topic].Mode, d)
		}
	}
	// The key change: Debezium's headers naming the other key.
	types := strings.Join(results[dbzOff].Types, " ")
	for _, h := range []string{`__debezium.newkey={"id":30}`, `__debezium.oldkey={"id":3}`} {
		if !strings.Contains(types, h) {
			t.Errorf("JsonConverter schemas off: no header %s among %s", h, types)
		}
	}
	// Canal: snapshot rows are INSERT, DDL types are Canal's, mysqlType is
	// the column type as the server prints it.
	if got := strings.Join(results[canal].Types, ","); got != "ALTER,CREATE,DELETE,INSERT,UPDATE" {
		t.Errorf("Canal types %s, want ALTER,CREATE,DELETE,INSERT,UPDATE", got)
	}
	rs := testbed.AdminExec(t, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '"+db+"' AND TABLE_NAME = 'm'")
	for i := range rs[0].Values {
		name, _ := rs[0].GetString(i, 0)
		typ, _ := rs[0].GetString(i, 1)
		if got := results[canal].MySQLType[name]; got != typ {
			t.Errorf("Canal mysqlType[%s] = %q, want %q", name, got, typ)
		}
	}
}

// buildReaders builds the Java module codecs/compat/<module> into the user
// cache directory with Maven, offline when ~/.m2 holds the dependencies, else
// resolving them from Maven Central once, and returns the classpath to run
// it with.
func buildReaders(t *testing.T, module string) string {
	t.Helper()
	for _, tool := range []string{"java", "javac", "mvn"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install a JDK 17 and Maven (.ci/run installs openjdk-17-jdk-headless and maven)", tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "sluice-readers", module)
	cp := filepath.Join(dir, "cp.txt")
	// The build is skipped when the module's files are those of the last
	// one: Maven alone takes 10-60 s to start on a loaded machine.
	stamp, stampFile := moduleStamp(t, filepath.Join("compat", module)), filepath.Join(dir, "stamp")
	if old, err := os.ReadFile(stampFile); err != nil || string(old) != stamp {
		args := []string{"-q", "-B", "-f", filepath.Join("compat", module, "pom.xml"), "-DbuildDir=" + filepath.Join(dir, "build"),
			"compile", "dependency:build-classpath", "-Dmdep.outputFile=" + cp}
		start := time.Now()
		if out, err := exec.Command("mvn", append([]string{"-o"}, args...)...).CombinedOutput(); err != nil {
			t.Logf("offline build failed, resolving from Maven Central: %v\n%s", err, tail(out))
			if out, err := exec.Command("mvn", args...).CombinedOutput(); err != nil {
				t.Fatalf("mvn %s: %v\n%s", strings.Join(args, " "), err, tail(out))
			}
		}
		t.Logf("%s readers built in %v", module, time.Since(start).Round(time.Millisecond))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deps, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "build", "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(deps))
}

// moduleStamp is a hash of every file of the Java module.
func moduleStamp(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}

// sourceTable reads db.m over SQL, every value in the readers' canonical
// text (see compare), keyed by id.
func sourceTable(t *testing.T, db string, enumAsNumber bool) map[string]map[string]*string {
	t.Helper()
	cols := append([]matrixColumn(nil), matrix...)
	cols = append(cols, matrixColumn{"extra", "", "int"})
	var sel []string
	for _, c := range cols {
		q := "`" + c.name + "`"
		switch c.kind {
		case "date":
			q = "DATE_FORMAT(" + q + ", '%Y-%m-%d')"
		case "datetime", "timestamp":
			q = "DATE_FORMAT(" + q + ", '%Y-%m-%d %H:%i:%s.%f')"
		case "bin":
			q = "LOWER(HEX(" + q + "))"
		case "enum", "set":
			if enumAsNumber {
				q = "CAST(" + q + "+0 AS CHAR)"
			}
		}
		if c.kind != "text" && c.kind != "json" && c.kind != "bin" && !((c.kind == "enum" || c.kind == "set") && !enumAsNumber) {
			q = "CAST(" + q + " AS CHAR)"
		}
		sel = append(sel, q)
	}
	rs := testbed.AdminExec(t, "SET time_zone = '+00:00'", "SELECT "+strings.Join(sel, ", ")+" FROM `"+db+"`.m")
	out := map[string]map[string]*string{}
	for i := range rs[1].Values {
		row := map[string]*string{}
		for j, c := range cols {
			if rs[1].Values[i][j].Value() == nil {
				row[c.name] = nil
				continue
			}
			s, _ := rs[1].GetString(i, j)
			row[c.name] = &s
		}
		out[*row["id"]] = row
	}
	return out
}

// compare checks that the reader's materialised rows equal want, column by
// column: numbers of the float kinds within their precision, times and
// datetimes without trailing fraction zeros, a column the reader lacks (a
// row written before ADD COLUMN) as NULL.
func compare(t *testing.T, reader string, r *readerResult, want map[string]map[string]*string, conv func(matrixColumn, any) *string) {
	t.Helper()
	got := map[string]map[string]any{}
	for k, row := range r.RawRows {
		var key map[string]any
		dec := json.NewDecoder(strings.NewReader(k))
		dec.UseNumber()
		if err := dec.Decode(&key); err != nil {
			t.Fatalf("%s: key %q: %v", reader, k, err)
		}
		got[*plain(key["id"])] = row
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(got) != len(want) {
		var g []string
		for id := range got {
			g = append(g, id)
		}
		sort.Strings(g)
		t.Errorf("%s: rows %v, want %v", reader, g, ids)
	}
	cols := append(append([]matrixColumn(nil), matrix...), matrixColumn{"extra", "", "int"})
	for _, id := range ids {
		row, ok := got[id]
		if !ok {
			continue
		}
		for _, c := range cols {
			g := conv(c, row[c.name])
			w := want[id][c.name]
			if !sameValue(c.kind, g, w) {
				t.Errorf("%s: row %s column %s (%s): got %s, want %s", reader, id, c.name, c.kind, show(g), show(w))
			}
		}
	}
}

func sameValue(kind string, g, w *string) bool {
	if g == nil || w == nil {
		return g == nil && w == nil
	}
	switch kind {
	case "float", "double":
		a, err1 := strconv.ParseFloat(*g, 64)
		b, err2 := strconv.ParseFloat(*w, 64)
		tol := 1e-12
		if kind == "float" {
			tol = 1e-6
		}
		return err1 == nil && err2 == nil && (a == b || math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)))
	case "time", "datetime", "timestamp":
		return trimFraction(*g) == trimFraction(*w)
	}
	return *g == *w
}

func trimFraction(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return strconv.Quote(*s)
}

// plain is a reader's value as text.
func plain(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	return &s
}

// debeziumRaw turns a value JsonConverter hands over without schemas into
// the canonical text, knowing the column's type as such a consumer must:
// days, microseconds, base64 and BIGINT UNSIGNED as Java's long.
func debeziumRaw(c matrixColumn, v any) *string {
	p := plain(v)
	if p == nil {
		return nil
	}
	s := *p
	switch c.kind {
	case "uint64":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			s = strconv.FormatUint(uint64(n), 10)
		}
	case "date":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			s = time.Unix(n*86400, 0).UTC().Format("2006-01-02")
		}
	case "time":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			sign := ""
			if n < 0 {
				sign, n = "-", -n
			}
			sec := n / 1e6
			s = fmt.Sprintf("%s%02d:%02d:%02d.%06d", sign, sec/3600, sec/60%60, sec%60, n%1e6)
		}
	case "datetime":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			s = time.UnixMicro(n).UTC().Format("2006-01-02 15:04:05.000000")
		}
	case "timestamp":
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			s = ts.UTC().Format("2006-01-02 15:04:05.000000")
		}
	case "bin":
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			s = fmt.Sprintf("%x", b)
		}
	}
	return &s
}

// checkCanalGTID checks the gtid key of canal-flavour records: "" for the
// first snapshot records (Canal's stream has no snapshot), and for binlog
// records the GTID set executed with their transaction, as Canal writes it
// in GTID mode: their own GTID (the sluice.gtid header) in it, one GTID per
// domain the server has.
func checkCanalGTID(t *testing.T, msgs []kafka.Message, snapshot int) {
	t.Helper()
	pos, err := testbed.AdminExec(t, "SELECT @@global.gtid_binlog_pos")[0].GetString(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	domains := len(strings.Split(pos, ","))
	for i, msg := range msgs {
		var rec struct {
			GTID *string `json:"gtid"`
			Type string  `json:"type"`
		}
		if err := json.Unmarshal(msg.Value, &rec); err != nil || rec.GTID == nil {
			t.Fatalf("canal record %d: no gtid key (%v): %s", i, err, msg.Value)
		}
		if i < snapshot {
			if *rec.GTID != "" {
				t.Errorf("canal snapshot record %d (%s): gtid %q, want \"\"", i, rec.Type, *rec.GTID)
			}
			continue
		}
		own := ""
		for _, h := range msg.Headers {
			if h.Key == codec.HeaderGTID {
				own = string(h.Value)
			}
		}
		set := strings.Split(*rec.GTID, ",")
		if own == "" || !slices.Contains(set, own) || len(set) != domains {
			t.Errorf("canal binlog record %d (%s, GTID %q): gtid %q, want the executed set with it (server at %s)", i, rec.Type, own, *rec.GTID, pos)
		}
	}
}
