package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// proxiedTopo is a topology whose source reaches the bed's MariaDB through
// a Proxy, closed in Cleanup.
func proxiedTopo(t *testing.T, task, db, topic string) (*topo, *Proxy) {
	t.Helper()
	px, err := NewProxy(testbed.MySQL(t).Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	tp := newTopo(t, task, db, topic)
	tp.Host, tp.Port = "127.0.0.1", px.Port()
	return tp, px
}

// TestMariaDBCut_RetriesAndResumes slows the link between sluice and
// MariaDB, then cuts it (connections reset, new ones refused) while writes
// continue on the server. Sluice must keep running, reconnect when the link
// returns, and deliver every change.
func TestMariaDBCut_RetriesAndResumes(t *testing.T) {
	needBed(t)
	t.Parallel()
	cuts := pick(1, 3)
	cutFor := pick(30*time.Second, 60*time.Second)
	slowFor := pick(10*time.Second, 60*time.Second)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 3)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1", "w2", "w3")
	tp, px := proxiedTopo(t, "mariadb-cut", db, topic)
	writes := w.run(3000, 0)
	defer writes.stop()

	p := tp.start(t)
	waitForWrites(t, broker, topic, 0, 30*time.Second, p)

	px.SetLatency(50 * time.Millisecond)
	time.Sleep(slowFor)
	px.SetLatency(0)

	var recoveries []time.Duration
	for i := range cuts {
		px.Cut()
		time.Sleep(cutFor)
		if !p.running() {
			t.Fatalf("cut %d: sluice exited (code %d) within the retry window; log:\n%s", i+1, p.exit, tail(p.log(), 20))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := px.Restore(); err != nil {
			t.Fatal(err)
		}
		restored := time.Now()
		at := waitForWrites(t, broker, topic, sum(offs), 2*time.Minute, p)
		recoveries = append(recoveries, at.Sub(restored))
		time.Sleep(3 * time.Second)
	}
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}, 3*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("RESULT mariadb-cut: latency 50ms for %s, cuts %d x %s, row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d, recovery after restore %v, connections through the proxy %d",
		slowFor, cuts, cutFor, w.changes.Load(), out.Rows, out.Records, out.Duplicates, recoveries, px.Accepted())
}

// TestMariaDBCut_RetryWindowExceeded cuts the link for longer than the
// source's retry window: sluice must exit non-zero with a message naming
// what was unreachable and since when; once the link is back, a restart
// resumes from the checkpoint with nothing lost.
func TestMariaDBCut_RetryWindowExceeded(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1", "w2")
	tp, px := proxiedTopo(t, "retry-window", db, topic)
	tp.Retry = "10s"
	writes := w.run(2000, 0)
	defer writes.stop()

	p := tp.start(t)
	waitForWrites(t, broker, topic, 0, 30*time.Second, p)
	time.Sleep(2 * time.Second)
	px.Cut()
	cutAt := time.Now()
	var code int
	select {
	case <-p.done:
		code = p.exit
	case <-time.After(30 * time.Second):
		t.Fatalf("sluice still running 30s into a cut with retry_window 10s; log:\n%s", tail(p.log(), 20))
	}
	failedAfter := time.Since(cutAt)
	last := tail(p.log(), 3)
	if code == 0 {
		t.Errorf("exit 0 after the retry window, want non-zero")
	}
	for _, want := range []string{"retry window", "10s", px.Addr(), "since"} {
		if !strings.Contains(last, want) {
			t.Errorf("the error does not say %q:\n%s", want, last)
		}
	}
	t.Logf("exit %d after %s: %s", code, failedAfter.Round(100*time.Millisecond), tail(last, 1))
	if failedAfter < 10*time.Second {
		t.Errorf("gave up %s into the cut, before the 10s retry window", failedAfter)
	}

	if err := px.Restore(); err != nil {
		t.Fatal(err)
	}
	p = tp.start(t)
	time.Sleep(3 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}}}, 2*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("RESULT retry-window: failed %s after the cut (window 10s), row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d",
		failedAfter.Round(100*time.Millisecond), w.changes.Load(), out.Rows, out.Records, out.Duplicates)
}
