package writertest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Config is what a case asks of the writer under test, in the settings both
// writers share.
type Config struct {
	Sink   *topology.Sink
	OnSkip func(kafkarecord.Skipped)
	// RetryFor and RequestTimeout are the writers' own (kafkawriter.Config,
	// txwriter.Config); cases shorten them.
	RetryFor, RequestTimeout time.Duration
}

// Opener opens the writer under test. An error is the writer's own opening
// error (a writer may connect to open); the suite closes the writer.
type Opener func(t testing.TB, cfg Config) (sink.Writer, error)

// Run runs the suite; cluster returns a Cluster for each case.
func Run(t *testing.T, cluster func(t testing.TB) *Cluster, open Opener) {
	for _, tc := range []struct {
		name string
		fake bool // needs kfake's request control
		fn   func(t *testing.T, c *Cluster, open Opener)
	}{
		{"ExplicitPartitionsInOrder", false, testPartitionsInOrder},
		{"DurableOnlyAfterCommit", false, testDurableAfterCommit},
		{"SubmitsDuringCommits", false, testSubmitsDuringCommits},
		{"OversizeFail", false, testOversizeFail},
		{"OversizeSkip", false, testOversizeSkip},
		{"OversizeLimitIsExact", false, testOversizeLimitIsExact},
		{"NoTopicIsTerminal", false, testNoTopic},
		{"UnknownPartitionIsTerminal", false, testUnknownPartition},
		{"CloseLeavesNoPending", false, testClose},
		{"Compression", false, testCompression},
		{"UnreachableIsRetryable", false, testUnreachable},
		{"RequestsAcksAll", true, testAcksAll},
		{"TerminalBrokerErrorFailsTheWriter", true, testTerminalBrokerError},
		{"RetryableErrorsRetriedInOrder", true, testRetriedInOrder},
		{"RetryableErrorGivesUpRetryably", true, testGivesUp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cluster(t)
			if tc.fake && c.Fake == nil {
				t.Skip("makes the broker fail: runs on kfake only")
			}
			tc.fn(t, c, open)
		})
	}
}

// sinkFor is a sink on c with the settings the cases start from.
func sinkFor(c *Cluster) *topology.Sink {
	return &topology.Sink{Name: "conformance", Brokers: c.Brokers, BatchBytes: 64 << 10, MaxMessageBytes: 1 << 20,
		Oversize: topology.OversizeFail, CreateTopics: topology.CreateTopicsNever, Partitions: 1, ReplicationFactor: 1}
}

