package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configure a benchmark run.
type Options struct {
	// Bin is the sluice binary; Out the results directory of this run.
	Bin, Out string
	// Admin writes the workload (and creates Debezium's account); CDC is
	// Sluice's account with the DTS privileges only.
	Admin, CDC MySQL
	Brokers    []string
	// KafkaLogDir is the broker's log.dirs, to measure bytes written ("" to
	// skip).
	KafkaLogDir string
	// Workload is the row shape and mix (its Database is set per scenario).
	Workload Workload

	Scenarios    []string // snapshot, catchup, live, hugetxn
	SnapshotRows int64
	Parallelisms []int
	CatchupRows  int64
	Rates        []int
	LiveFor      time.Duration
	HugeTxnRows  int64

	// Sweep runs the tuning sweep; SweepRows sizes its catch-up segment.
	Sweep     bool
	SweepRows int64
	// Debezium runs the anchor: DebeziumScript is bench/debezium.sh.
	Debezium       bool
	DebeziumScript string
	// Profile writes CPU profiles of the default snapshot and catch-up runs.
	Profile bool
	// KeepTopics keeps the runs' topics for inspection (they are deleted
	// after each run otherwise: a 1M-row topic is hundreds of MiB).
	KeepTopics bool

	Log *slog.Logger
}

// Runner runs scenarios and collects results.
type Runner struct {
	o       Options
	k       *Kafka
	Results []Result
	// Profiles are the CPU profile files written, by scenario.
	Profiles map[string]string
	// DebeziumErr says why the anchor did not run, when it did not.
	DebeziumErr string
	// DebeziumVersion is the resolved connector and Connect version.
	DebeziumVersion string
	runID           string
}

// NewRunner returns a runner for o.
func NewRunner(o Options) *Runner {
	return &Runner{o: o, k: NewKafka(o.Brokers), Profiles: map[string]string{},
		runID: strconv.FormatInt(time.Now().Unix()%1e6, 10)}
}

const stall = 60 * time.Second

func (r *Runner) has(s string) bool {
	for _, x := range r.o.Scenarios {
		if x == s {
			return true
		}
	}
	return false
}

