package bench

import (
	"bytes"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/topology"
)

func TestParseColumns(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []Column
		wantErr string
	}{
		{in: "int,varchar:64, text", want: []Column{{Type: "int"}, {Type: "varchar", Len: 64}, {Type: "text", Len: 32}}},
		{in: "", want: nil},
		{in: "int:4", wantErr: "takes no length"},
		{in: "varchar:0", wantErr: "length must be"},
		{in: "blob", wantErr: "unknown type"},
	} {
		got, err := ParseColumns(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseColumns(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("ParseColumns(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseColumns(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("insert:70,update:20,delete:10")
	if err != nil || m != (Mix{70, 20, 10}) {
		t.Fatalf("ParseMix = %v, %v", m, err)
	}
	for _, bad := range []string{"insert:0", "upsert:1", "insert", "insert:-1"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) accepted", bad)
		}
	}
}

func TestGenerator_Upsert_RendersEveryColumn(t *testing.T) {
	cols, _ := ParseColumns("int,bigint,double,decimal,datetime,varchar:5")
	g := NewGenerator(Workload{Database: "d", Columns: cols, StmtRows: 2, Conns: 3}, MySQL{}, 1)
	rng := rand.New(rand.NewSource(1))
	sql := string(g.upsert(nil, 0, []int64{7, 10}, rng, true))
	if !strings.HasPrefix(sql, "INSERT INTO `t1` VALUES (7,") || !strings.Contains(sql, "),(10,") {
		t.Errorf("rows not rendered: %s", sql)
	}
	if !strings.HasSuffix(sql, "c5=VALUES(c5),c6=VALUES(c6)") {
		t.Errorf("update clause missing: %s", sql)
	}
	// 2 + 6 values per row.
	row := sql[strings.Index(sql, "(")+1 : strings.Index(sql, ")")]
	if n := len(strings.Split(row, ",")); n != 8 {
		t.Errorf("row %q has %d values, want 8", row, n)
	}
	if g.id(2, 5) != 1+5*3+2 {
		t.Errorf("id(2,5) = %d", g.id(2, 5))
	}
}

func TestGenerator_Stamp_StrictlyIncreases(t *testing.T) {
	g := NewGenerator(Workload{}, MySQL{}, 1)
	last := int64(0)
	for i := 0; i < 10000; i++ {
		v := g.stamp()
		if v <= last {
			t.Fatalf("stamp %d after %d", v, last)
		}
		last = v
	}
}

func TestParseStatCPU_CommandWithSpacesAndParens(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 250 and 50 ticks.
	stat := []byte("1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 4 0 100 1000000 500 18446744073709551615")
	got, err := parseStatCPU(stat)
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("no error on garbage")
	}
}

func TestStatusKB(t *testing.T) {
	status := []byte("Name:\tsluice\nVmPeak:\t  999 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n")
	if v := statusKB(status, "VmHWM:"); v != 51200 {
		t.Errorf("VmHWM = %d", v)
	}
	if v := statusKB(status, "VmSwap:"); v != 0 {
		t.Errorf("VmSwap = %d", v)
	}
}

func TestReadProc_Self(t *testing.T) {
	ps, err := ReadProc(os.Getpid())
	if err != nil || ps.HWM <= 0 || ps.RSS <= 0 || ps.RSS > ps.HWM {
		t.Fatalf("ReadProc(self) = %+v, %v", ps, err)
	}
}

func TestPercentiles_NearestRank(t *testing.T) {
	vs := make([]float64, 100)
	for i := range vs {
		vs[i] = float64(100 - i) // 100..1, unsorted
	}
	got := Percentiles(vs, 50, 95, 99, 100, 0)
	want := []float64{50, 95, 99, 100, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("p%v = %v, want %v", []float64{50, 95, 99, 100, 0}[i], got[i], want[i])
		}
	}
	if p := Percentiles(nil, 50); p[0] != 0 {
		t.Errorf("empty: %v", p)
	}
}

func TestTsMicros_CanalAndDebezium(t *testing.T) {
	for _, tc := range []struct {
		rec  string
		want int64
	}{
		{`{"data":[{"id":"1","ts_us":"1700000000123456","c1":"x"}],"type":"INSERT"}`, 1700000000123456},
		{`{"before":null,"after":{"id":1,"ts_us":1700000000000001},"op":"c"}`, 1700000000000001},
		{`{"data":[{"id":"1"}]}`, 0},
	} {
		if got := tsMicros([]byte(tc.rec)); got != tc.want {
			t.Errorf("tsMicros(%s) = %d, want %d", tc.rec, got, tc.want)
		}
	}
	if !isDelete([]byte(`{"type":"DELETE"}`)) || !isDelete([]byte(`{"op":"d"}`)) || isDelete([]byte(`{"type":"UPDATE"}`)) {
		t.Error("isDelete wrong")
	}
}

func TestIsPartitionDir(t *testing.T) {
	for dir, want := range map[string]bool{"t-0": true, "t-12": true, "t-x-0": false, "t-": false, "tt-0": false} {
		if got := isPartitionDir(dir, "t"); got != want {
			t.Errorf("isPartitionDir(%q) = %v", dir, got)
		}
	}
}

