package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink/txwriter"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
)

// The actor over a transactional writer: every Write acknowledged once
// committed, in order; when a new owner opens the transactional id, the
// next Write fails the actor terminally and nothing more is committed.
func TestActor_TransactionalWriter_AcksCommittedAndStopsWhenFenced(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := txwriter.Config{Sink: sinkFor(c.ListenAddrs()), TransactionalID: txwriter.TransactionalID("orders", "k")}
	open := func() (Writer, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		w, err := txwriter.Open(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	system := actor.NewActorSystem()
	acks := make(chan any, 100)
	cp := probe(system, acks)
	reasons := make(chan any, 1)
	pids := make(chan *actor.PID, 1)
	system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{reasons: reasons, pid: pids, child: New(Config{
			Name: "k", Checkpointer: cp, RetryWindow: time.Minute, Status: status.NewRegistry().Sink("k"),
			Logger: slog.New(slog.DiscardHandler), Open: open,
		})}
	}))
	pid := <-pids
	ws := writes(11, 50)
	for _, w := range ws[:10] {
		system.Root.Send(pid, w)
	}
	// Acknowledgements may come in any order (the checkpointer's ledger
	// orders them); the order in Kafka is checked below.
	acked := map[uint64]bool{}
	for len(acked) < 10 {
		select {
		case m := <-acks:
			acked[m.(*checkpointer.BatchAcked).ID] = true
		case r := <-reasons:
			t.Fatalf("sink failed: %v", r)
		case <-time.After(20 * time.Second):
			t.Fatalf("%d of 10 writes acknowledged", len(acked))
		}
	}

	// The task moves: another node opens the id.
	other, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	system.Root.Send(pid, ws[10])
	select {
	case r := <-reasons:
		err, _ := r.(error)
		var fe *txwriter.FencedError
		if !errors.As(err, &fe) || !errkind.IsTerminal(err) {
			t.Fatalf("failure = %v, want a terminal FencedError", r)
		}
	case m := <-acks:
		t.Fatalf("%+v acknowledged after the new owner opened the id", m)
	case <-time.After(20 * time.Second):
		t.Fatal("the fenced sink did not fail within 20s")
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("t"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	for len(got) < 500 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	extra, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	cl.PollFetches(extra).EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	if len(got) != 500 {
		t.Fatalf("read_committed sees %d records, want the 500 of the 10 acknowledged writes alone", len(got))
	}
	for i, v := range got {
		if v != fmt.Sprint(i+1) {
			t.Fatalf("record %d is %s: order broken", i, v)
		}
	}
}
