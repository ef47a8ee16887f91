package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/topology"
)

// snapshotDefault is the setting of the snapshot run at the parallelism a
// topology without one gets on this machine.
func snapshotDefault() string {
	return fmt.Sprintf("parallelism=%d", topology.SnapshotSettings{}.Readers())
}

// Meta states the conditions of a run.
type Meta struct {
	Started, Finished time.Time
	Machine           string // cores, CPU model, memory
	MariaDB, Kafka    string
	Sluice, Debezium  string
	LoadStart         string
	LoadEnd           string
	Workload          string
	Notes             []string
	// Profiles maps a run to `go tool pprof -top` output.
	Profiles map[string]string
	// DebeziumErr says why the anchor did not run.
	DebeziumErr string
}

// Report is a run's results and conditions.
type Report struct {
	Meta    Meta
	Results []Result
}

// Machine describes this machine: cores, CPU model, memory.
func Machine() string {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, model, _ = strings.Cut(l, ":")
				model = strings.TrimSpace(model)
				break
			}
		}
	}
	mem := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = statusKB(b, "MemTotal:") >> 20
	}
	return fmt.Sprintf("%d cores (%s), %d GiB RAM", numCPU(), model, mem)
}

func (rep Report) find(scenario, tool, setting string) (Result, bool) {
	for _, r := range rep.Results {
		if r.Scenario == scenario && r.Tool == tool && (setting == "" || r.Setting == setting) && r.Err == "" {
			return r, true
		}
	}
	return Result{}, false
}

func (rep Report) bestOf(scenario, tool string) (Result, bool) {
	var best Result
	ok := false
	for _, r := range rep.Results {
		if r.Scenario == scenario && r.Tool == tool && r.Err == "" && r.RowsPerSec > best.RowsPerSec {
			best, ok = r, true
		}
	}
	return best, ok
}

// Goal is one target of the project, checked against a run.
type Goal struct {
	What, Measured string
	Met            string // yes, no, or n/a (not measured)
}

// Goals checks the project's goals against the results.
func (rep Report) Goals() []Goal {
	var gs []Goal
	add := func(what string, ok bool, met bool, format string, args ...any) {
		g := Goal{What: what, Met: "n/a", Measured: "not measured"}
		if ok {
			g.Measured = fmt.Sprintf(format, args...)
			g.Met = "no"
			if met {
				g.Met = "yes"
			}
		}
		gs = append(gs, g)
	}
	cu, okC := rep.find("catchup", "sluice", "default")
	add("binlog catch-up ≥ 100k row events/s", okC, cu.RowsPerSec >= 100e3, "%.0f rows/s", cu.RowsPerSec)
	dcu, okD := rep.find("catchup", "debezium", "")
	add("catch-up ≥ 4× Debezium", okC && okD, okD && cu.RowsPerSec >= 4*dcu.RowsPerSec, "%.2f×", ratio(cu.RowsPerSec, dcu.RowsPerSec))
	sn, okS := rep.bestOf("snapshot", "sluice")
	add("snapshot ≥ 150k rows/s", okS, sn.RowsPerSec >= 150e3, "%.0f rows/s (%s)", sn.RowsPerSec, sn.Setting)
	dsn, okDS := rep.find("snapshot", "debezium", "")
	add("snapshot ≥ 10× Debezium", okS && okDS, okDS && sn.RowsPerSec >= 10*dsn.RowsPerSec, "%.2f×", ratio(sn.RowsPerSec, dsn.RowsPerSec))
	lv, okL := rep.find("live", "sluice", "rate=10000")
	add("freshness p99 ≤ 50 ms at 10k rows/s", okL, lv.P99 <= 50, "p99 %.1f ms (reached %.0f rows/s)", lv.P99, lv.ReachedRate)
	add("≤ 3 µs CPU per row event (catch-up)", okC, cu.CPUPerMillion() <= 3, "%.2f µs", cu.CPUPerMillion())
	var steady int64
	var steadyOK bool
	for _, r := range rep.Results {
		if r.Tool == "sluice" && r.Err == "" && r.Scenario != "hugetxn" && r.Setting != "inflight_bytes=256MiB" {
			steady = max(steady, r.PeakRSS)
			steadyOK = true
		}
	}
	add("RSS ≤ 150 MiB steady (peak of every default-budget run)", steadyOK, steady <= 150<<20, "%s", mib(steady))
	hg, okH := rep.find("hugetxn", "sluice", "")
	add("RSS ≤ 150 MiB during the 1M-row transaction", okH, hg.PeakRSS <= 150<<20, "%s", mib(hg.PeakRSS))
	return gs
}

