package txwriter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/codecs/codec"
)

var ownerHeaders = []protocol.Header{{Key: codec.HeaderNode, Value: []byte("n2")}, {Key: codec.HeaderEpoch, Value: []byte("4711")}}

// Config.Headers follow every record's own headers, in order.
func TestWriter_AddsConfiguredHeadersToEveryRecord(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(2, "t"))
	w := openWriter(t, Config{Sink: testSink(c.ListenAddrs()), Headers: ownerHeaders})
	in := msgs("t", "a", 20, 2)
	p := w.Submit(in)
	if err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("t"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := 0
	for seen < len(in) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			seen++
			var got []string
			for _, h := range r.Headers {
				got = append(got, h.Key+"="+string(h.Value))
			}
			if len(got) != 3 || got[0][:len("sluice.seq=")] != "sluice.seq=" || got[1] != "sluice.node=n2" || got[2] != "sluice.epoch=4711" {
				t.Errorf("record %s: headers %v, want its sluice.seq, then sluice.node=n2, sluice.epoch=4711", r.Value, got)
			}
		})
	}
	if seen < len(in) {
		t.Fatalf("read %d of %d committed records", seen, len(in))
	}
}

// The added headers count against max_message_bytes: a record that fits
// alone is refused once they would take it over the limit.
func TestWriter_AddedHeadersCountAgainstTheLimit(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "t"))
	in := msgs("t", "a", 1, 1)
	in[0].Value = make([]byte, 1000) // franz-go's least batch limit is 512 bytes
	exact := kafkarecord.BatchSize(&in[0])
	for _, tc := range []struct {
		name    string
		headers []protocol.Header
		refused bool
	}{{"without headers", nil, false}, {"with headers", ownerHeaders, true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSink(c.ListenAddrs())
			s.MaxMessageBytes = exact
			w := openWriter(t, Config{Sink: s, Headers: tc.headers, TransactionalID: TransactionalID("orders", t.Name())})
			p := w.Submit(in)
			_ = w.Commit(context.Background())
			err := p.Wait(context.Background())
			var oe *kafkarecord.OversizeError
			if refused := errors.As(err, &oe); refused != tc.refused {
				t.Fatalf("a record of exactly max_message_bytes %s: %v, want refused %v", tc.name, err, tc.refused)
			}
		})
	}
}

// Adding headers allocates nothing per record: the header slices are
// recycled with the submission.
func TestWriter_AddedHeadersAllocateNothingPerRecord(t *testing.T) {
	w := &Writer{limits: kafkarecord.Limits{MaxMessageBytes: 1 << 20}}
	for _, h := range ownerHeaders {
		w.added = append(w.added, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	in := msgs("t", "a", 500, 2)
	allocs := testing.AllocsPerRun(100, func() { w.convert(in, 0).recycle() })
	if allocs > 5 {
		t.Errorf("converting 500 records allocates %.0f times, want a few per submission, none per record", allocs)
	}
}
