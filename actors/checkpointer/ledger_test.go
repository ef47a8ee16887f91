package checkpointer

import (
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
)

func mark(seq uint64) *change.Mark {
	return &change.Mark{Seq: seq, Pos: change.Position{File: "b.1", Pos: uint32(seq)}}
}

func TestLedger_Acked_OutOfOrderReleasesOnlyPrefix(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Mark: mark(10), Bytes: 100, Acks: 1})
	l.Sent(&BatchSent{ID: 2, Mark: mark(20), Bytes: 200, Acks: 1})
	l.Sent(&BatchSent{ID: 3, Mark: nil, Bytes: 300, Acks: 1})
	if got := l.Acked(2); got != 0 {
		t.Fatalf("ack of batch 2 before 1 released %d bytes", got)
	}
	if l.Durable() != nil {
		t.Fatal("durable mark advanced past an unacknowledged batch")
	}
	if got := l.Acked(1); got != 300 {
		t.Fatalf("released %d, want 300 (batches 1 and 2)", got)
	}
	if l.Durable().Seq != 20 {
		t.Fatalf("durable = %d, want 20", l.Durable().Seq)
	}
	if got := l.Acked(3); got != 300 || l.Durable().Seq != 20 {
		t.Fatalf("batch without mark: released %d, durable %d", got, l.Durable().Seq)
	}
	if l.Inflight() != 0 || l.Pending() != 0 {
		t.Fatalf("inflight %d pending %d after all acks", l.Inflight(), l.Pending())
	}
}

func TestLedger_Sent_OneToManyNeedsEveryAck(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Mark: mark(5), Bytes: 50, Acks: 2})
	if l.Acked(1) != 0 || l.Durable() != nil {
		t.Fatal("released after one of two pipelines acknowledged")
	}
	if l.Acked(1) != 50 || l.Durable().Seq != 5 {
		t.Fatal("not released after both pipelines acknowledged")
	}
}

func TestLedger_Sent_MarkOnlyBatchReleasesAtOnceBehindPrefix(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Mark: mark(1), Bytes: 10, Acks: 1})
	if got := l.Sent(&BatchSent{ID: 2, Mark: mark(9), Bytes: 0, Acks: 0}); got != 0 || l.Durable() != nil {
		t.Fatal("mark-only batch overtook an unacknowledged batch")
	}
	l.Acked(1)
	if l.Durable().Seq != 9 {
		t.Fatalf("durable = %d, want 9", l.Durable().Seq)
	}
	if l.Sent(&BatchSent{ID: 3, Mark: mark(12), Bytes: 0, Acks: 0}) != 0 || l.Durable().Seq != 12 {
		t.Fatal("mark-only batch with nothing in flight not durable at once")
	}
}

func TestLedger_Acked_UnknownIDIgnored(t *testing.T) {
	l := NewLedger()
	if l.Acked(42) != 0 || l.Pending() != 0 {
		t.Fatal("unknown ack changed the ledger")
	}
}

func TestLedger_TakeSnapshotProgress_OnlyReleasedChunks(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Bytes: 10, Acks: 1})
	l.Sent(&BatchSent{ID: 2, Chunk: &ChunkDone{Table: "db.t", ID: 7}})
	if c, _ := l.TakeSnapshotProgress(); len(c) != 0 {
		t.Fatal("chunk reported done before its rows were acknowledged")
	}
	l.Sent(&BatchSent{ID: 3, SnapshotFinished: true})
	l.Acked(1)
	c, fin := l.TakeSnapshotProgress()
	if len(c) != 1 || c[0].ID != 7 || !fin {
		t.Fatalf("progress = %v, %v; want chunk 7 and finished", c, fin)
	}
	if c, fin := l.TakeSnapshotProgress(); len(c) != 0 || fin {
		t.Fatal("progress reported twice")
	}
}

func TestLedger_Grew_EncodedBytesReleasedWithTheBatch(t *testing.T) {
	l := NewLedger()
	from := actor.NewPID("local", "reader")
	l.Sent(&BatchSent{ID: 1, Bytes: 100, Acks: 1, From: from})
	if l.Grew(1, 300) != from || l.Inflight() != 400 {
		t.Fatalf("inflight %d after 300 encoded bytes, want 400", l.Inflight())
	}
	if l.Grew(9, 10) != nil {
		t.Fatal("unknown batch grew")
	}
	if got := l.Acked(1); got != 400 {
		t.Fatalf("released %d, want decoded + encoded 400", got)
	}
}

func TestLedger_Reset_DropsInFlightAndKeepsDurable(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Mark: mark(3), Bytes: 10, Acks: 1})
	l.Acked(1)
	l.Sent(&BatchSent{ID: 2, Mark: mark(8), Bytes: 20, Acks: 1})
	l.Sent(&BatchSent{ID: 3, Chunk: &ChunkDone{Table: "db.t", ID: 1}})
	l.Reset(2)
	if l.Pending() != 0 || l.Inflight() != 0 || l.Epoch != 2 {
		t.Fatalf("after reset: pending %d inflight %d epoch %d", l.Pending(), l.Inflight(), l.Epoch)
	}
	if l.Durable().Seq != 3 {
		t.Fatalf("durable = %d, want the mark released before the reset (3)", l.Durable().Seq)
	}
	if got := l.Acked(2); got != 0 || l.Durable().Seq != 3 {
		t.Fatal("an acknowledgement of a dropped batch released it")
	}
	if done, _ := l.ChunksDone(); len(done) != 0 {
		t.Fatal("a dropped chunk completion counted as done")
	}
}

func TestLedger_TakeReleased_TellsEachSender(t *testing.T) {
	l := NewLedger()
	a, b := actor.NewPID("local", "a"), actor.NewPID("local", "b")
	l.Sent(&BatchSent{ID: 1, Bytes: 10, Acks: 1, From: a})
	l.Sent(&BatchSent{ID: 2, Bytes: 20, Acks: 1, From: b})
	l.Acked(2)
	if len(l.TakeReleased()) != 0 {
		t.Fatal("credit returned for a batch behind an unacknowledged one")
	}
	l.Acked(1)
	got := map[string]int64{}
	for _, r := range l.TakeReleased() {
		got[r.From.Id] += r.Bytes
	}
	if got["a"] != 10 || got["b"] != 20 {
		t.Fatalf("credit returned %v, want a:10 b:20", got)
	}
}

func TestLedger_TakeSchemas_OnlyOfReleasedBatches(t *testing.T) {
	l := NewLedger()
	l.Sent(&BatchSent{ID: 1, Bytes: 10, Acks: 1})
	l.Sent(&BatchSent{ID: 2, Mark: mark(4), Schema: []store.TableSchema{{Source: "db", Table: "db.t"}}})
	if got := l.TakeSchemas(); len(got) != 0 {
		t.Fatal("a schema entry became durable before the batches read ahead of it")
	}
	l.Acked(1)
	if got := l.TakeSchemas(); len(got) != 1 || got[0].Table != "db.t" {
		t.Fatalf("schemas = %+v, want the entry of batch 2", got)
	}
	if got := l.TakeSchemas(); len(got) != 0 {
		t.Fatal("schema entry taken twice")
	}
}
