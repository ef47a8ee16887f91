package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// ownTopic creates a topic on the bed's Kafka that the test may delete
// itself (testbed.NewTopic's cleanup fails on a topic already gone).
func ownTopic(t *testing.T, partitions int) string {
	t.Helper()
	name := "t_own_" + fmt.Sprint(time.Now().UnixNano())
	cl := &kafka.Client{Addr: kafka.TCP(testbed.Kafka(t)...), Timeout: 10 * time.Second}
	res, err := cl.CreateTopics(context.Background(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: name, NumPartitions: partitions, ReplicationFactor: 1}}})
	if err == nil {
		err = res.Errors[name]
	}
	if err != nil {
		t.Fatalf("creating topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		_, _ = cl.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{name}})
	})
	return name
}

// TestTopicDeleted_WhileWriting deletes the topic a task writes, on a
// cluster that does not create topics (auto.create.topics.enable=false,
// create_topics: never). Sluice must stop with a terminal error naming the
// topic and the fix, and its checkpoint must not cover anything the
// deleted topic did not hold: nothing acknowledged that was not written.
func TestTopicDeleted_WhileWriting(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := ownTopic(t, 2)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1")
	tp := newTopo(t, "topic-deleted", db, topic)
	p := tp.start(t)
	defer p.term(30 * time.Second)
	writes := w.run(500, 0)
	waitForWrites(t, broker, topic, 500, time.Minute, p)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	waitForQuiet(t, broker, topic, 1500*time.Millisecond, time.Minute)
	time.Sleep(time.Second) // a checkpoint interval and more: the mark covers what was acknowledged
	msgs, err := verify.ReadAll(context.Background(), broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	var maxSeq uint64
	for _, m := range msgs {
		maxSeq = max(maxSeq, seqOf(m))
	}
	cl := &kafka.Client{Addr: kafka.TCP(broker), Timeout: 10 * time.Second}
	if _, err := cl.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{topic}}); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	writes = w.run(500, 0)
	defer writes.stop()
	code := p.wait(time.Minute)
	took := time.Since(deleted)
	if code == 0 || p.running() {
		t.Fatalf("sluice did not stop with an error within a minute of the topic's deletion (code %d); log:\n%s", code, tail(p.log(), 20))
	}
	log := p.log()
	for _, want := range []string{"sluice run: ", topic, "topic not found", "create the topic"} {
		if !strings.Contains(log, want) {
			t.Errorf("the error does not say %q:\n%s", want, tail(log, 10))
		}
	}
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	if !ok {
		t.Fatal("no checkpoint committed")
	}
	if cp.Seq > maxSeq+1 {
		t.Errorf("the checkpoint's next seq %d is past the deleted topic's last record (seq %d): it acknowledges records never written", cp.Seq, maxSeq)
	}
	t.Logf("RESULT topic-deleted: %d records before the deletion (last seq %d), exit %d %s after it, checkpoint next seq %d; log:\n%s",
		len(msgs), maxSeq, code, took.Round(100*time.Millisecond), cp.Seq, tail(log, 5))
}
