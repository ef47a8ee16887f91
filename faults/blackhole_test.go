package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
)

// signal sends sig to the private service's process without waiting.
func (b *privateBed) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	raw, err := os.ReadFile(b.pidFile())
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %q", b.pidFile(), raw)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%d %d: %v", sig, pid, err)
	}
}

// statusOf reads the task's /status; ok is false when it does not answer.
func statusOf(port int) (v status.TaskView, ok bool) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/status")
	if err != nil {
		return v, false
	}
	defer resp.Body.Close()
	return v, json.NewDecoder(resp.Body).Decode(&v) == nil && len(v.Sources) > 0 && len(v.Sinks) > 0
}

// endOffsetsRetried is endOffsets retried for a minute: a broker just
// resumed or restarted may answer metadata before its listener is back.
func endOffsetsRetried(t *testing.T, broker, topic string) map[int]int64 {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err == nil {
			return offs
		}
		if time.Now().After(deadline) {
			t.Fatalf("end offsets of %s: %v", topic, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestKafkaBlackHole_StallVisibleThenKill9 black-holes a private Kafka
// broker (SIGSTOP: its TCP connections stay open and nothing answers)
// for 20 s (120 s in the long form) while writes continue, then resumes
// it; then kills it with SIGKILL and starts it again. Sluice must not exit,
// must show the stall in /status while it lasts (the lag grows, the sink
// writes nothing), keep its memory within the in-flight budget's bound,
// and deliver every change in per-key order after each fault.
func TestKafkaBlackHole_StallVisibleThenKill9(t *testing.T) {
	needBed(t)
	t.Parallel()
	const budget = 16 << 20
	const bound = 4*budget + 64<<20 // as TestKafkaOutage_WaitsWithinBudget
	stall := pick(20*time.Second, 120*time.Second)
	kb := startPrivate(t, "kafka")
	db := testbed.NewDatabase(t)
	w := bedWorkload(t, db, "w1", "w2", "w3")
	w.Pad = 200
	tp := newTopo(t, "kafka-blackhole", db, "blackhole")
	tp.Brokers, tp.Partitions, tp.Inflight = kb.addr, 3, "16MiB"
	writes := w.run(2000, 0)
	defer writes.stop()

	p := tp.start(t)
	waitForWrites(t, kb.addr, "blackhole", 0, time.Minute, p)
	time.Sleep(5 * time.Second)
	before := p.peakRSS.Load()

	// 1. The black hole.
	kb.signal(t, syscall.SIGSTOP)
	stopped := time.Now()
	first, _ := statusOf(tp.HTTPPort)
	var last status.TaskView
	maxLag, maxInflight, samples := 0.0, int64(0), 0
	for time.Since(stopped) < stall {
		time.Sleep(time.Second)
		v, ok := statusOf(tp.HTTPPort)
		if !ok {
			continue
		}
		samples++
		last = v
		maxLag = max(maxLag, v.Sources[0].LagSeconds)
		maxInflight = max(maxInflight, v.Sources[0].InflightBytes)
	}
	if !p.running() {
		kb.signal(t, syscall.SIGCONT)
		t.Fatalf("sluice exited (code %d) while Kafka was black-holed; log:\n%s", p.exit, tail(p.log(), 20))
	}
	during := p.peakRSS.Load()
	kb.signal(t, syscall.SIGCONT)
	resumed := time.Now()
	if samples < 3 {
		t.Fatalf("/status answered %d times during the %s stall", samples, stall)
	}
	written := last.Sinks[0].Records - first.Sinks[0].Records
	// The stall as /status shows it: the sink acknowledged nothing for the
	// whole stall (beyond what was in flight at its start), the lag grew
	// with it, and the reader filled its budget and waited.
	if maxLag < stall.Seconds()/2 {
		t.Errorf("/status lag_seconds peaked at %.1f s during a %s stall: the stall is not visible", maxLag, stall)
	}
	if last.Sources[0].InflightBytes == 0 {
		t.Errorf("/status inflight_bytes 0 at the end of the stall: the reader is not holding changes for the silent broker")
	}
	offs := endOffsetsRetried(t, kb.addr, "blackhole")
	atResume := waitForWrites(t, kb.addr, "blackhole", sum(offs), 3*time.Minute, p)
	time.Sleep(3 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	src := source{conn: testbed.AdminConn(t), db: db, tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}
	outA := converge(t, kb.addr, "blackhole", src, 5*time.Minute)
	after := p.peakRSS.Load()
	if during > bound || after > bound {
		t.Errorf("peak RSS %d MiB during the stall, %d MiB after it: over 4 x the budget %d MiB + 64 MiB", during>>20, after>>20, budget>>20)
	}
	t.Logf("RESULT kafka-blackhole: broker SIGSTOPped %s under 2 000 changes/s; /status every 1 s (%d samples): lag_seconds up to %.1f, inflight_bytes up to %d KiB of 16 MiB, sink records +%d during the stall, retries %d→%d, last_error %q; "+
		"first write %s after SIGCONT; source rows verified %d, records %d, lost 0, duplicates %d; peak RSS before %d MiB, during %d MiB, after %d MiB (bound 128 MiB)",
		stall, samples, maxLag, maxInflight>>10, written, first.Sinks[0].Retries, last.Sinks[0].Retries, last.LastError,
		atResume.Sub(resumed).Round(100*time.Millisecond), outA.Rows, outA.Records, outA.Duplicates, before>>20, during>>20, after>>20)

	// 2. kill -9 and a restart of the broker.
	writes = w.run(2000, 0)
	time.Sleep(3 * time.Second)
	kb.kill(t, syscall.SIGKILL)
	killed := time.Now()
	time.Sleep(5 * time.Second)
	kb.start(t)
	restarted := time.Now()
	offs = endOffsetsRetried(t, kb.addr, "blackhole")
	atRestart := waitForWrites(t, kb.addr, "blackhole", sum(offs), 3*time.Minute, p)
	time.Sleep(3 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	outB := converge(t, kb.addr, "blackhole", src, 5*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("RESULT kafka-kill9: broker SIGKILLed, down %s (restart included); first write %s after it answered again; row changes written %d in all; source rows verified %d, records %d, lost 0, duplicates %d (%d since the kill)",
		restarted.Sub(killed).Round(100*time.Millisecond), atRestart.Sub(restarted).Round(100*time.Millisecond), w.changes.Load(),
		outB.Rows, outB.Records, outB.Duplicates, outB.Duplicates-outA.Duplicates)
}
