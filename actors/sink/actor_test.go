package sink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// probe is a stand-in checkpointer that forwards what it receives.
func probe(system *actor.ActorSystem, out chan<- any) *actor.PID {
	return system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *checkpointer.BatchAcked:
			out <- m
		}
	}))
}

func sinkFor(addrs []string) *topology.Sink {
	return &topology.Sink{Name: "k", Brokers: addrs, Topic: "t", BatchBytes: 1 << 10, MaxMessageBytes: 1 << 20,
		Oversize: topology.OversizeFail, CreateTopics: topology.CreateTopicsNever, Partitions: 1, ReplicationFactor: 1}
}

func writes(n, per int) []*Write {
	var out []*Write
	seq := uint64(0)
	for i := 1; i <= n; i++ {
		w := &Write{Source: "db", ID: uint64(i)}
		for j := 0; j < per; j++ {
			seq++
			w.Messages = append(w.Messages, kafkawriter.Message{Topic: "t", Partition: 0, Value: []byte(fmt.Sprint(seq)), Seq: seq})
		}
		out = append(out, w)
	}
	return out
}

func TestActor_ReopensAfterWriterFailureAndKeepsOrder(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Fail every produce for 1.5 s: longer than the writer's own retry
	// time, so the writer fails and the actor must reopen and resubmit.
	var failing atomic.Bool
	failing.Store(true)
	time.AfterFunc(1500*time.Millisecond, func() { failing.Store(false) })
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if !failing.Load() {
			return nil, nil, false
		}
		req := r.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.NotEnoughReplicas.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	system := actor.NewActorSystem()
	acks := make(chan any, 100)
	cp := probe(system, acks)
	opened := 0
	reg := status.NewRegistry()
	stat := reg.Sink("k")
	pid := system.Root.Spawn(actor.PropsFromProducer(New(Config{
		Name: "k", Checkpointer: cp, RetryWindow: time.Minute, Status: stat,
		Logger: slog.New(slog.DiscardHandler),
		Open: func() (Writer, error) {
			opened++
			return kafkawriter.New(kafkawriter.Config{Sink: sinkFor(c.ListenAddrs()), RetryFor: 300 * time.Millisecond, RequestTimeout: 2 * time.Second})
		},
	})))
	for _, w := range writes(10, 50) {
		system.Root.Send(pid, w)
	}
	got := map[uint64]bool{}
	timeout := time.After(30 * time.Second)
	for len(got) < 10 {
		select {
		case m := <-acks:
			got[m.(*checkpointer.BatchAcked).ID] = true
		case <-timeout:
			t.Fatalf("only %d of 10 writes acknowledged", len(got))
		}
	}
	system.Root.Stop(pid)
	if opened < 2 {
		t.Fatalf("writer opened %d times; the failure should have forced a reopen", opened)
	}
	// Read back with an independent client: every value 1..500 present, and
	// the first occurrence of each in increasing order (re-sends may repeat).
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := map[string]bool{}
	var order []string
	for len(seen) < 500 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if !seen[string(r.Value)] {
				seen[string(r.Value)] = true
				order = append(order, string(r.Value))
			}
		})
	}
	if len(seen) != 500 {
		t.Fatalf("%d distinct records in Kafka, want 500", len(seen))
	}
	for i, v := range order {
		if v != fmt.Sprint(i+1) {
			t.Fatalf("record %d is %s: order broken (%s...)", i, v, strings.Join(order[max(0, i-3):i+1], ","))
		}
	}
	if v := reg.View(time.Now()).Sinks[0]; v.Records != 500 || v.Retries == 0 {
		t.Errorf("status: %+v, want 500 records and at least one retry", v)
	}
}

// supervisor spawns one child and reports the child's failure reasons.
type supervisor struct {
	child   actor.Producer
	reasons chan<- any
	pid     chan<- *actor.PID
}

func (s *supervisor) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		s.pid <- ctx.Spawn(actor.PropsFromProducer(s.child))
	}
}

func (s *supervisor) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, _ any) {
	s.reasons <- reason
	sup.StopChildren(child)
}

func TestActor_OversizeRecordFailsTerminally(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	system := actor.NewActorSystem()
	acks := make(chan any, 10)
	cp := probe(system, acks)
	sink := sinkFor(c.ListenAddrs())
	sink.MaxMessageBytes = 1024
	reasons := make(chan any, 1)
	pids := make(chan *actor.PID, 1)
	system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &supervisor{reasons: reasons, pid: pids, child: New(Config{
			Name: "k", Checkpointer: cp, RetryWindow: time.Minute, Status: status.NewRegistry().Sink("k"),
			Logger: slog.New(slog.DiscardHandler),
			Open:   func() (Writer, error) { return kafkawriter.New(kafkawriter.Config{Sink: sink}) },
		})}
	}))
	pid := <-pids
	system.Root.Send(pid, &Write{Source: "db", ID: 1, Messages: []kafkawriter.Message{{Topic: "t", Value: make([]byte, 4096), Seq: 7}}})
	select {
	case r := <-reasons:
		err, ok := r.(error)
		if !ok || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), `sink "k"`) {
			t.Fatalf("failure = %v, want a terminal error naming the sink", r)
		}
	case <-acks:
		t.Fatal("an oversize record was acknowledged")
	case <-time.After(10 * time.Second):
		t.Fatal("no failure within 10s")
	}
}
