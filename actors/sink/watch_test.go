package sink

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/sink/partitions"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
)

// TestActor_PartitionCountChangedFailsTerminally: once Kafka reports another
// partition count for a topic the records are routed by, the sink fails
// with a terminal error naming the topic and both counts; failed reads and
// unchanged counts do not.
func TestActor_PartitionCountChangedFailsTerminally(t *testing.T) {
	system := actor.NewActorSystem()
	acks := make(chan any, 10)
	cp := probe(system, acks)
	var now atomic.Int32
	now.Store(3)
	var reads atomic.Int32
	describe := func(_ context.Context, topics []string) (map[string]int, error) {
		if len(topics) != 1 || topics[0] != "orders" {
			return nil, errors.New("asked for the wrong topics")
		}
		if reads.Add(1) == 2 {
			return nil, errors.New("metadata read failed") // ignored: the write path reports outages
		}
		return map[string]int{"orders": int(now.Load())}, nil
	}
	reasons := make(chan any, 1)
	pids := make(chan *actor.PID, 1)
	system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{reasons: reasons, pid: pids, child: New(Config{
			Name: "k", Checkpointer: cp, RetryWindow: time.Minute, Status: status.NewRegistry().Sink("k"),
			Logger: slog.New(slog.DiscardHandler),
			Open: func() (Writer, error) {
				return kafkawriter.New(kafkawriter.Config{Sink: sinkFor([]string{"127.0.0.1:1"})})
			},
			Partitions: map[string]int{"orders": 3}, Describe: describe, WatchEvery: 20 * time.Millisecond,
		})}
	}))
	<-pids
	select {
	case r := <-reasons:
		t.Fatalf("failed before the count changed: %v", r)
	case <-time.After(200 * time.Millisecond):
	}
	if reads.Load() < 3 {
		t.Fatalf("counts read %d times in 200 ms, want every 20 ms", reads.Load())
	}
	now.Store(6)
	select {
	case r := <-reasons:
		err, _ := r.(error)
		var ce *partitions.ChangedError
		if !errkind.IsTerminal(err) || !errors.As(err, &ce) || ce.Topic != "orders" || ce.Was != 3 || ce.Now != 6 ||
			!strings.Contains(err.Error(), "topic orders has 6 partitions but had 3") {
			t.Fatalf("failure = %v, want a terminal error for topic orders, 3 → 6", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no failure within 5 s of the change")
	}
}