func mustOpen(t testing.TB, open Opener, cfg Config) sink.Writer {
	t.Helper()
	if cfg.RetryFor == 0 {
		cfg.RetryFor = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	w, err := open(t, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// msgs builds n records spread over partitions, numbered in key, value and
// a sluice.seq header.
func msgs(topic string, n, partitions int) []kafkarecord.Message {
	out := make([]kafkarecord.Message, n)
	for i := range out {
		out[i] = kafkarecord.Message{Topic: topic, Partition: int32(i % partitions),
			Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "v%06d", i),
			Headers: []protocol.Header{{Key: "sluice.seq", Value: fmt.Append(nil, i)}}, Seq: uint64(i)}
	}
	return out
}

// commit commits and waits for every Pending, failing the test on an error.
func commit(t *testing.T, w sink.Writer, pend ...*kafkarecord.Pending) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for i, p := range pend {
		select {
		case <-p.Done():
		default:
			t.Fatalf("submission %d not done when Commit returned", i)
		}
		if err := p.Err(); err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
}

// settle commits (ignoring its error) and returns p's error.
func settle(w sink.Writer, p *kafkarecord.Pending) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = w.Commit(ctx)
	select {
	case <-p.Done():
		return p.Err()
	case <-ctx.Done():
		return fmt.Errorf("submission not done 30s after Commit: %w", ctx.Err())
	}
}

// record is a record read back.
type record struct {
	Partition int32
	Key       string
	Value     string
	Seq       string
}

// readCommitted reads topic from the start of every partition with
// read_committed isolation until n records arrived, then a moment more to
// catch any beyond n, and returns them by partition.
func readCommitted(t *testing.T, c *Cluster, topic string, n int) map[int32][]record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[int32][]record{}
	got := 0
	poll := func(ctx context.Context) {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(tp string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch %s/%d: %v", tp, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			rec := record{Partition: r.Partition, Key: string(r.Key), Value: string(r.Value)}
			for _, h := range r.Headers {
				if h.Key == "sluice.seq" {
					rec.Seq = string(h.Value)
				}
			}
			out[r.Partition] = append(out[r.Partition], rec)
			got++
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for got < n && ctx.Err() == nil {
		poll(ctx)
	}
	if got < n {
		t.Fatalf("read %d of %d records of %s (read_committed) in 30s", got, n, topic)
	}
	extra, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	poll(extra)
	if got != n {
		t.Fatalf("read %d records of %s (read_committed), want exactly %d", got, topic, n)
	}
	return out
}

// checkOrder checks that out holds in[from:to] in submission order per
// partition.
func checkOrder(t *testing.T, out map[int32][]record, in []kafkarecord.Message) {
	t.Helper()
	next := map[int32]int{}
	for i := range in {
		m := &in[i]
		recs := out[m.Partition]
		j := next[m.Partition]
		next[m.Partition]++
		if j >= len(recs) {
			t.Fatalf("partition %d holds %d records; record seq %d missing", m.Partition, len(recs), m.Seq)
		}
		r := recs[j]
		if r.Key != string(m.Key) || r.Value != string(m.Value) || r.Seq != fmt.Sprint(m.Seq) {
			t.Fatalf("partition %d record %d = %s/%s seq %s, want %s/%s seq %d: order or content broken",
				m.Partition, j, r.Key, r.Value, r.Seq, m.Key, m.Value, m.Seq)
		}
	}
}

func testPartitionsInOrder(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 4)
	s := sinkFor(c)
	s.BatchBytes = 4 << 10 // many batches per partition
	w := mustOpen(t, open, Config{Sink: s})
	in := msgs(topic, 2000, 4)
	var pend []*kafkarecord.Pending
	for i := 0; i < len(in); i += 100 {
		pend = append(pend, w.Submit(in[i:i+100]))
	}
	commit(t, w, pend...)
	checkOrder(t, readCommitted(t, c, topic, len(in)), in)
}

func testDurableAfterCommit(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 2)
	w := mustOpen(t, open, Config{Sink: sinkFor(c)})
	if err := w.Commit(context.Background()); err != nil {
		t.Fatalf("Commit with nothing submitted: %v", err)
	}
	in := msgs(topic, 10, 2)
	a, b := w.Submit(in[:5]), w.Submit(in[5:])
	commit(t, w, a, b)
	if err := w.Commit(context.Background()); err != nil {
		t.Fatalf("Commit with nothing new: %v", err)
	}
	checkOrder(t, readCommitted(t, c, topic, len(in)), in)
}

func testSubmitsDuringCommits(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 3)
	w := mustOpen(t, open, Config{Sink: sinkFor(c)})
	in := msgs(topic, 3000, 3)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // commits back to back, as the sink actor does
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := w.Commit(context.Background()); err != nil {
				t.Errorf("Commit: %v", err)
				return
			}
		}
	}()
	var pend []*kafkarecord.Pending
	for i := 0; i < len(in); i += 30 {
		pend = append(pend, w.Submit(in[i:i+30]))
	}
	close(stop)
	wg.Wait()
	commit(t, w, pend...)
	checkOrder(t, readCommitted(t, c, topic, len(in)), in)
}