func TestSluiceConfig_Topology_IsValid(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []SluiceConfig{
		{Dir: dir, MySQL: MySQL{Addr: "127.0.0.1:33306", User: "sluice", Password: "sluice"}, ServerID: 47001,
			Tables: "db.*", Start: "mariadb-bin.000003:4", Incremental: true, Brokers: []string{"127.0.0.1:19092"}, Topic: "t",
			Sink: SinkSettings{Compression: "zstd", BatchBytes: "4MiB", Linger: "1ms", Partitions: 4}, Inflight: "16MiB", HTTPAddr: "127.0.0.1:18765"},
		{Dir: dir, MySQL: MySQL{Addr: "127.0.0.1:33306", User: "sluice", Password: "sluice"}, ServerID: 47002,
			Tables: "db.*", Start: "initial", Parallelism: 2, ChunkSize: 4096, Brokers: []string{"127.0.0.1:19092"}, Topic: "t"},
		{Dir: dir, MySQL: MySQL{Addr: "127.0.0.1:33306", User: "sluice", Password: "sluice"}, ServerID: 47003,
			Tables: "db.*", Start: "latest", Incremental: true, Brokers: []string{"127.0.0.1:19092"}, Topic: "t"},
	} {
		f := filepath.Join(dir, "topology.yaml")
		if err := os.WriteFile(f, []byte(c.Topology()), 0o644); err != nil {
			t.Fatal(err)
		}
		g, diags, err := topology.Load(f)
		if g == nil || err != nil {
			t.Errorf("topology for start %s does not load: %v\n%s\n%s", c.Start, err, diags, c.Topology())
		}
	}
}

func TestDebeziumConfig_Properties(t *testing.T) {
	c := DebeziumConfig{Dir: "/x", MySQL: MySQL{Addr: "127.0.0.1:33306", User: "u", Password: "p"}, ServerID: 5,
		Database: "db", Table: "db.t1", Prefix: "pre", SnapshotMode: "initial", Brokers: []string{"b:1"}, RESTPort: 18090}
	k := c.connector()
	for _, want := range []string{"database.port=33306", `table.include.list=db\\.t1`, "snapshot.mode=initial", "topic.prefix=pre", "tombstones.on.delete=false"} {
		if !strings.Contains(k, want+"\n") {
			t.Errorf("connector properties lack %q:\n%s", want, k)
		}
	}
	if !strings.Contains(c.worker(), "listeners=http://127.0.0.1:18090\n") || c.Topic() != "pre.db.t1" {
		t.Errorf("worker or topic wrong: %s %s", c.worker(), c.Topic())
	}
}

func TestChart_WritePNG(t *testing.T) {
	c := Chart{Title: "Throughput vs setting", XLabel: "setting", YLabel: "rows/s", Bars: true, Goal: 100e3, GoalLabel: "goal 100k",
		Categories: []string{"default", "linger=1ms", "broken"},
		Series:     []Series{{Name: "sluice", Values: []float64{120e3, 90e3, math.NaN()}}}}
	var buf bytes.Buffer
	if err := c.WritePNG(&buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != chartW || b.Dy() != chartH {
		t.Fatalf("size %v", b)
	}
	// The first bar's colour appears at its middle, just above the x axis.
	slot := float64(chartW-marginR-marginL) / 3
	x := marginL + int(slot*0.5) - int(slot*0.35) + int(slot*0.7)/2
	r, g, b, _ := img.At(x, chartH-marginB-5).RGBA()
	if want := palette[0]; uint8(r>>8) != want.R || uint8(g>>8) != want.G || uint8(b>>8) != want.B {
		t.Errorf("pixel at the first bar is %d,%d,%d, want %v", r>>8, g>>8, b>>8, want)
	}
}

func TestNiceStepAndShortNum(t *testing.T) {
	for raw, want := range map[float64]float64{0.7: 1, 13: 20, 30000: 50000, 1: 1} {
		if got := niceStep(raw); got != want {
			t.Errorf("niceStep(%v) = %v, want %v", raw, got, want)
		}
	}
	for v, want := range map[float64]string{150000: "150k", 2500000: "2.5M", 40: "40", 2.5: "2.5"} {
		if got := shortNum(v); got != want {
			t.Errorf("shortNum(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestReport_Goals(t *testing.T) {
	rep := Report{Results: []Result{
		{Scenario: "catchup", Tool: "sluice", Setting: "default", RowsPerSec: 120e3, CPUWindow: 2 * time.Second, WindowEvents: 1e6, PeakRSS: 100 << 20},
		{Scenario: "catchup", Tool: "debezium", Setting: "default", RowsPerSec: 40e3},
		{Scenario: "snapshot", Tool: "sluice", Setting: "parallelism=4", RowsPerSec: 140e3, PeakRSS: 160 << 20},
		{Scenario: "live", Tool: "sluice", Setting: "rate=10000", P99: 20, ReachedRate: 9990},
	}}
	got := map[string]string{}
	for _, g := range rep.Goals() {
		got[g.What] = g.Met
	}
	for what, want := range map[string]string{
		"binlog catch-up ≥ 100k row events/s":                     "yes",
		"catch-up ≥ 4× Debezium":                                  "no",
		"snapshot ≥ 150k rows/s":                                  "no",
		"snapshot ≥ 10× Debezium":                                 "n/a",
		"freshness p99 ≤ 50 ms at 10k rows/s":                     "yes",
		"≤ 3 µs CPU per row event (catch-up)":                     "yes",
		"RSS ≤ 150 MiB steady (peak of every default-budget run)": "no",
		"RSS ≤ 150 MiB during the 1M-row transaction":             "n/a",
	} {
		if got[what] != want {
			t.Errorf("goal %q met = %q, want %q", what, got[what], want)
		}
	}
	md := rep.Markdown()
	if !strings.Contains(md, "| catchup | sluice | default | 0 | 120000 |") {
		t.Errorf("markdown lacks the catch-up row:\n%s", md)
	}
}
