package txwriter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func fakeCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func testSink(brokers []string) *topology.Sink {
	return &topology.Sink{Name: "test-sink", Brokers: brokers, MaxMessageBytes: 1 << 20, Oversize: topology.OversizeFail}
}

func openWriter(t *testing.T, cfg Config) *Writer {
	t.Helper()
	if cfg.TransactionalID == "" {
		cfg.TransactionalID = TransactionalID("orders", t.Name())
	}
	if cfg.RetryFor == 0 {
		cfg.RetryFor = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func msgs(topic, tag string, n, partitions int) []kafkarecord.Message {
	out := make([]kafkarecord.Message, n)
	for i := range out {
		out[i] = kafkarecord.Message{Topic: topic, Partition: int32(i % partitions), Key: fmt.Appendf(nil, "k%d", i),
			Value: fmt.Appendf(nil, "%s-%04d", tag, i), Headers: []protocol.Header{{Key: "sluice.seq", Value: fmt.Append(nil, i)}}, Seq: uint64(i)}
	}
	return out
}

// values reads topic with the given isolation for a moment after n records
// arrived (or until timeout) and returns the values read.
func values(t *testing.T, brokers []string, topic string, committed bool, n int, timeout time.Duration) []string {
	t.Helper()
	iso := kgo.ReadUncommitted()
	if committed {
		iso = kgo.ReadCommitted()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) >= n && n > 0 {
			extra, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			cl.PollFetches(extra).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
			cancel()
			break
		}
	}
	return out
}

func TestTransactionalID(t *testing.T) {
	if got := TransactionalID("orders-to-kafka", "main"); got != "sluice/orders-to-kafka/main" {
		t.Errorf("TransactionalID = %q", got)
	}
}

func TestOpen_ConfigErrorsAreTerminal(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no sink", func(c *Config) { c.Sink = nil }, "no sink"},
		{"no brokers", func(c *Config) { c.Sink.Brokers = nil }, "no brokers"},
		{"no transactional id", func(c *Config) { c.TransactionalID = "" }, "no transactional id"},
		{"compression", func(c *Config) { c.Sink.Compression = "brotli" }, `compression "brotli" unknown`},
		{"sasl", func(c *Config) { c.Sink.SASL = topology.SASL{Mechanism: "GSSAPI"} }, "SCRAM-SHA-512"},
		{"tls", func(c *Config) { c.Sink.TLS = topology.KafkaTLS{Enabled: true, CertFile: "x.pem"} }, "cert_file and key_file"},
		{"oversize", func(c *Config) { c.Sink.Oversize = "truncate" }, "use fail or skip"},
		{"transaction timeout", func(c *Config) { c.TransactionTimeout = 10 * time.Second; c.RetryFor = 20 * time.Second }, "does not outlast"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Sink: testSink([]string{"127.0.0.1:1"}), TransactionalID: "sluice/t/s"}
			tc.edit(&cfg)
			_, err := Open(context.Background(), cfg)
			if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want a terminal error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestWriter_PendingWaitsForTheCommit(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(2, "t"))
	w := openWriter(t, Config{Sink: testSink(c.ListenAddrs())})
	in := msgs("t", "a", 20, 2)
	p := w.Submit(in)
	// The records are in the log (read_uncommitted), not visible to
	// read_committed, and the Pending waits.
	if got := values(t, c.ListenAddrs(), "t", false, len(in), 10*time.Second); len(got) != len(in) {
		t.Fatalf("read_uncommitted sees %d records before the commit, want %d (produced, not committed)", len(got), len(in))
	}
	if got := values(t, c.ListenAddrs(), "t", true, 0, 500*time.Millisecond); len(got) != 0 {
		t.Fatalf("read_committed sees %v before the commit", got)
	}
	select {
	case <-p.Done():
		t.Fatal("the Pending is done before its transaction committed")
	default:
	}
	if err := w.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, c.ListenAddrs(), "t", true, len(in), 10*time.Second); len(got) != len(in) {
		t.Fatalf("read_committed sees %d records after the commit, want %d", len(got), len(in))
	}
}