// Run runs every selected scenario in order; a failed scenario is recorded
// and the others still run.
func (r *Runner) Run(ctx context.Context) error {
	if r.o.Debezium {
		if err := r.prepareDebezium(); err != nil {
			r.DebeziumErr = err.Error()
			r.o.Log.Warn("debezium anchor unavailable", "err", err)
			r.o.Debezium = false
		}
	}
	var errs []error
	for _, s := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"snapshot", r.snapshot}, {"catchup", r.catchup}, {"live", r.live}, {"hugetxn", r.hugeTxn},
	} {
		if !r.has(s.name) || ctx.Err() != nil {
			continue
		}
		r.o.Log.Info("scenario", "name", s.name, "load", LoadAvg())
		if err := s.fn(ctx); err != nil {
			r.o.Log.Error("scenario failed", "name", s.name, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	return errors.Join(errs...)
}

func (r *Runner) topic(name string) string { return "sluice-bench-" + r.runID + "-" + name }

func (r *Runner) serverID() int { return 47000 + rand.Intn(2000) }

// sluiceRun runs Sluice until want records are on topic, then stops it.
func (r *Runner) sluiceRun(ctx context.Context, res *Result, cfg SluiceConfig, want int64) error {
	res.Tool = "sluice"
	res.Load = LoadAvg()
	if err := r.k.CreateTopic(ctx, cfg.Topic, max(cfg.Sink.Partitions, 1)); err != nil {
		return err
	}
	defer r.dropTopic(cfg.Topic)
	q0, _ := r.o.Admin.Questions()
	p, err := StartSluice(cfg)
	if err != nil {
		return err
	}
	if cfg.MemProfile != "" {
		defer p.WatchPeak()()
	}
	samples, werr := r.k.WaitCount(ctx, want, p.Pid, stall, cfg.Topic)
	q1, _ := r.o.Admin.Questions()
	if cfg.CPUProfile != "" {
		_ = p.cmd.Process.Signal(syscall.SIGUSR2)
		time.Sleep(time.Second)
	}
	u, serr := p.Stop(syscall.SIGTERM, 30*time.Second)
	res.CPUTotal = u.CPU
	res.fillProc(samples, 0)
	if u.MaxRSS > res.PeakRSS {
		res.PeakRSS = u.MaxRSS
	}
	if werr != nil {
		return fmt.Errorf("%w; sluice log %s: %s", werr, p.Log, p.Tail(600))
	}
	if len(samples) > 0 {
		last := samples[len(samples)-1]
		res.Events = last.Count
		res.Wall = last.At.Sub(p.Started)
		if s := res.Wall.Seconds(); s > 0 {
			res.QPS = float64(q1-q0) / s
		}
	}
	first, lastT, err := r.k.Span(ctx, cfg.Topic)
	if err != nil {
		return err
	}
	res.Span = lastT.Sub(first)
	if res.Span > 0 {
		res.RowsPerSec = float64(res.Events) / res.Span.Seconds()
	}
	res.Bytes = topicBytes(r.o.KafkaLogDir, cfg.Topic)
	res.Load += " → " + LoadAvg()
	return serr
}

// dropTopic deletes a run's topic unless Options.KeepTopics.
func (r *Runner) dropTopic(t string) {
	if !r.o.KeepTopics {
		_ = r.k.DeleteTopics(context.Background(), t)
	}
}

func (r *Runner) baseSluice(name, tables, start string) SluiceConfig {
	return SluiceConfig{
		Bin: r.o.Bin, Dir: filepath.Join(r.o.Out, "runs", name), MySQL: r.o.CDC, ServerID: r.serverID(),
		Tables: tables, Start: start, Incremental: true, Brokers: r.o.Brokers, Topic: r.topic(name),
	}
}

func (r *Runner) add(res Result, err error) {
	if err != nil {
		res.Err = err.Error()
		r.o.Log.Error("run failed", "scenario", res.Scenario, "tool", res.Tool, "setting", res.Setting, "err", err)
	} else {
		r.o.Log.Info("run", "scenario", res.Scenario, "tool", res.Tool, "setting", res.Setting,
			"events", res.Events, "rows/s", int(res.RowsPerSec), "cpu_s/M", fmt.Sprintf("%.2f", res.CPUPerMillion()),
			"peak_rss_MiB", res.PeakRSS>>20, "p99_ms", res.P99, "load", res.Load)
	}
	r.Results = append(r.Results, res)
}

// load writes n rows into a fresh table of db as fast as it can.
func (r *Runner) load(ctx context.Context, db string, n int64) (*Generator, Written, error) {
	w := r.o.Workload
	w.Database = db
	w.Mix = Mix{Insert: 1}
	w.StmtRows, w.TxnRows = 1000, 1000
	if err := w.Setup(r.o.Admin); err != nil {
		return nil, Written{}, err
	}
	g := NewGenerator(w, r.o.Admin, 1)
	wr, err := g.Run(ctx, n, 0)
	r.o.Log.Info("loaded", "db", db, "rows", wr.Events, "rows/s", int(wr.Rate()))
	return g, wr, err
}

// snapshot: a table of SnapshotRows rows read with each parallelism, then the
// chunk-size sweep.
func (r *Runner) snapshot(ctx context.Context) error {
	db := "sluice_bench_snap"
	if _, _, err := r.load(ctx, db, r.o.SnapshotRows); err != nil {
		return err
	}
	for i, p := range r.o.Parallelisms {
		res := Result{Scenario: "snapshot", Setting: fmt.Sprintf("parallelism=%d", p)}
		cfg := r.baseSluice(fmt.Sprintf("snap-p%d", p), db+".*", "initial")
		cfg.Parallelism = p
		if r.o.Profile && i == len(r.o.Parallelisms)-1 {
			cfg.CPUProfile = filepath.Join(r.o.Out, fmt.Sprintf("snapshot-p%d.pprof", p))
			cfg.MemProfile = filepath.Join(r.o.Out, fmt.Sprintf("snapshot-p%d.heap.pprof", p))
			r.Profiles["snapshot "+res.Setting+" CPU"] = cfg.CPUProfile
			r.Profiles["snapshot "+res.Setting+" heap near peak RSS"] = cfg.MemProfile
		}
		r.add(res, r.sluiceRun(ctx, &res, cfg, r.o.SnapshotRows))
	}
	if r.o.Sweep {
		for _, cs := range []int{2048, 32768} {
			res := Result{Scenario: "snapshot", Setting: fmt.Sprintf("%s chunk_size=%d", snapshotDefault(), cs)}
			cfg := r.baseSluice(fmt.Sprintf("snap-cs%d", cs), db+".*", "initial")
			cfg.ChunkSize = cs
			r.add(res, r.sluiceRun(ctx, &res, cfg, r.o.SnapshotRows))
		}
	}
	if r.o.Debezium {
		r.add(r.debeziumSnapshot(ctx, db))
	}
	return nil
}

// catchup: CatchupRows row changes written while nothing reads them, then
// Sluice (and Debezium) started from the position before the writes.
func (r *Runner) catchup(ctx context.Context) error {
	w := r.o.Workload
	w.Database = "sluice_bench_cdc"
	if err := w.Setup(r.o.Admin); err != nil {
		return err
	}
	var dbz *DebeziumConfig
	var dbzBase int64
	if r.o.Debezium {
		c, base, err := r.debeziumPark(ctx, w)
		if err != nil {
			r.add(Result{Scenario: "catchup", Tool: "debezium", Setting: "default"}, err)
		} else {
			dbz, dbzBase = c, base
		}
	}
	file, pos, err := r.o.Admin.BinlogPos()
	if err != nil {
		return err
	}
	g := NewGenerator(w, r.o.Admin, 1)
	wr, err := g.Run(ctx, r.o.CatchupRows, 0)
	if err != nil {
		return err
	}
	r.o.Log.Info("wrote catch-up changes", "events", wr.Events, "inserts", wr.Inserts, "updates", wr.Updates,
		"deletes", wr.Deletes, "rows/s", int(wr.Rate()))

	// The sweep replays a smaller segment of its own database.
	var sweepStart string
	var sweepEvents int64
	if r.o.Sweep {
		sw := r.o.Workload
		sw.Database = "sluice_bench_sweep"
		if err := sw.Setup(r.o.Admin); err != nil {
			return err
		}
		f, p, err := r.o.Admin.BinlogPos()
		if err != nil {
			return err
		}
		sweepStart = fmt.Sprintf("%s:%d", f, p)
		swr, err := NewGenerator(sw, r.o.Admin, 1).Run(ctx, r.o.SweepRows, 0)
		if err != nil {
			return err
		}
		sweepEvents = swr.Events
	}

	res := Result{Scenario: "catchup", Setting: "default"}
	cfg := r.baseSluice("catchup", w.Database+".*", fmt.Sprintf("%s:%d", file, pos))
	if r.o.Profile {
		cfg.CPUProfile = filepath.Join(r.o.Out, "catchup.pprof")
		cfg.MemProfile = filepath.Join(r.o.Out, "catchup.heap.pprof")
		r.Profiles["catchup CPU"] = cfg.CPUProfile
		r.Profiles["catchup heap near peak RSS"] = cfg.MemProfile
	}
	r.add(res, r.sluiceRun(ctx, &res, cfg, wr.Events))

	if r.o.Sweep {
		type knob struct {
			name string
			set  func(*SluiceConfig)
		}
		knobs := []knob{
			{"default", func(*SluiceConfig) {}},
			{"compression=none", func(c *SluiceConfig) { c.Sink.Compression = "none" }},
			{"compression=zstd", func(c *SluiceConfig) { c.Sink.Compression = "zstd" }},
			{"batch_bytes=256KiB", func(c *SluiceConfig) { c.Sink.BatchBytes = "256KiB" }},
			{"batch_bytes=4MiB", func(c *SluiceConfig) { c.Sink.BatchBytes = "4MiB" }},
			{"linger=1ms", func(c *SluiceConfig) { c.Sink.Linger = "1ms" }},
			{"linger=20ms", func(c *SluiceConfig) { c.Sink.Linger = "20ms" }},
			{"inflight_bytes=16MiB", func(c *SluiceConfig) { c.Inflight = "16MiB" }},
			{"inflight_bytes=256MiB", func(c *SluiceConfig) { c.Inflight = "256MiB" }},
			{"partitions=4 pk_hash", func(c *SluiceConfig) { c.Sink.Partitions = 4 }},
		}
		for i, kn := range knobs {
			res := Result{Scenario: "catchup-sweep", Setting: kn.name}
			cfg := r.baseSluice(fmt.Sprintf("sweep-%d", i), "sluice_bench_sweep.*", sweepStart)
			kn.set(&cfg)
			r.add(res, r.sluiceRun(ctx, &res, cfg, sweepEvents))
		}
	}
	if dbz != nil {
		r.add(r.debeziumCatchup(ctx, *dbz, dbzBase, wr.Events))
	}
	return nil
}

// live: a steady rate per entry of Rates for LiveFor, freshness measured on
// every record.
func (r *Runner) live(ctx context.Context) error {
	for _, rate := range r.o.Rates {
		res := Result{Scenario: "live", Tool: "sluice", Setting: fmt.Sprintf("rate=%d", rate), TargetRate: rate}
		r.add(res, r.liveRun(ctx, &res, rate))
	}
	return nil
}

// startLive starts Sluice at the binlog's end on a fresh table and returns
// once a probe row went through; the topic then holds one record.
func (r *Runner) startLive(ctx context.Context, name string, w Workload, memProfile string) (*Process, SluiceConfig, *Generator, error) {
	if err := w.Setup(r.o.Admin); err != nil {
		return nil, SluiceConfig{}, nil, err
	}
	cfg := r.baseSluice(name, w.Database+".*", "latest")
	cfg.MemProfile = memProfile
	if err := r.k.CreateTopic(ctx, cfg.Topic, 1); err != nil {
		return nil, cfg, nil, err
	}
	p, err := StartSluice(cfg)
	if err != nil {
		return nil, cfg, nil, err
	}
	// Start "latest" is taken when the task starts: probe until a row goes
	// through, so that the measured writes all come after it.
	probe := w
	probe.Mix, probe.StmtRows, probe.TxnRows, probe.Conns = Mix{Insert: 1}, 1, 1, 1
	g := NewGenerator(probe, r.o.Admin, 1)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := g.Run(ctx, 1, 0); err != nil {
			p.Stop(0, 10*time.Second)
			return nil, cfg, nil, err
		}
		time.Sleep(500 * time.Millisecond)
		n, _ := r.k.Count(ctx, cfg.Topic)
		if n > 0 {
			// Let in-flight probes land before counting from here.
			time.Sleep(300 * time.Millisecond)
			break
		}
		if time.Now().After(deadline) || p.Exited() {
			p.Stop(0, 10*time.Second)
			return nil, cfg, nil, fmt.Errorf("sluice did not deliver a probe row within 60s; log %s: %s", p.Log, p.Tail(600))
		}
	}
	return p, cfg, g, nil
}

func (r *Runner) liveRun(ctx context.Context, res *Result, rate int) error {
	res.Load = LoadAvg()
	w := r.o.Workload
	w.Database = "sluice_bench_live"
	w.StmtRows = min(max(rate/200, 1), 500)
	w.TxnRows = w.StmtRows
	p, cfg, probe, err := r.startLive(ctx, fmt.Sprintf("live-%d", rate), w, "")
	if err != nil {
		return err
	}
	defer r.dropTopic(cfg.Topic)
	base, err := r.k.Count(ctx, cfg.Topic)
	if err != nil {
		p.Stop(0, 10*time.Second)
		return err
	}
	g := NewGenerator(w, r.o.Admin, probe.NextID())
	t0 := time.Now()
	ps0, _ := ReadProc(p.Pid)
	wr, gerr := g.Run(ctx, int64(rate)*int64(r.o.LiveFor/time.Second), rate)
	res.ReachedRate = wr.Rate()
	samples, werr := r.k.WaitCount(ctx, base+wr.Events, p.Pid, stall, cfg.Topic)
	u, _ := p.Stop(0, 30*time.Second)
	res.CPUTotal = u.CPU
	if gerr != nil {
		return gerr
	}
	if werr != nil {
		return fmt.Errorf("%w; sluice log %s: %s", werr, p.Log, p.Tail(600))
	}
	res.fillProc(samples, 0)
	last := samples[len(samples)-1]
	res.CPUWindow = last.Proc.CPU - ps0.CPU
	res.WindowEvents = wr.Events
	res.Events = wr.Events
	res.Wall = last.At.Sub(t0)
	var fresh []float64
	offs, err := r.k.EndOffsets(ctx, cfg.Topic)
	if err != nil {
		return err
	}
	var first, lastT time.Time
	err = r.k.Read(ctx, cfg.Topic, map[int][2]int64{0: {base, offs[0]}}, func(rec *kgo.Record) {
		// A delete carries the deleted row, stamped when it was written,
		// not when it was deleted: it says nothing about freshness.
		if isDelete(rec.Value) {
			return
		}
		ts := tsMicros(rec.Value)
		if ts == 0 {
			return
		}
		fresh = append(fresh, float64(rec.Timestamp.UnixMicro()-ts)/1000)
		if first.IsZero() {
			first = rec.Timestamp
		}
		lastT = rec.Timestamp
	})
	if err != nil {
		return err
	}
	res.Span = lastT.Sub(first)
	if res.Span > 0 {
		res.RowsPerSec = float64(len(fresh)) / res.Span.Seconds()
	}
	ps := Percentiles(fresh, 50, 95, 99, 100)
	res.P50, res.P95, res.P99, res.Max = ps[0], ps[1], ps[2], ps[3]
	res.Bytes = topicBytes(r.o.KafkaLogDir, cfg.Topic)
	res.Load += " → " + LoadAvg()
	return nil
}

// hugeTxn: one transaction of HugeTxnRows inserted rows while Sluice follows
// the binlog; peak RSS is the figure.
func (r *Runner) hugeTxn(ctx context.Context) error {
	res := Result{Scenario: "hugetxn", Tool: "sluice", Setting: fmt.Sprintf("txn=%d rows", r.o.HugeTxnRows)}
	r.add(res, r.hugeRun(ctx, &res))
	return nil
}

func (r *Runner) hugeRun(ctx context.Context, res *Result) error {
	res.Load = LoadAvg()
	w := r.o.Workload
	w.Database = "sluice_bench_huge"
	mem := ""
	if r.o.Profile {
		mem = filepath.Join(r.o.Out, "hugetxn.heap.pprof")
		r.Profiles["hugetxn heap near peak RSS"] = mem
	}
	p, cfg, probe, err := r.startLive(ctx, "hugetxn", w, mem)
	if err != nil {
		return err
	}
	if mem != "" {
		defer p.WatchPeak()()
	}
	defer r.dropTopic(cfg.Topic)
	base, _ := r.k.Count(ctx, cfg.Topic)
	w.Mix, w.Conns, w.StmtRows, w.TxnRows = Mix{Insert: 1}, 1, 1000, int(r.o.HugeTxnRows)
	g := NewGenerator(w, r.o.Admin, probe.NextID())
	t0 := time.Now()
	wr, err := g.Run(ctx, r.o.HugeTxnRows, 0)
	if err != nil {
		p.Stop(0, 10*time.Second)
		return err
	}
	r.o.Log.Info("huge transaction committed", "rows", wr.Events, "in", wr.Elapsed.Round(time.Millisecond))
	samples, werr := r.k.WaitCount(ctx, base+wr.Events, p.Pid, stall*2, cfg.Topic)
	u, _ := p.Stop(0, 30*time.Second)
	res.CPUTotal = u.CPU
	res.fillProc(samples, base)
	if u.MaxRSS > res.PeakRSS {
		res.PeakRSS = u.MaxRSS
	}
	if werr != nil {
		return fmt.Errorf("%w; sluice log %s: %s", werr, p.Log, p.Tail(600))
	}
	last := samples[len(samples)-1]
	res.Events = last.Count - base
	res.Wall = last.At.Sub(t0)
	// The topic starts with the probe row: the span starts after it.
	first, lastT, err := r.spanFrom(ctx, cfg.Topic, base)
	if err == nil {
		res.Span = lastT.Sub(first)
		if res.Span > 0 {
			res.RowsPerSec = float64(res.Events) / res.Span.Seconds()
		}
	}
	res.Bytes = topicBytes(r.o.KafkaLogDir, cfg.Topic)
	res.Load += " → " + LoadAvg()
	return err
}

// Debezium.

const dbzUser = "sluice_bench_dbz"

func (r *Runner) prepareDebezium() error {
	if r.o.DebeziumScript == "" {
		return errors.New("no debezium script")
	}
	if _, err := os.Stat(r.o.DebeziumScript); err != nil {
		return err
	}
	// Resolve once up front so that the first timed run does not include
	// Maven.
	out, err := execOutput("bash", r.o.DebeziumScript, "resolve")
	if err != nil {
		return fmt.Errorf("bench/debezium.sh resolve: %w: %s", err, out)
	}
	if v, err := os.ReadFile(filepath.Join(lastLine(out), ".version")); err == nil {
		r.DebeziumVersion = string(trimNL(v))
	}
	return r.o.Admin.Exec(
		"CREATE USER IF NOT EXISTS '"+dbzUser+"'@'%' IDENTIFIED BY 'dbz'",
		"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO '"+dbzUser+"'@'%'",
	)
}

func (r *Runner) dbzConfig(name, db, table, mode string) DebeziumConfig {
	return DebeziumConfig{
		Script: r.o.DebeziumScript, Dir: filepath.Join(r.o.Out, "runs", "debezium-"+name),
		MySQL: MySQL{Addr: r.o.Admin.Addr, User: dbzUser, Password: "dbz"}, ServerID: r.serverID(),
		Database: db, Table: db + "." + table, Prefix: "sluice-bench-" + r.runID + "-dbz-" + name,
		SnapshotMode: mode, Brokers: r.o.Brokers, RESTPort: 18083 + rand.Intn(500),
	}
}

// dbzRun runs Connect until want records are on the connector's topic.
func (r *Runner) dbzRun(ctx context.Context, res *Result, c DebeziumConfig, base, want int64) error {
	res.Tool = "debezium"
	res.Load = LoadAvg()
	q0, _ := r.o.Admin.Questions()
	p, err := StartDebezium(c)
	if err != nil {
		return err
	}
	samples, werr := r.k.WaitCount(ctx, base+want, p.Pid, 3*stall, c.Topic())
	q1, _ := r.o.Admin.Questions()
	u, serr := p.Stop(syscall.SIGTERM, 60*time.Second)
	res.CPUTotal = u.CPU
	res.fillProc(samples, base)
	if u.MaxRSS > res.PeakRSS {
		res.PeakRSS = u.MaxRSS
	}
	if werr != nil {
		return fmt.Errorf("%w; connect log %s: %s", werr, p.Log, p.Tail(1500))
	}
	last := samples[len(samples)-1]
	res.Events = last.Count - base
	res.Wall = last.At.Sub(p.Started)
	if s := res.Wall.Seconds(); s > 0 {
		res.QPS = float64(q1-q0) / s
	}
	// The span of this run's records: from the first after base.
	first, lastT, err := r.spanFrom(ctx, c.Topic(), base)
	if err != nil {
		return err
	}
	res.Span = lastT.Sub(first)
	if res.Span > 0 {
		res.RowsPerSec = float64(res.Events) / res.Span.Seconds()
	}
	res.Bytes = topicBytes(r.o.KafkaLogDir, c.Topic())
	res.Load += " → " + LoadAvg()
	return serr
}

func (r *Runner) debeziumSnapshot(ctx context.Context, db string) (Result, error) {
	res := Result{Scenario: "snapshot", Tool: "debezium", Setting: "default"}
	c := r.dbzConfig("snap", db, "t1", "initial")
	_ = os.RemoveAll(c.Dir)
	if err := r.k.CreateTopic(ctx, c.Topic(), 1); err != nil {
		return res, err
	}
	defer r.dropTopic(c.Topic())
	err := r.dbzRun(ctx, &res, c, 0, r.o.SnapshotRows)
	return res, err
}

// debeziumPark starts Debezium with no snapshot so that it stores a binlog
// offset, proves it streams with a probe row, and stops it. A later start
// with the same directory resumes from that offset: catch-up.
func (r *Runner) debeziumPark(ctx context.Context, w Workload) (*DebeziumConfig, int64, error) {
	c := r.dbzConfig("catchup", w.Database, "t1", "no_data")
	_ = os.RemoveAll(c.Dir) // fresh offsets: the park below sets them
	if err := r.k.CreateTopic(ctx, c.Topic(), 1); err != nil {
		return nil, 0, err
	}
	p, err := StartDebezium(c)
	if err != nil {
		return nil, 0, err
	}
	probe := w
	probe.Mix, probe.StmtRows, probe.TxnRows, probe.Conns = Mix{Insert: 1}, 1, 1, 1
	g := NewGenerator(probe, r.o.Admin, 1<<40) // ids far above the workload's
	deadline := time.Now().Add(3 * time.Minute)
	var n int64
	for n == 0 {
		if time.Now().After(deadline) || p.Exited() {
			p.Stop(0, 30*time.Second)
			return nil, 0, fmt.Errorf("debezium delivered no probe row within 3 minutes; log %s: %s", p.Log, p.Tail(1500))
		}
		if _, err := g.Run(ctx, 1, 0); err != nil {
			p.Stop(0, 30*time.Second)
			return nil, 0, err
		}
		time.Sleep(time.Second)
		n, _ = r.k.Count(ctx, c.Topic())
	}
	time.Sleep(2 * time.Second) // offsets flush every second
	if _, err := p.Stop(syscall.SIGTERM, 60*time.Second); err != nil {
		return nil, 0, err
	}
	n, err = r.k.Count(ctx, c.Topic())
	return &c, n, err
}

func (r *Runner) debeziumCatchup(ctx context.Context, c DebeziumConfig, base, want int64) (Result, error) {
	res := Result{Scenario: "catchup", Tool: "debezium", Setting: "default"}
	defer r.dropTopic(c.Topic())
	err := r.dbzRun(ctx, &res, c, base, want)
	return res, err
}

// spanFrom returns the append times of the record at offset from and of the
// last record of a one-partition topic.
func (r *Runner) spanFrom(ctx context.Context, topic string, from int64) (first, last time.Time, err error) {
	offs, err := r.k.EndOffsets(ctx, topic)
	if err != nil {
		return first, last, err
	}
	if err := r.k.Read(ctx, topic, map[int][2]int64{0: {from, from + 1}}, func(rec *kgo.Record) { first = rec.Timestamp }); err != nil {
		return first, last, err
	}
	err = r.k.Read(ctx, topic, map[int][2]int64{0: {offs[0] - 1, offs[0]}}, func(rec *kgo.Record) { last = rec.Timestamp })
	return first, last, err
}