func testOversizeFail(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	s := sinkFor(c)
	s.MaxMessageBytes = 1000
	w := mustOpen(t, open, Config{Sink: s})
	in := msgs(topic, 5, 1)
	in[3].Value, in[3].Key, in[3].Table = make([]byte, 2000), []byte("order-17"), "shop.orders"
	err := settle(w, w.Submit(in))
	var oe *kafkarecord.OversizeError
	if !errors.As(err, &oe) || !errkind.IsTerminal(err) || oe.Size <= 2000 {
		t.Fatalf("err = %v, want a terminal OversizeError with the record's full size", err)
	}
	for _, want := range []string{`sink "conformance"`, "seq 3 from table shop.orders", "topic " + topic + " partition 0", `"order-17"`, "max message bytes 1000", "oversize: skip"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// The records before it are written; nothing after it, in this
	// submission or a later one.
	if err := settle(w, w.Submit(msgs(topic, 1, 1))); err == nil {
		t.Error("a submission after the oversize record succeeded")
	}
	checkOrder(t, readCommitted(t, c, topic, 3), in[:3])
}

func testOversizeSkip(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	s := sinkFor(c)
	s.MaxMessageBytes, s.Oversize = 1000, topology.OversizeSkip
	var skipped []kafkarecord.Skipped
	w := mustOpen(t, open, Config{Sink: s, OnSkip: func(s kafkarecord.Skipped) { skipped = append(skipped, s) }})
	in := msgs(topic, 6, 1)
	in[1].Value, in[4].Value = make([]byte, 5000), make([]byte, 1000)
	p := w.Submit(in)
	if len(skipped) != 2 || skipped[0].Seq != 1 || skipped[1].Seq != 4 || skipped[0].Limit != 1000 || skipped[0].Size <= 5000 {
		t.Fatalf("skipped = %+v when Submit returned, want seqs 1 and 4 with sizes and limit", skipped)
	}
	commit(t, w, p)
	only := w.Submit(in[1:2])
	select {
	case <-only.Done():
	default:
		t.Fatal("a submission of nothing but oversize records is not done at once")
	}
	checkOrder(t, readCommitted(t, c, topic, 4), []kafkarecord.Message{in[0], in[2], in[3], in[5]})
}

// testOversizeLimitIsExact: a record whose single-record batch is exactly
// the brokers' limit is written, one byte more is refused by the writer.
func testOversizeLimitIsExact(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	s := sinkFor(c)
	s.MaxMessageBytes = MaxMessageBytes
	w := mustOpen(t, open, Config{Sink: s})
	m := msgs(topic, 1, 1)
	m[0].Value = make([]byte, MaxMessageBytes-kafkarecord.BatchSize(&m[0])+len(m[0].Value))
	for kafkarecord.BatchSize(&m[0]) > MaxMessageBytes {
		m[0].Value = m[0].Value[:len(m[0].Value)-1]
	}
	if kafkarecord.BatchSize(&m[0]) != MaxMessageBytes {
		t.Fatalf("could not build a record of batch size %d (got %d)", MaxMessageBytes, kafkarecord.BatchSize(&m[0]))
	}
	commit(t, w, w.Submit(m))
	m[0].Value = append(m[0].Value, 'x')
	if err := settle(w, w.Submit(m)); err == nil {
		t.Fatal("a record over the limit was accepted")
	}
	readCommitted(t, c, topic, 1)
}

func testNoTopic(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	w := mustOpen(t, open, Config{Sink: sinkFor(c)})
	in := msgs(topic, 3, 1)
	in[2].Topic = ""
	if err := settle(w, w.Submit(in)); !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "no topic") {
		t.Fatalf("err = %v, want a terminal error saying the record has no topic", err)
	}
}

func testUnknownPartition(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 2)
	w := mustOpen(t, open, Config{Sink: sinkFor(c), RetryFor: 500 * time.Millisecond})
	m := msgs(topic, 1, 1)
	m[0].Partition = 5
	err := settle(w, w.Submit(m))
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "create the topic") {
		t.Fatalf("err = %v, want a terminal error saying to create the topic with enough partitions", err)
	}
}

func testClose(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	w := mustOpen(t, open, Config{Sink: sinkFor(c)})
	in := msgs(topic, 50, 1)
	p := w.Submit(in)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	default:
		t.Fatal("a submission is not done when Close returned")
	}
	// Sent (kafkawriter) or aborted (txwriter): all of it or nothing.
	want := 0
	if p.Err() == nil {
		want = len(in)
	}
	readCommitted(t, c, topic, want)
	if err := settle(w, w.Submit(in[:1])); !errors.Is(err, kafkarecord.ErrClosed) {
		t.Fatalf("Submit after Close = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testCompression(t *testing.T, c *Cluster, open Opener) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := c.NewTopic(t, 1)
			attrs := int16(-1)
			var mu sync.Mutex
			if c.Fake != nil {
				c.Fake.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
					c.Fake.KeepControl()
					for _, rt := range r.(*kmsg.ProduceRequest).Topics {
						if !isTopic(c, &rt, topic) {
							continue
						}
						var b kmsg.RecordBatch
						if err := b.ReadFrom(rt.Partitions[0].Records); err == nil {
							mu.Lock()
							attrs = b.Attributes & 0x7
							mu.Unlock()
						}
					}
					return nil, nil, false
				})
			}
			s := sinkFor(c)
			s.Compression, s.BatchBytes = codec, 1<<20
			w := mustOpen(t, open, Config{Sink: s})
			// 180 KB in one batch: several lz4 blocks of 64 KiB, of text
			// that compresses and of random bytes that do not.
			in := msgs(topic, 600, 1)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range in {
				v := fmt.Appendf(in[i].Value[:0:0], "v%06d:", i)
				for len(v) < 300 {
					if i < len(in)/2 {
						v = append(v, "some text that repeats "...)
					} else {
						v = append(v, byte(rng.Uint32()))
					}
				}
				in[i].Value = v[:300]
			}
			commit(t, w, w.Submit(in))
			checkOrder(t, readCommitted(t, c, topic, len(in)), in)
			mu.Lock()
			defer mu.Unlock()
			want := map[string]int16{"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}[codec]
			if c.Fake != nil && attrs != want {
				t.Errorf("batch compression attribute = %d, want %d", attrs, want)
			}
		})
	}
}

