package faults

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Regression (issue 17, defect 9): a snapshot that read again after an
// outage kept the failure run of that outage, so a second short outage 30 s
// later, in the same snapshot, stopped the task "still failing after the
// retry window" of 20 s, and the backoff stayed where the first outage
// left it. Each outage must start its own window once the snapshot reads
// again.
func TestMariaDBCut_TwoShortOutagesInOneSnapshot(t *testing.T) {
	needBed(t)
	const rows, rate = 6000, 120 // a snapshot of about 50 s
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	w.fill(t, "w1", rows)
	tp, px := proxiedTopo(t, "two-outages", db, topic)
	tp.Start, tp.ChunkSize, tp.RowsPerSec, tp.Retry = "initial", 200, rate, "20s"

	p := tp.start(t)
	defer p.term(30 * time.Second)
	waitForWrites(t, broker, topic, 200, time.Minute, p)
	for i := range 2 {
		if i > 0 {
			time.Sleep(27 * time.Second) // the outages start 30 s apart
		}
		px.Cut()
		time.Sleep(3 * time.Second)
		if err := px.Restore(); err != nil {
			t.Fatal(err)
		}
		if n := sum(offsetsNow(t, broker, topic)); n >= rows {
			t.Fatalf("outage %d: the snapshot was over (%d records); make it longer", i+1, n)
		}
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}}}, 2*time.Minute)
	if !p.running() {
		t.Fatalf("sluice exited (code %d) after two 3 s outages with retry_window 20s; log:\n%s", p.exit, tail(p.log(), 20))
	}
	if n := strings.Count(p.log(), "source recovered"); n < 2 {
		t.Errorf("%d \"source recovered\" lines after two outages, want 2:\n%s", n, tail(p.log(), 30))
	}
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	t.Logf("RESULT two-outages: snapshot of %d rows at %d rows/s, two 3 s cuts 30 s apart, retry_window 20s: source rows verified %d, records %d, lost 0, duplicates %d",
		rows, rate, out.Rows, out.Records, out.Duplicates)
}
