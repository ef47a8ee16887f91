package txwriter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
)

// Fencing against the bed's Kafka 4: the takeover the cluster makes when a
// task moves from node A to node B.

func bedConfig(t *testing.T) Config {
	t.Helper()
	return Config{Sink: testSink(testbed.Kafka(t)), TransactionalID: TransactionalID(fmt.Sprintf("fence-%d", time.Now().UnixNano()), "main")}
}

// TestWriter_Bed_NewOwnerFencesTheOld: A opens id X and writes in a
// transaction; B opens X; A's commit fails terminally, saying another node
// owns the task; A writes nothing more; a read_committed consumer sees only
// B's records, although A's aborted ones are in the log.
func TestWriter_Bed_NewOwnerFencesTheOld(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	topic := testbed.NewTopic(t, 3)
	cfg := bedConfig(t)
	brokers := cfg.Sink.Brokers
	a := openWriter(t, cfg)
	pa := a.Submit(msgs(topic, "a", 30, 3))
	if got := values(t, brokers, topic, false, 30, 20*time.Second); len(got) != 30 {
		t.Fatalf("A's records in the log: %d, want 30 before the takeover", len(got))
	}

	b := openWriter(t, cfg)

	late := a.Submit(msgs(topic, "a-late", 6, 3)) // A, paused, resumes and writes on
	err := a.Commit(context.Background())
	var fe *FencedError
	if !errors.As(err, &fe) || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "owned by another node") {
		t.Fatalf("A's Commit = %v, want a terminal FencedError saying another node owns the task", err)
	}
	t.Logf("A's commit after the takeover: %v", err)
	for i, p := range []*kafkarecord.Pending{pa, late} {
		if perr := p.Wait(context.Background()); !errors.As(perr, &fe) {
			t.Errorf("A's submission %d: %v, want the FencedError", i, perr)
		}
	}
	if err := a.Submit(msgs(topic, "a-after", 3, 3)).Wait(context.Background()); !errors.As(err, &fe) {
		t.Errorf("A's Submit after the fence = %v, want the FencedError at once", err)
	}

	pb := b.Submit(msgs(topic, "b", 9, 3))
	if err := b.Commit(context.Background()); err != nil {
		t.Fatalf("B's Commit: %v", err)
	}
	if err := pb.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := values(t, brokers, topic, true, 9, 20*time.Second)
	if len(got) != 9 {
		t.Fatalf("read_committed sees %d records %v, want B's 9", len(got), got)
	}
	for _, v := range got {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("read_committed sees %q, which A wrote before or after it was fenced", v)
		}
	}
}

// TestWriter_Bed_AbortedIsNeverVisible: a transaction aborted by Close, one
// aborted by its failure, then one committed: read_committed sees the
// committed one alone, read_uncommitted all that reached the log.
func TestWriter_Bed_AbortedIsNeverVisible(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	topic := testbed.NewTopic(t, 2)
	cfg := bedConfig(t)
	brokers := cfg.Sink.Brokers

	w := openWriter(t, cfg)
	closed := w.Submit(msgs(topic, "closed", 10, 2))
	if got := values(t, brokers, topic, false, 10, 20*time.Second); len(got) != 10 {
		t.Fatalf("%d records in the log before Close, want 10", len(got))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := closed.Wait(context.Background()); !errors.Is(err, kafkarecord.ErrClosed) {
		t.Fatalf("Pending after Close = %v, want ErrClosed", err)
	}

	w = openWriter(t, cfg)
	bad := msgs(topic, "failed", 4, 2)
	bad[3].Partition = 7 // the topic has 2: the transaction fails and aborts
	failed := w.Submit(bad)
	if err := w.Commit(context.Background()); !errkind.IsTerminal(err) {
		t.Fatalf("Commit of a record for a missing partition = %v, want terminal", err)
	}
	if err := failed.Wait(context.Background()); err == nil {
		t.Fatal("the failed transaction's submission succeeded")
	}

	w = openWriter(t, cfg)
	ok := w.Submit(msgs(topic, "committed", 6, 2))
	if err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ok.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := values(t, brokers, topic, true, 6, 20*time.Second)
	if len(got) != 6 {
		t.Fatalf("read_committed sees %v, want the 6 committed records", got)
	}
	for _, v := range got {
		if !strings.HasPrefix(v, "committed-") {
			t.Fatalf("read_committed sees %q of an aborted transaction", v)
		}
	}
	all := values(t, brokers, topic, false, 16, 20*time.Second)
	t.Logf("read_uncommitted sees %d records (aborted ones included), read_committed %d", len(all), len(got))
	if len(all) < 16 {
		t.Errorf("read_uncommitted sees %d records, want the 10 aborted by Close and the 6 committed at least", len(all))
	}
}