func testUnreachable(t *testing.T, c *Cluster, open Opener) {
	s := sinkFor(c)
	s.Brokers = []string{"127.0.0.1:1"}
	w, err := open(t, Config{Sink: s, RetryFor: 800 * time.Millisecond, RequestTimeout: time.Second})
	if err == nil { // a writer that connects lazily fails its first write
		defer w.Close()
		err = settle(w, w.Submit(msgs("t", 2, 1)))
	}
	if err == nil || errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
}

func testAcksAll(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	var mu sync.Mutex
	var acks []int16
	c.Fake.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.Fake.KeepControl()
		mu.Lock()
		acks = append(acks, r.(*kmsg.ProduceRequest).Acks)
		mu.Unlock()
		return nil, nil, false
	})
	w := mustOpen(t, open, Config{Sink: sinkFor(c)})
	commit(t, w, w.Submit(msgs(topic, 10, 1)))
	mu.Lock()
	defer mu.Unlock()
	if len(acks) == 0 {
		t.Fatal("no produce request seen")
	}
	for _, a := range acks {
		if a != -1 {
			t.Fatalf("produce acks = %d, want -1 (all)", a)
		}
	}
}

// isTopic reports whether a produce request's topic is topic, named (up to
// v12) or by id (v13, which franz-go uses).
func isTopic(c *Cluster, rt *kmsg.ProduceRequestTopic, topic string) bool {
	return rt.Topic == topic || rt.TopicID == c.Fake.TopicInfo(topic).TopicID
}

// failProduce makes the next n produce requests to topic fail with code.
func failProduce(c *Cluster, topic string, n int, code int16) *atomic.Int64 {
	seen := new(atomic.Int64)
	c.Fake.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.Fake.KeepControl()
		req := r.(*kmsg.ProduceRequest)
		if !slices.ContainsFunc(req.Topics, func(rt kmsg.ProduceRequestTopic) bool { return isTopic(c, &rt, topic) }) || seen.Load() >= int64(n) {
			return nil, nil, false
		}
		seen.Add(1)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return seen
}

func testTerminalBrokerError(t *testing.T, c *Cluster, open Opener) {
	for _, tc := range []struct {
		name string
		code int16
		hint string
	}{
		{"message too large", kerr.MessageTooLarge.Code, "max.message.bytes"},
		{"topic authorization", kerr.TopicAuthorizationFailed.Code, "grant it WRITE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topic := c.NewTopic(t, 2)
			w := mustOpen(t, open, Config{Sink: sinkFor(c)})
			failProduce(c, topic, 1000, tc.code)
			start := time.Now()
			err := settle(w, w.Submit(msgs(topic, 10, 1)))
			if err == nil || !errkind.IsTerminal(err) {
				t.Fatalf("err = %v, want a terminal error", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the terminal error took %v: it was retried", d)
			}
			for _, want := range []string{tc.hint, "topic " + topic + " partition 0"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks where or how to fix (%q)", err, want)
				}
			}
			// The writer is failed: even another partition is refused.
			if err2 := settle(w, w.Submit(msgs(topic, 2, 2)[1:])); err2 == nil {
				t.Error("a submission after the failure succeeded")
			}
		})
	}
}

func testRetriedInOrder(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	s := sinkFor(c)
	s.BatchBytes = 1 << 10
	w := mustOpen(t, open, Config{Sink: s})
	seen := failProduce(c, topic, 3, kerr.NotEnoughReplicas.Code)
	in := msgs(topic, 300, 1)
	commit(t, w, w.Submit(in[:150]), w.Submit(in[150:]))
	if seen.Load() != 3 {
		t.Fatalf("%d produce requests failed, want 3", seen.Load())
	}
	checkOrder(t, readCommitted(t, c, topic, len(in)), in)
}

func testGivesUp(t *testing.T, c *Cluster, open Opener) {
	topic := c.NewTopic(t, 1)
	w := mustOpen(t, open, Config{Sink: sinkFor(c), RetryFor: 700 * time.Millisecond})
	failProduce(c, topic, 100000, kerr.NotEnoughReplicas.Code)
	start := time.Now()
	err := settle(w, w.Submit(msgs(topic, 5, 1)))
	if err == nil || errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v, want about the retry time", d)
	}
}
