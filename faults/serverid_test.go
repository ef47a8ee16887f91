package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestServerIDInUse_KickedTaskStopsNamingTheConflict: two tasks (their own
// checkpoint directories and topics) given one server_id kick each other off
// the server, which keeps one replica per server_id. The one kicked must stop
// within seconds with an error naming the server_id and the fix, not
// reconnect forever with only the server's text (issue 17, defect 11); the
// other keeps running.
func TestServerIDInUse_KickedTaskStopsNamingTheConflict(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	a := newTopo(t, "sid-a", db, testbed.NewTopic(t, 2))
	b := newTopo(t, "sid-b", db, testbed.NewTopic(t, 2))
	b.ServerID = a.ServerID
	writes := w.run(1000, 0)
	defer writes.stop()
	first := a.start(t)
	waitForWrites(t, broker, a.Topic, 200, time.Minute, first)

	started := time.Now()
	second := b.start(t)
	want := fmt.Sprintf("another replica (perhaps another Sluice task) is connected with server_id %d: "+
		"give each task its own server_id under the source in the topology", a.ServerID)
	var kicked, other *proc
	for kicked == nil && time.Since(started) < 60*time.Second {
		switch {
		case !first.running():
			kicked, other = first, second
		case !second.running():
			kicked, other = second, first
		default:
			time.Sleep(100 * time.Millisecond)
		}
	}
	took := time.Since(started)
	if kicked == nil {
		t.Fatalf("both tasks still running after %s; first's log:\n%s\nsecond's log:\n%s",
			took, tail(first.log(), 15), tail(second.log(), 15))
	}
	if kicked.exit != 1 || !strings.Contains(kicked.log(), want) {
		t.Fatalf("kicked task: exit %d after %s, want 1 with %q; log:\n%s", kicked.exit, took, want, tail(kicked.log(), 15))
	}
	if took > 20*time.Second {
		t.Errorf("the kicked task stopped only after %s; want within a few seconds", took)
	}
	t.Logf("kicked task stopped in %s: %s", took.Round(10*time.Millisecond), strings.TrimSpace(tail(kicked.log(), 1)))

	// The other is unaffected: it stays connected and keeps writing.
	otherTopic := a.Topic
	if other == second {
		otherTopic = b.Topic
	}
	offs, err := endOffsets(t.Context(), broker, otherTopic)
	if err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, broker, otherTopic, sum(offs)+100, 30*time.Second, other)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	if code := other.term(60 * time.Second); code != 0 {
		t.Errorf("the other task: graceful stop exit %d", code)
	}
}
