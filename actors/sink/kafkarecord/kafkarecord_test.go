package kafkarecord

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestPending_DoneWhenEveryUnitSettles(t *testing.T) {
	p := NewPending(3, nil)
	p.Settle(2, nil)
	select {
	case <-p.Done():
		t.Fatal("done with a unit unsettled")
	default:
	}
	p.Settle(1, io.ErrUnexpectedEOF)
	<-p.Done()
	if !errors.Is(p.Err(), io.ErrUnexpectedEOF) {
		t.Fatalf("Err = %v, want the failed unit's error", p.Err())
	}
	if err := Settled(io.EOF).Wait(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("Settled(EOF).Wait = %v", err)
	}
}

func TestPending_FirstErrorIsKept(t *testing.T) {
	p := NewPending(2, nil)
	p.Settle(1, io.EOF)
	p.Settle(1, io.ErrUnexpectedEOF)
	if !errors.Is(p.Err(), io.EOF) {
		t.Fatalf("Err = %v, want the first error", p.Err())
	}
}

func TestPending_WaitAbandonsWhenTheContextEnds(t *testing.T) {
	var p *Pending
	p = NewPending(1, func(err error) { p.Settle(1, err) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the writer's answer to the abandon (deadline exceeded)", err)
	}
}

func TestLimits_Screen(t *testing.T) {
	recs := func(sizes ...int) []Message {
		out := make([]Message, len(sizes))
		for i, n := range sizes {
			out[i] = Message{Topic: "t", Seq: uint64(i), Value: make([]byte, n), Table: "shop.docs",
				Headers: []protocol.Header{{Key: "sluice.pos", Value: []byte("b.000001:4")}}}
		}
		return out
	}
	var skipped []Skipped
	skip := &Limits{Sink: "k", MaxMessageBytes: 1000, Oversize: topology.OversizeSkip, OnSkip: func(s Skipped) { skipped = append(skipped, s) }}
	in := recs(10, 2000, 10, 990)
	n, k, err := skip.Screen(in)
	if err != nil || n != 4 || k != 2 {
		t.Fatalf("skip: Screen = %d, %d, %v; want 4, 2, nil", n, k, err)
	}
	if len(skipped) != 2 || skipped[0].Seq != 1 || skipped[1].Seq != 3 || skipped[0].Position != "b.000001:4" || skipped[0].Size <= 2000 {
		t.Fatalf("skip reports = %+v", skipped)
	}
	if !skip.Fits(&in[0]) || skip.Fits(&in[1]) {
		t.Error("Fits disagrees with Screen")
	}

	fail := &Limits{Sink: "k", MaxMessageBytes: 1000, Oversize: topology.OversizeFail}
	n, _, err = fail.Screen(recs(10, 10, 2000, 10))
	var oe *OversizeError
	if n != 2 || !errors.As(err, &oe) || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "table shop.docs (binlog b.000001:4)") {
		t.Fatalf("fail: Screen = %d, %v; want index 2 and a terminal OversizeError naming table and position", n, err)
	}

	bad := recs(10, 10)
	bad[1].Topic = ""
	n, _, err = fail.Screen(bad)
	if n != 0 || err == nil || errors.As(err, &oe) || !errkind.IsTerminal(err) {
		t.Fatalf("no topic: Screen = %d, %v; want 0 and a terminal error that is not an OversizeError", n, err)
	}
}

// TestKeyText_AndSizes pins the rendering of keys in errors (null, quoted,
// shortened past 64 bytes) and how the two sizes relate; the exact limit is
// pinned against a broker by kafkawriter's TestWriter_Oversize_LimitIsExact.
func TestKeyText_AndSizes(t *testing.T) {
	if keyText(nil) != "null" || keyText([]byte("a\x00")) != `"a\x00"` {
		t.Errorf("keyText = %s, %s", keyText(nil), keyText([]byte("a\x00")))
	}
	if k := keyText(make([]byte, 100)); !strings.HasSuffix(k, "... (100 bytes)") {
		t.Errorf("long key = %s", k)
	}
	m := Message{Key: []byte("k"), Value: []byte("v")}
	if BatchSize(&m) != BatchOverhead+RecordSize(&m) || RecordSize(&m) < 2 {
		t.Errorf("sizes: batch %d, record %d", BatchSize(&m), RecordSize(&m))
	}
}