// A record refused for good on one partition aborts the whole transaction:
// the records of the other partition are never visible either.
func TestWriter_FailedRecordAbortsTheTransaction(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(2, "t"))
	id := c.TopicInfo("t").TopicID
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		if len(req.Topics) != 1 || len(req.Topics[0].Partitions) != 1 || req.Topics[0].Partitions[0].Partition != 1 {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = "t", id
		sp := kmsg.NewProduceResponseTopicPartition()
		sp.Partition, sp.ErrorCode = 1, kerr.InvalidRecord.Code
		st.Partitions = append(st.Partitions, sp)
		resp.Topics = append(resp.Topics, st)
		return resp, nil, true
	})
	w := openWriter(t, Config{Sink: testSink(c.ListenAddrs())})
	p0 := w.Submit(msgs("t", "p0", 10, 1)) // partition 0 only
	time.Sleep(200 * time.Millisecond)     // in the log, uncommitted
	in := msgs("t", "p1", 2, 2)
	in[0].Partition = 1
	p1 := w.Submit(in[:1])
	err := w.Commit(context.Background())
	var te *TxnError
	if !errors.As(err, &te) || !errkind.IsTerminal(err) || te.Records != 11 || !strings.Contains(err.Error(), "topic t partition 1") {
		t.Fatalf("Commit = %v, want a terminal TxnError for the transaction of 11 records naming t/1", err)
	}
	for i, p := range []*kafkarecord.Pending{p0, p1} {
		if perr := p.Wait(context.Background()); !errors.Is(perr, err) && perr.Error() != err.Error() {
			t.Errorf("submission %d: %v, want the commit's error", i, perr)
		}
	}
	if got := values(t, c.ListenAddrs(), "t", true, 0, time.Second); len(got) != 0 {
		t.Fatalf("read_committed sees %v of an aborted transaction", got)
	}
	if err := w.Submit(msgs("t", "later", 1, 1)).Wait(context.Background()); err == nil {
		t.Fatal("a Submit after the failure succeeded")
	}
}

func TestWriter_CloseAbortsTheOpenTransaction(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "t"))
	cfg := Config{Sink: testSink(c.ListenAddrs()), TransactionalID: "sluice/orders/close"}
	w := openWriter(t, cfg)
	p := w.Submit(msgs("t", "open", 5, 1))
	time.Sleep(100 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background()); !errors.Is(err, kafkarecord.ErrClosed) {
		t.Fatalf("Pending after Close = %v, want ErrClosed", err)
	}
	// The id opens again at once (nothing left open), and only what the new
	// writer commits is visible.
	w2 := openWriter(t, cfg)
	q := w2.Submit(msgs("t", "next", 3, 1))
	if err := w2.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, c.ListenAddrs(), "t", true, 3, 10*time.Second); strings.Join(got, " ") != "next-0000 next-0001 next-0002" {
		t.Fatalf("read_committed sees %v, want the second writer's three records", got)
	}
}

func TestWriter_FencedByANewOwner(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "t"))
	cfg := Config{Sink: testSink(c.ListenAddrs()), TransactionalID: "sluice/orders/main"}
	a := openWriter(t, cfg)
	pa := a.Submit(msgs("t", "a", 5, 1))
	time.Sleep(100 * time.Millisecond)
	b := openWriter(t, cfg) // the task moved: B fences A
	err := a.Commit(context.Background())
	var fe *FencedError
	if !errors.As(err, &fe) || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "owned by another node") {
		t.Fatalf("A's Commit = %v, want a terminal FencedError saying another node owns the task", err)
	}
	if perr := pa.Wait(context.Background()); perr == nil {
		t.Fatal("A's submission succeeded after the fence")
	}
	pb := b.Submit(msgs("t", "b", 3, 1))
	if err := b.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := pb.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := values(t, c.ListenAddrs(), "t", true, 3, 10*time.Second); strings.Join(got, " ") != "b-0000 b-0001 b-0002" {
		t.Fatalf("read_committed sees %v, want B's records alone", got)
	}
}
