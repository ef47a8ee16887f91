package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/internal/testbed"
)

func bedMySQL(t *testing.T) MySQL {
	t.Helper()
	c := testbed.MySQL(t)
	return MySQL{Addr: c.Addr, User: c.AdminUser, Password: c.AdminPassword}
}

func TestGenerator_Run_Bed(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	m := bedMySQL(t)
	db := testbed.NewDatabase(t)
	w := DefaultWorkload(db)
	w.StmtRows, w.TxnRows, w.Conns = 50, 100, 3

	// Inserts only: every event is a row.
	g := NewGenerator(w, m, 1)
	if err := w.Setup(m); err != nil {
		t.Fatal(err)
	}
	wr, err := g.Run(context.Background(), 5000, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.QueryInt(fmt.Sprintf("SELECT COUNT(*), MIN(ts_us) FROM `%s`.t1", db), 0)
	if err != nil || wr.Events != 5000 || wr.Inserts != 5000 || n != 5000 || wr.Txns != 50 {
		t.Fatalf("inserts: wrote %+v, table has %d rows (%v)", wr, n, err)
	}

	// A mix at a rate: the events add up and the rate is kept.
	g.w.Mix = Mix{Insert: 50, Update: 30, Delete: 20}
	start, pos, err := m.BinlogPos()
	if err != nil || start == "" || pos <= 0 {
		t.Fatalf("binlog position %s:%d, %v", start, pos, err)
	}
	wr, err = g.Run(context.Background(), 3000, 6000)
	if err != nil {
		t.Fatal(err)
	}
	if wr.Events != wr.Inserts+wr.Updates+wr.Deletes || wr.Events > 3000 || wr.Events < 2500 || wr.Updates == 0 || wr.Deletes == 0 {
		t.Errorf("mix: %+v", wr)
	}
	if el := wr.Elapsed; el < 350*time.Millisecond || el > 3*time.Second {
		t.Errorf("3000 events at 6000/s took %v", el)
	}
	n2, _ := m.QueryInt(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.t1", db), 0)
	if n2 > n+wr.Inserts+wr.Updates || n2 < n+wr.Inserts-wr.Deletes {
		t.Errorf("table has %d rows after %+v on %d", n2, wr, n)
	}
}

func TestKafka_CountSpanRead_Bed(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	brokers := testbed.Kafka(t)
	k := NewKafka(brokers)
	ctx := context.Background()
	topic := fmt.Sprintf("sluice-bench-test-%d", time.Now().UnixNano())
	if err := k.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.DeleteTopics(context.Background(), topic) })

	// acks=all: with the default (no acks) records sent before the new topic has
	// a leader are dropped without an error.
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.RoundRobin{}, BatchTimeout: time.Millisecond,
		RequiredAcks: kafka.RequireAll}
	before := time.Now().Add(-time.Second)
	for i := 0; i < 10; i++ {
		// A producer timestamp far in the past: LogAppendTime must replace it.
		msg := kafka.Message{Value: []byte(fmt.Sprintf(`{"ts_us":"%d"}`, i)), Time: time.Unix(1000, 0)}
		if err := w.WriteMessages(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	samples, err := k.WaitCount(ctx, 10, 0, 10*time.Second, topic)
	if err != nil || samples[len(samples)-1].Count != 10 {
		t.Fatalf("WaitCount: %v %v", samples, err)
	}
	first, last, err := k.Span(ctx, topic)
	if err != nil || first.Before(before) || last.Before(first) || time.Since(last) > time.Minute {
		t.Fatalf("Span = %v..%v, %v (want broker append times after %v)", first, last, err, before)
	}
	offs, _ := k.EndOffsets(ctx, topic)
	ranges := map[int][2]int64{}
	for p, end := range offs {
		ranges[p] = [2]int64{0, end}
	}
	var seen int64
	err = k.Read(ctx, topic, ranges, func(r *kgo.Record) {
		seen += tsMicros(r.Value) + 1
		if r.Timestamp.Before(before) {
			t.Errorf("record %d has timestamp %v: not the broker's", r.Offset, r.Timestamp)
		}
	})
	if err != nil || seen != 55 { // sum of 1..10
		t.Fatalf("Read: sum %d, %v", seen, err)
	}
	if _, err := k.WaitCount(ctx, 11, 0, 300*time.Millisecond, topic); err == nil {
		t.Error("WaitCount for 11 of 10 records did not fail on stall")
	}
}
