package faults

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestKafkaOutage_WaitsWithinBudget stops a private Kafka broker for a
// minute (five in the long form) while writes continue on MariaDB. Sluice
// must keep running, its memory must stay within the in-flight budget plus
// a fixed overhead (the binlog reader stops reading instead of buffering),
// and everything must arrive once the broker is back.
func TestKafkaOutage_WaitsWithinBudget(t *testing.T) {
	needBed(t)
	t.Parallel()
	const budget = 16 << 20
	// The bound: the budget bounds the decoded changes in flight; their
	// encoded records (JSON is up to about three times larger) are held too
	// until Kafka acknowledges them, so 4 x budget. overhead is the rest,
	// independent of the backlog: code, runtime, kafka-go and go-mysql
	// buffers, the actor system — about 60 MiB at rest on the bed. A reader
	// that buffered the outage (180k changes, ~60 MiB of rows in the short
	// form, 5x that in chaos) would exceed it several times over.
	const bound = 4*budget + 64<<20
	outage := pick(60*time.Second, 5*time.Minute)
	kb := startPrivate(t, "kafka")
	db := testbed.NewDatabase(t)
	w := bedWorkload(t, db, "w1", "w2", "w3")
	w.Pad = 200
	tp := newTopo(t, "kafka-outage", db, "outage")
	tp.Brokers, tp.Partitions, tp.Inflight = kb.addr, 3, "16MiB"
	writes := w.run(3000, 0)
	defer writes.stop()

	p := tp.start(t)
	waitForWrites(t, kb.addr, "outage", 0, time.Minute, p)
	time.Sleep(5 * time.Second)
	before := p.peakRSS.Load()

	kb.kill(t, syscall.SIGTERM)
	stopped := time.Now()
	changesAtStop := w.changes.Load()
	time.Sleep(outage)
	if !p.running() {
		t.Fatalf("sluice exited (code %d) while Kafka was down; log:\n%s", p.exit, tail(p.log(), 20))
	}
	during := p.peakRSS.Load()
	written := w.changes.Load() - changesAtStop
	kb.start(t)
	restarted := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	offs, err := endOffsets(ctx, kb.addr, "outage")
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	at := waitForWrites(t, kb.addr, "outage", sum(offs), 3*time.Minute, p)
	time.Sleep(3 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, kb.addr, "outage", source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w3": {"id"}}}, 5*time.Minute)
	peak := p.peakRSS.Load()
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	if during > bound {
		t.Errorf("peak RSS during the outage %d MiB, over 4 x the budget %d MiB + 64 MiB", during>>20, budget>>20)
	}
	if peak > bound {
		t.Errorf("peak RSS over the run %d MiB, over 4 x the budget %d MiB + 64 MiB", peak>>20, budget>>20)
	}
	t.Logf("RESULT kafka-outage: outage %s (broker down %s), row changes during it %d, total %d, source rows verified %d, records %d, lost 0, duplicates %d, "+
		"peak RSS before %d MiB, during %d MiB, whole run %d MiB (budget 16 MiB), first write %s after the broker restart",
		outage, restarted.Sub(stopped).Round(time.Second), written, w.changes.Load(), out.Rows, out.Records, out.Duplicates,
		before>>20, during>>20, peak>>20, at.Sub(restarted).Round(100*time.Millisecond))
}
