package sink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/status"
)

// gatedWriter is a Writer whose records become durable only at Commit, and
// whose Commits wait for the test to open the gate: a transactional writer
// seen from the actor.
type gatedWriter struct {
	gate chan struct{}

	mu      sync.Mutex
	open    []*kafkarecord.Pending
	commits int
}

func (g *gatedWriter) Submit([]kafkarecord.Message) *kafkarecord.Pending {
	p := kafkarecord.NewPending(1, nil)
	g.mu.Lock()
	g.open = append(g.open, p)
	g.mu.Unlock()
	return p
}

func (g *gatedWriter) Commit(context.Context) error {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	g.commits++
	for _, p := range g.open {
		p.Settle(1, nil)
	}
	g.open = nil
	return nil
}

func (g *gatedWriter) Close() error { return nil }

var _ Writer = (*gatedWriter)(nil)

func spawnSink(t *testing.T, open func() (Writer, error)) (*actor.ActorSystem, *actor.PID, chan any) {
	t.Helper()
	system := actor.NewActorSystem()
	acks := make(chan any, 100)
	pid := system.Root.Spawn(actor.PropsFromProducer(New(Config{
		Name: "k", Checkpointer: probe(system, acks), RetryWindow: time.Minute, Status: status.NewRegistry().Sink("k"),
		Logger: slog.New(slog.DiscardHandler), Open: open,
	})))
	t.Cleanup(func() { system.Root.Stop(pid) })
	return system, pid, acks
}

func TestActor_AcknowledgesOnlyWhatIsCommitted(t *testing.T) {
	g := &gatedWriter{gate: make(chan struct{})}
	system, pid, acks := spawnSink(t, func() (Writer, error) { return g, nil })
	for _, w := range writes(3, 2) {
		system.Root.Send(pid, w)
	}
	select {
	case m := <-acks:
		t.Fatalf("%+v acknowledged before any Commit returned", m)
	case <-time.After(200 * time.Millisecond):
	}
	close(g.gate)
	for i := 0; i < 3; i++ {
		select {
		case <-acks:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of 3 writes acknowledged after the commits", i)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// The first Commit covers the first Write; the two that came while it
	// waited share the one that follows it.
	if g.commits > 2 {
		t.Errorf("%d commits for 3 writes, want the later ones grouped (at most 2)", g.commits)
	}
}

func TestActor_RetriesAFailedOpenInPlace(t *testing.T) {
	g := &gatedWriter{gate: make(chan struct{})}
	close(g.gate)
	var mu sync.Mutex
	opens := 0
	system, pid, acks := spawnSink(t, func() (Writer, error) {
		mu.Lock()
		defer mu.Unlock()
		if opens++; opens < 3 {
			return nil, errors.New("dial tcp 127.0.0.1:9092: connection refused")
		}
		return g, nil
	})
	for _, w := range writes(2, 1) {
		system.Root.Send(pid, w)
	}
	acked := map[uint64]bool{}
	for len(acked) < 2 {
		select {
		case m := <-acks:
			acked[m.(*checkpointer.BatchAcked).ID] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of 2 writes acknowledged; the open was not retried", len(acked))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if opens != 3 {
		t.Errorf("opened %d times, want 3 (two refused, then open)", opens)
	}
}