func numCPU() int { return runtime.NumCPU() }

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func rate(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", v)
}

// Markdown renders the report.
func (rep Report) Markdown() string {
	var b strings.Builder
	m := rep.Meta
	fmt.Fprintf(&b, "# Sluice benchmark, %s\n\n", m.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "| condition | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| machine | %s |\n| load average (1/5/15 min) | %s at start, %s at end |\n", m.Machine, m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "| duration | %s |\n", m.Finished.Sub(m.Started).Round(time.Second))
	fmt.Fprintf(&b, "| MariaDB | %s |\n| Kafka | %s (one broker, acks=all, co-located) |\n| Sluice | %s |\n", m.MariaDB, m.Kafka, m.Sluice)
	if m.Debezium != "" {
		fmt.Fprintf(&b, "| Debezium | %s |\n", m.Debezium)
	}
	fmt.Fprintf(&b, "| workload | %s |\n\n", m.Workload)
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if len(m.Notes) > 0 {
		b.WriteString("\n")
	}

	b.WriteString("## Goals\n\n| goal | measured | met |\n|---|---|---|\n")
	for _, g := range rep.Goals() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", g.What, g.Measured, g.Met)
	}

	b.WriteString("\n## Runs\n\nrows/s is counted in Kafka over the first to last record's append time; CPU is the process's (from /proc) while records arrived, per million row events; peak RSS is VmHWM.\n\n")
	b.WriteString("| scenario | tool | setting | events | rows/s | wall | CPU s / M events | peak RSS | bytes in Kafka | source q/s | p50 / p95 / p99 / max ms | load | error |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n")
	for _, r := range rep.Results {
		fresh := ""
		if r.Scenario == "live" && r.Err == "" {
			fresh = fmt.Sprintf("%.1f / %.1f / %.1f / %.1f (asked %d/s, reached %.0f/s)", r.P50, r.P95, r.P99, r.Max, r.TargetRate, r.ReachedRate)
		}
		q := ""
		if r.QPS > 0 {
			q = fmt.Sprintf("%.0f", r.QPS)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %.2f | %s | %.1f MiB | %s | %s | %s | %s |\n",
			r.Scenario, r.Tool, r.Setting, r.Events, rate(r.RowsPerSec), r.Wall.Round(10*time.Millisecond),
			r.CPUPerMillion(), mib(r.PeakRSS), float64(r.Bytes)/(1<<20), q, fresh, r.Load, oneLine(r.Err))
	}

	b.WriteString("\n## Best setting per scenario\n\n| scenario | best setting | rows/s | vs default |\n|---|---|---:|---:|\n")
	for _, sc := range []string{"snapshot", "catchup-sweep"} {
		best, ok := rep.bestOf(sc, "sluice")
		if !ok {
			continue
		}
		def := ""
		if d, ok := rep.find(sc, "sluice", "default"); ok {
			def = fmt.Sprintf("%+.0f%%", (best.RowsPerSec/d.RowsPerSec-1)*100)
		} else if d, ok := rep.find(sc, "sluice", snapshotDefault()); ok {
			def = fmt.Sprintf("%+.0f%% (default %s)", (best.RowsPerSec/d.RowsPerSec-1)*100, snapshotDefault())
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s |\n", sc, best.Setting, best.RowsPerSec, def)
	}

	b.WriteString("\n## Sluice / Debezium\n\n")
	if m.DebeziumErr != "" {
		fmt.Fprintf(&b, "Debezium did not run: %s\n", oneLine(m.DebeziumErr))
	} else {
		b.WriteString("| scenario | throughput ratio | CPU per event ratio (Debezium / Sluice) | peak RSS ratio (Debezium / Sluice) |\n|---|---:|---:|---:|\n")
		for _, sc := range []string{"snapshot", "catchup"} {
			d, okD := rep.find(sc, "debezium", "")
			var s Result
			var okS bool
			if sc == "snapshot" {
				s, okS = rep.find(sc, "sluice", snapshotDefault())
			} else {
				s, okS = rep.find(sc, "sluice", "default")
			}
			if !okD || !okS {
				fmt.Fprintf(&b, "| %s | not measured | | |\n", sc)
				continue
			}
			fmt.Fprintf(&b, "| %s (%s) | %.2f× (%.0f vs %.0f rows/s) | %.2f× (%.2f vs %.2f CPU s/M) | %.2f× (%s vs %s) |\n",
				sc, s.Setting, ratio(s.RowsPerSec, d.RowsPerSec), s.RowsPerSec, d.RowsPerSec,
				ratio(d.CPUPerMillion(), s.CPUPerMillion()), d.CPUPerMillion(), s.CPUPerMillion(),
				ratio(float64(d.PeakRSS), float64(s.PeakRSS)), mib(d.PeakRSS), mib(s.PeakRSS))
		}
	}
	if len(m.Profiles) > 0 {
		b.WriteString("\n## Profiles\n")
		keys := make([]string, 0, len(m.Profiles))
		for k := range m.Profiles {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n### %s\n\n```\n%s\n```\n", k, strings.TrimSpace(m.Profiles[k]))
		}
	}
	b.WriteString("\n## Plots\n\n![snapshot](snapshot.png)\n![catch-up sweep](sweep.png)\n![freshness](freshness.png)\n![sluice vs debezium](debezium.png)\n")
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Write saves report.md, results.json and the plots into dir.
func (rep Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	for name, c := range rep.Charts() {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = c.WritePNG(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Charts returns the report's plots by file name.
func (rep Report) Charts() map[string]Chart {
	out := map[string]Chart{}
	bars := func(title, xl, yl, scenario string, goal float64, goalLabel string) (Chart, bool) {
		c := Chart{Title: title, XLabel: xl, YLabel: yl, Bars: true, Goal: goal, GoalLabel: goalLabel}
		s := Series{Name: "sluice"}
		for _, r := range rep.Results {
			if r.Scenario == scenario && r.Tool == "sluice" {
				c.Categories = append(c.Categories, shortSetting(r.Setting))
				v := r.RowsPerSec
				if r.Err != "" {
					v = math.NaN()
				}
				s.Values = append(s.Values, v)
			}
		}
		c.Series = []Series{s}
		return c, len(c.Categories) > 0
	}
	if c, ok := bars("Snapshot throughput vs setting", "setting", "rows/s", "snapshot", 150e3, "goal 150k"); ok {
		out["snapshot.png"] = c
	}
	if c, ok := bars("Catch-up throughput vs setting", "setting", "rows/s", "catchup-sweep", 100e3, "goal 100k"); ok {
		out["sweep.png"] = c
	}
	fc := Chart{Title: "Freshness vs rate (commit to Kafka append)", XLabel: "target rows/s", YLabel: "ms", Goal: 50, GoalLabel: "goal p99 50ms"}
	p50, p95, p99 := Series{Name: "p50"}, Series{Name: "p95"}, Series{Name: "p99"}
	for _, r := range rep.Results {
		if r.Scenario != "live" {
			continue
		}
		fc.Categories = append(fc.Categories, fmt.Sprintf("%d", r.TargetRate))
		if r.Err != "" {
			p50.Values, p95.Values, p99.Values = append(p50.Values, math.NaN()), append(p95.Values, math.NaN()), append(p99.Values, math.NaN())
			continue
		}
		p50.Values, p95.Values, p99.Values = append(p50.Values, r.P50), append(p95.Values, r.P95), append(p99.Values, r.P99)
	}
	if len(fc.Categories) > 0 {
		fc.Series = []Series{p50, p95, p99}
		out["freshness.png"] = fc
	}
	dc := Chart{Title: "Sluice vs Debezium throughput", XLabel: "scenario", YLabel: "rows/s", Bars: true}
	sl, db := Series{Name: "sluice"}, Series{Name: "debezium"}
	for _, sc := range []string{"snapshot", "catchup"} {
		d, okD := rep.find(sc, "debezium", "")
		if !okD {
			continue
		}
		var s Result
		if sc == "snapshot" {
			s, _ = rep.find(sc, "sluice", snapshotDefault())
		} else {
			s, _ = rep.find(sc, "sluice", "default")
		}
		dc.Categories = append(dc.Categories, sc)
		sl.Values = append(sl.Values, s.RowsPerSec)
		db.Values = append(db.Values, d.RowsPerSec)
	}
	if len(dc.Categories) > 0 {
		dc.Series = []Series{sl, db}
		out["debezium.png"] = dc
	}
	return out
}

// shortSetting abbreviates a setting for a chart's axis.
func shortSetting(s string) string {
	return strings.NewReplacer("compression=", "comp=", "batch_bytes=", "batch=", "inflight_bytes=", "inflight=",
		"parallelism=", "par=", "chunk_size=", "chunk=", "partitions=", "part=").Replace(s)
}
