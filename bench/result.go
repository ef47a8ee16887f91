package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Result is one measured run.
type Result struct {
	Scenario string `json:"scenario"` // snapshot, catchup, live, hugetxn
	Tool     string `json:"tool"`     // sluice or debezium
	// Setting names what this run varies, e.g. "parallelism=4"; "default"
	// for Sluice's defaults.
	Setting string `json:"setting"`
	Events  int64  `json:"events"`
	// Span is the first to the last record's append time in Kafka; Wall the
	// process start (or, live, the first write) to the last record counted.
	Span time.Duration `json:"span_ns"`
	Wall time.Duration `json:"wall_ns"`
	// RowsPerSec is Events / Span.
	RowsPerSec float64 `json:"rows_per_sec"`
	// CPUWindow is the process's CPU time while records arrived, over
	// WindowEvents events; CPUTotal its whole life's (rusage).
	CPUWindow    time.Duration `json:"cpu_window_ns"`
	WindowEvents int64         `json:"window_events"`
	CPUTotal     time.Duration `json:"cpu_total_ns"`
	// PeakRSS is VmHWM (bytes); SteadyRSS the largest VmRSS sampled after
	// the first record arrived.
	PeakRSS   int64 `json:"peak_rss"`
	SteadyRSS int64 `json:"steady_rss"`
	// Bytes is the size of the topic's log segments on the broker's disk.
	Bytes int64 `json:"bytes"`
	// QPS is the source's Questions per second during the run.
	QPS float64 `json:"source_qps"`
	// Live runs: the rate asked, the rate the generator reached, and
	// freshness percentiles in milliseconds.
	TargetRate  int     `json:"target_rate,omitempty"`
	ReachedRate float64 `json:"reached_rate,omitempty"`
	P50         float64 `json:"p50_ms,omitempty"`
	P95         float64 `json:"p95_ms,omitempty"`
	P99         float64 `json:"p99_ms,omitempty"`
	Max         float64 `json:"max_ms,omitempty"`
	// Load is the load average before and after the run.
	Load string `json:"load"`
	Err  string `json:"error,omitempty"`
}

// CPUPerMillion is CPU seconds per million row events, over the window
// records arrived.
func (r Result) CPUPerMillion() float64 {
	if r.WindowEvents <= 0 {
		return 0
	}
	return r.CPUWindow.Seconds() / float64(r.WindowEvents) * 1e6
}

// fillProc sets the CPU window and RSS figures from samples of a wait that
// started with base records already on the topic.
func (r *Result) fillProc(samples []Sample, base int64) {
	var first *Sample
	for i := range samples {
		s := &samples[i]
		if s.Proc.HWM == 0 {
			continue
		}
		if first == nil && s.Count > base {
			first = s
		}
		if first != nil && s.Proc.RSS > r.SteadyRSS {
			r.SteadyRSS = s.Proc.RSS
		}
		if s.Proc.HWM > r.PeakRSS {
			r.PeakRSS = s.Proc.HWM
		}
	}
	if first == nil {
		return
	}
	last := samples[len(samples)-1]
	for i := len(samples) - 1; i >= 0 && samples[i].Proc.HWM == 0; i-- {
		last = samples[i]
	}
	r.CPUWindow = last.Proc.CPU - first.Proc.CPU
	r.WindowEvents = last.Count - first.Count
}

// LoadAvg is the first three fields of /proc/loadavg.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// topicBytes sums the log segment sizes of topic's partitions under the
// broker's log dir (0 when the dir is not local).
func topicBytes(logDir, topic string) int64 {
	if logDir == "" {
		return 0
	}
	var n int64
	dirs, _ := filepath.Glob(filepath.Join(logDir, topic+"-*"))
	for _, d := range dirs {
		// topic-N exactly: a longer topic name with the same prefix would
		// also match the glob.
		if !isPartitionDir(filepath.Base(d), topic) {
			continue
		}
		segs, _ := filepath.Glob(filepath.Join(d, "*.log"))
		for _, s := range segs {
			if fi, err := os.Stat(s); err == nil {
				n += fi.Size()
			}
		}
	}
	return n
}

func isPartitionDir(base, topic string) bool {
	rest, ok := strings.CutPrefix(base, topic+"-")
	if !ok || rest == "" {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// tsMicros finds the row's ts_us value in a JSON record (canal-json writes
// it as a string, Debezium's JSON as a number) and returns it, or 0.
func tsMicros(v []byte) int64 {
	i := bytes.Index(v, []byte(`"ts_us":`))
	if i < 0 {
		return 0
	}
	v = v[i+len(`"ts_us":`):]
	for len(v) > 0 && (v[0] == '"' || v[0] == ' ') {
		v = v[1:]
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// isDelete reports whether a JSON record is a delete (canal-json's
// "type":"DELETE", Debezium's "op":"d").
func isDelete(v []byte) bool {
	return bytes.Contains(v, []byte(`"type":"DELETE"`)) || bytes.Contains(v, []byte(`"op":"d"`))
}
