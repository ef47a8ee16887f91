package bench

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Main runs the benchmark command line (`sluice bench`, `make bench`,
// `go run ./bench/cmd/sluice-bench`) with args (flags, without the program
// name) and returns the exit code: 0 success, 1 a failed run, 2 bad usage.
// defaultBin is the sluice binary measured unless -sluice says otherwise.
// ctx ends the run early (the report still covers what ran).
func Main(ctx context.Context, args []string, defaultBin string, stdout, stderr io.Writer) int {
	home, _ := os.UserHomeDir()
	bedDir := env("SLUICE_BED_DIR", filepath.Join(home, ".cache", "sluice-bed"))
	fs := flag.NewFlagSet("sluice bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("sluice", defaultBin, "sluice `binary` to benchmark")
	out := fs.String("out", "", "results `dir` (default bench/results/TIMESTAMP)")
	scen := fs.String("scenarios", "snapshot,catchup,live,hugetxn", "comma-separated `list` of snapshot, catchup, live, hugetxn")
	snapRows := fs.Int64("snapshot-rows", 1_000_000, "rows of the snapshot table")
	par := fs.String("parallelism", "1,2,4", "snapshot shard `counts` to measure")
	catchRows := fs.Int64("catchup-rows", 1_000_000, "row changes written before the catch-up run")
	rates := fs.String("rates", "1000,10000,50000", "live `rates` in rows/s")
	liveFor := fs.Duration("live-for", 15*time.Second, "duration of each live rate")
	hugeRows := fs.Int64("hugetxn-rows", 1_000_000, "rows of the one huge transaction")
	sweep := fs.Bool("sweep", true, "run the tuning sweep")
	sweepRows := fs.Int64("sweep-rows", 300_000, "row changes replayed by each catch-up sweep run")
	dbz := fs.Bool("debezium", true, "run Debezium (bench/debezium.sh) on the same workload")
	profile := fs.Bool("profile", true, "CPU-profile the default catch-up and snapshot runs (SLUICE_CPUPROFILE)")
	keep := fs.Bool("keep-topics", false, "keep each run's topic for inspection")
	cols := fs.String("columns", "int,bigint,decimal,double,datetime,varchar:48,varchar:32", "generated `columns` besides id and ts_us: int, bigint, double, decimal, datetime, varchar:N, text:N")
	mix := fs.String("mix", "insert:70,update:20,delete:10", "operation `mix` of the catch-up and live workloads")
	keys := fs.String("keys", "uniform", "key `distribution` of updates and deletes: uniform or zipf")
	tables := fs.Int("tables", 1, "tables per workload")
	stmtRows := fs.Int("stmt-rows", 500, "rows per statement (catch-up)")
	txnRows := fs.Int("txn-rows", 500, "rows per transaction (catch-up; a multiple of stmt-rows)")
	conns := fs.Int("conns", 3, "writing connections")
	rerender := fs.String("report", "", "only rewrite report.md and the plots of results `dir` from its results.json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *rerender != "" {
		js, err := os.ReadFile(filepath.Join(*rerender, "results.json"))
		var rep Report
		if err == nil {
			err = json.Unmarshal(js, &rep)
		}
		if err == nil {
			err = rep.Write(*rerender)
		}
		if err != nil {
			fmt.Fprintln(stderr, "sluice-bench:", err)
			return 1
		}
		fmt.Fprintln(stdout, rep.Markdown())
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	w := DefaultWorkload("")
	var err error
	if w.Columns, err = ParseColumns(*cols); err != nil {
		fmt.Fprintln(stderr, "sluice-bench: -columns:", err)
		return 2
	}
	if w.Mix, err = ParseMix(*mix); err != nil {
		fmt.Fprintln(stderr, "sluice-bench: -mix:", err)
		return 2
	}
	if *keys != "uniform" && *keys != "zipf" {
		fmt.Fprintln(stderr, "sluice-bench: -keys: use uniform or zipf")
		return 2
	}
	w.Keys, w.Tables, w.StmtRows, w.TxnRows, w.Conns = *keys, *tables, *stmtRows, *txnRows, *conns
	pars, err := ints(*par)
	if err != nil {
		fmt.Fprintln(stderr, "sluice-bench: -parallelism:", err)
		return 2
	}
	rs, err := ints(*rates)
	if err != nil {
		fmt.Fprintln(stderr, "sluice-bench: -rates:", err)
		return 2
	}
	if _, err := os.Stat(*bin); err != nil {
		fmt.Fprintf(stderr, "sluice-bench: %v: build it first (make build)\n", err)
		return 2
	}
	absBin, _ := filepath.Abs(*bin)
	started := time.Now()
	if *out == "" {
		*out = filepath.Join("bench", "results", started.Format("20060102-150405"))
	}
	absOut, _ := filepath.Abs(*out)
	script, _ := filepath.Abs(filepath.Join("bench", "debezium.sh")) // run from the repository root

	o := Options{
		Bin: absBin, Out: absOut,
		Admin:    MySQL{Addr: env("SLUICE_MYSQL_ADDR", "127.0.0.1:33306"), User: env("SLUICE_MYSQL_ADMIN_USER", "sluice_admin"), Password: env("SLUICE_MYSQL_ADMIN_PASSWORD", "admin")},
		CDC:      MySQL{Addr: env("SLUICE_MYSQL_ADDR", "127.0.0.1:33306"), User: env("SLUICE_MYSQL_USER", "sluice"), Password: env("SLUICE_MYSQL_PASSWORD", "sluice")},
		Brokers:  strings.Split(env("SLUICE_KAFKA_BROKERS", "127.0.0.1:19092"), ","),
		Workload: w, Scenarios: strings.Split(*scen, ","),
		SnapshotRows: *snapRows, Parallelisms: pars, CatchupRows: *catchRows, Rates: rs, LiveFor: *liveFor,
		HugeTxnRows: *hugeRows, Sweep: *sweep, SweepRows: *sweepRows,
		Debezium: *dbz, DebeziumScript: script, Profile: *profile, KeepTopics: *keep, Log: log,
	}
	if st, err := os.Stat(filepath.Join(bedDir, "kafka", "data")); err == nil && st.IsDir() {
		o.KafkaLogDir = filepath.Join(bedDir, "kafka", "data")
	}
	if err := os.MkdirAll(absOut, 0o755); err != nil {
		fmt.Fprintln(stderr, "sluice-bench:", err)
		return 1
	}

	meta := Meta{Started: started, Machine: Machine(), LoadStart: LoadAvg(), Workload: describe(o)}
	meta.Sluice = output(absBin, "version")
	if rev := output("git", "rev-parse", "--short", "HEAD"); rev != "?" && !strings.Contains(meta.Sluice, "(") {
		meta.Sluice += ", built from the work tree at commit " + rev + " (binary " + modTime(absBin) + ")"
	}
	if v, err := os.ReadFile(filepath.Join(bedDir, "kafka", "libs", ".version")); err == nil {
		meta.Kafka = "Apache Kafka " + strings.TrimSpace(string(v))
	}
	if v, err := o.Admin.QueryString("SELECT VERSION()"); err == nil {
		meta.MariaDB = v
	}
	meta.Notes = append(meta.Notes,
		"Every process (MariaDB, Kafka, Sluice, Debezium, the generator) shares the same cores; other work on the machine shows in the load average of each run.",
		"Freshness is the broker's LogAppendTime minus the generator's clock just before it sent the statement (ts_us column): an upper bound by the statement's execution time.",
		"Debezium runs with its defaults (snapshot.max.threads=1) and the heap connect-standalone.sh gives Connect (-Xms256M -Xmx2G), except acks=all, lz4 and linger 5 ms on its producer, like Sluice's sink.")

	log.Info("benchmark", "out", absOut, "load", meta.LoadStart)
	r := NewRunner(o)
	runErr := r.Run(ctx)
	meta.Finished = time.Now()
	meta.LoadEnd = LoadAvg()
	meta.DebeziumErr = r.DebeziumErr
	if r.DebeziumVersion != "" {
		meta.Debezium = r.DebeziumVersion + " (MariaDB connector on Kafka Connect standalone)"
	}
	meta.Profiles = map[string]string{}
	for name, f := range r.Profiles {
		args := []string{"tool", "pprof", "-top", "-nodecount=30"}
		if strings.Contains(name, "heap") {
			args = append(args, "-sample_index=inuse_space")
		}
		top, err := exec.Command("go", append(args, absBin, f)...).CombinedOutput()
		if err != nil {
			meta.Profiles[name] = fmt.Sprintf("%s: go tool pprof: %v", f, err)
			continue
		}
		meta.Profiles[name] = f + "\n" + string(top)
	}
	rep := Report{Meta: meta, Results: r.Results}
	if err := rep.Write(absOut); err != nil {
		fmt.Fprintln(stderr, "sluice-bench: write report:", err)
		return 1
	}
	fmt.Fprintln(stdout, rep.Markdown())
	fmt.Fprintf(stderr, "sluice-bench: report in %s/report.md\n", absOut)
	if runErr != nil {
		fmt.Fprintln(stderr, "sluice-bench:", runErr)
		return 1
	}
	return 0
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func output(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func describe(o Options) string {
	w := o.Workload
	var cols []string
	for _, c := range w.Columns {
		if c.Len > 0 {
			cols = append(cols, fmt.Sprintf("%s(%d)", c.Type, c.Len))
		} else {
			cols = append(cols, c.Type)
		}
	}
	return fmt.Sprintf("%d table(s) of id BIGINT PK, ts_us BIGINT, %s; catch-up mix insert/update/delete %d/%d/%d, %s keys, %d rows/statement, %d rows/transaction, %d connections; snapshot %d rows; catch-up %d changes; live %v per rate; huge transaction %d rows",
		w.Tables, strings.Join(cols, ", "), w.Mix.Insert, w.Mix.Update, w.Mix.Delete, w.Keys, w.StmtRows, w.TxnRows, w.Conns,
		o.SnapshotRows, o.CatchupRows, o.LiveFor, o.HugeTxnRows)
}

func modTime(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return fi.ModTime().UTC().Format("2006-01-02 15:04 UTC")
}
