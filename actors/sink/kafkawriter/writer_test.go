package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"github.com/segmentio/kafka-go"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestWriter_Write_ExplicitPartitionsInOrder(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(4, "orders"))
	brokers := c.ListenAddrs()
	sink := testSink(brokers)
	sink.BatchBytes = 4 << 10 // many batches per partition
	w := newWriter(t, Config{Sink: sink})
	p := probe(w, time.Millisecond)

	in := msgs("orders", 2000, 4)
	// Two Writes, so that order must also hold across calls.
	if err := w.Write(context.Background(), in[:1200]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), in[1200:]); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, brokers, "orders", len(in))
	for part := int32(0); part < 4; part++ {
		recs := got[part]
		if len(recs) != 500 {
			t.Fatalf("partition %d holds %d records, want 500", part, len(recs))
		}
		for j, r := range recs {
			i := j*4 + int(part)
			if string(r.Value) != fmt.Sprintf("v%06d", i) || string(r.Key) != fmt.Sprintf("k%d", i) {
				t.Fatalf("partition %d record %d = %s/%s, want k%d/v%06d", part, j, r.Key, r.Value, i, i)
			}
			if r.Headers["sluice.seq"] != fmt.Sprint(i) {
				t.Fatalf("partition %d record %d header sluice.seq = %q, want %d", part, j, r.Headers["sluice.seq"], i)
			}
		}
	}
	st := w.Stats()
	if st.Records != 2000 || st.Batches < 8 {
		t.Errorf("stats = %+v, want 2000 records in several batches per partition", st)
	}
	if p.max != 1 {
		t.Errorf("max in-flight produce requests per partition = %d, want 1", p.max)
	}
}

func TestWriter_Submit_PipelinesAndKeepsOrder(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(2, "pipe"))
	brokers := c.ListenAddrs()
	sink := testSink(brokers)
	sink.BatchBytes = 256 << 10
	sink.Linger = 20 * time.Millisecond
	w := newWriter(t, Config{Sink: sink})
	p := probe(w, 2*time.Millisecond)

	in := msgs("pipe", 3000, 2)
	var pend []*Pending
	for i := 0; i < len(in); i += 100 {
		pend = append(pend, w.Submit(in[i:i+100]))
	}
	for i, pd := range pend {
		if err := pd.Wait(context.Background()); err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	got := readBack(t, brokers, "pipe", len(in))
	for part := int32(0); part < 2; part++ {
		for j, r := range got[part] {
			if want := fmt.Sprintf("v%06d", j*2+int(part)); string(r.Value) != want {
				t.Fatalf("partition %d record %d = %s, want %s", part, j, r.Value, want)
			}
		}
	}
	if p.max != 1 {
		t.Errorf("max in-flight produce requests per partition = %d, want 1", p.max)
	}
	// Thirty submits of 50 records per partition, each far below a batch:
	// while a batch is in flight the next submits queue up and go together.
	if st := w.Stats(); st.Batches >= 60 {
		t.Errorf("%d batches for 30 submits over 2 partitions: pending submits were not merged", st.Batches)
	}
}

func TestWriter_Write_RequestsAcksAll(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "acks"))
	var mu sync.Mutex
	var acks []int16
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		acks = append(acks, r.(*kmsg.ProduceRequest).Acks)
		mu.Unlock()
		return nil, nil, false
	})
	w := newWriter(t, Config{Sink: testSink(c.ListenAddrs())})
	if err := w.Write(context.Background(), msgs("acks", 10, 1)); err != nil {
		t.Fatal(err)
	}
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

// failProduce makes the next n produce requests for partition 0 of topic
// fail with code.
func failProduce(c *kfake.Cluster, n int, code int16) *int {
	seen := new(int)
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		req := r.(*kmsg.ProduceRequest)
		if *seen >= n {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		*seen++
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
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

func TestWriter_Write_RetriesRetryableErrorsInOrder(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "retry"))
	seen := failProduce(c, 3, kerr.NotEnoughReplicas.Code)
	sink := testSink(c.ListenAddrs())
	sink.BatchBytes = 1 << 10
	w := newWriter(t, Config{Sink: sink})
	in := msgs("retry", 300, 1)
	if err := w.Write(context.Background(), in); err != nil {
		t.Fatalf("Write after 3 retryable failures: %v", err)
	}
	if *seen != 3 {
		t.Fatalf("%d produce requests failed, want 3", *seen)
	}
	if st := w.Stats(); st.Retries != 3 || st.Records != 300 {
		t.Errorf("stats = %+v, want 3 retries and 300 records", st)
	}
	got := readBack(t, c.ListenAddrs(), "retry", 300)[0]
	if len(got) != 300 {
		t.Fatalf("read %d records, want 300", len(got))
	}
	for i, r := range got {
		if want := fmt.Sprintf("v%06d", i); string(r.Value) != want {
			t.Fatalf("record %d = %s, want %s: a retry reordered the partition", i, r.Value, want)
		}
	}
}

func TestWriter_Write_TerminalBrokerErrorFailsTheWriter(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int16
		hint string
	}{
		{"message too large", kerr.MessageTooLarge.Code, "max.message.bytes"},
		{"topic authorization", kerr.TopicAuthorizationFailed.Code, "grant it WRITE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeCluster(t, kfake.SeedTopics(2, "term"))
			failProduce(c, 1000, tc.code)
			w := newWriter(t, Config{Sink: testSink(c.ListenAddrs())})
			start := time.Now()
			err := w.Write(context.Background(), msgs("term", 10, 1))
			if err == nil {
				t.Fatal("Write succeeded, want a terminal error")
			}
			if !errkind.IsTerminal(err) {
				t.Errorf("error not terminal: %v", err)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("terminal error took %v: it was retried", time.Since(start))
			}
			var we *WriteError
			if !errors.As(err, &we) || we.Topic != "term" || we.Partition != 0 || we.FirstSeq != 0 || we.LastSeq != 9 || we.Attempts != 1 {
				t.Fatalf("error = %#v, want a WriteError for term/0 seq 0-9 after 1 attempt", err)
			}
			if !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), "topic term partition 0") {
				t.Errorf("error %q lacks where or how to fix (%q)", err, tc.hint)
			}
			// The writer is failed: even another partition is refused.
			err2 := w.Write(context.Background(), msgs("term", 2, 2)[1:])
			if err2 == nil || !errors.Is(err2, we.Err) {
				t.Errorf("Write after failure = %v, want the first failure", err2)
			}
		})
	}
}

func TestWriter_Write_RetryableErrorGivesUpAfterRetryFor(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "slow"))
	failProduce(c, 1000, kerr.NotEnoughReplicas.Code)
	w := newWriter(t, Config{Sink: testSink(c.ListenAddrs()), RetryFor: 700 * time.Millisecond})
	start := time.Now()
	err := w.Write(context.Background(), msgs("slow", 5, 1))
	if err == nil {
		t.Fatal("Write succeeded against a failing broker")
	}
	if errkind.IsTerminal(err) {
		t.Errorf("NOT_ENOUGH_REPLICAS marked terminal: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gave up after %v, want about the retry window", d)
	}
	var we *WriteError
	if !errors.As(err, &we) || we.Attempts < 2 {
		t.Fatalf("error = %v, want a WriteError after several attempts", err)
	}
}

func TestWriter_Write_FailureStopsLaterBatchesOfThePartition(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "gap"))
	// First batch succeeds, then every request fails terminally.
	var n int
	c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		n++
		if n == 1 {
			return nil, nil, false
		}
		req := r.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		st := kmsg.NewProduceResponseTopic()
		st.Topic = req.Topics[0].Topic
		sp := kmsg.NewProduceResponseTopicPartition()
		sp.ErrorCode = kerr.InvalidRecord.Code
		st.Partitions = append(st.Partitions, sp)
		resp.Topics = append(resp.Topics, st)
		return resp, nil, true
	})
	sink := testSink(c.ListenAddrs())
	sink.BatchBytes = 1 << 10
	w := newWriter(t, Config{Sink: sink})
	err := w.Write(context.Background(), msgs("gap", 200, 1))
	var we *WriteError
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want WriteError", err)
	}
	if we.LastOffset < 0 || we.FirstSeq == 0 {
		t.Errorf("WriteError = %+v, want the second batch with the first batch's last offset", we)
	}
	if n != 2 {
		t.Errorf("%d produce requests, want 2: nothing may be sent after a failed batch", n)
	}
	got := readBack(t, c.ListenAddrs(), "gap", int(we.LastOffset)+1)[0]
	if int64(len(got)) != we.LastOffset+1 || got[len(got)-1].Offset != we.LastOffset {
		t.Errorf("read %d records, want exactly the first batch (offsets 0..%d)", len(got), we.LastOffset)
	}
}

func TestWriter_Oversize_Fail(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "big"))
	sink := testSink(c.ListenAddrs())
	sink.MaxMessageBytes = 1000
	w := newWriter(t, Config{Sink: sink})
	in := msgs("big", 5, 1)
	in[3].Value = make([]byte, 2000)
	in[3].Key = []byte("order-17")
	err := w.Write(context.Background(), in)
	var oe *OversizeError
	if !errors.As(err, &oe) || !errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want a terminal OversizeError", err)
	}
	for _, want := range []string{"seq 3", "topic big partition 0", `"order-17"`, "over the sink's max message bytes 1000", "max.message.bytes", "oversize: skip"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if oe.Size <= 2000 {
		t.Errorf("reported size %d, want the record's full size (> 2000)", oe.Size)
	}
	// The records before the oversize one are written (they precede it),
	// the one after it is not (it would overtake it).
	if st := w.Stats(); st.Records != 3 {
		t.Errorf("%d records written, want the 3 before the oversize record", st.Records)
	}
	if got := readBack(t, c.ListenAddrs(), "big", 3)[0]; len(got) != 3 || string(got[2].Value) != string(in[2].Value) {
		t.Errorf("read back %d records, want seq 0..2", len(got))
	}
}

func TestWriter_Oversize_SkipReportsAndSendsTheRest(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "big"))
	sink := testSink(c.ListenAddrs())
	sink.MaxMessageBytes = 1000
	sink.Oversize = topology.OversizeSkip
	var skipped []Skipped
	w := newWriter(t, Config{Sink: sink, OnSkip: func(s Skipped) { skipped = append(skipped, s) }})
	in := msgs("big", 6, 1)
	in[1].Value = make([]byte, 5000)
	in[4].Value = make([]byte, 1000)
	if err := w.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0].Seq != 1 || skipped[1].Seq != 4 || skipped[0].Limit != 1000 || skipped[0].Size <= 5000 {
		t.Fatalf("skipped = %+v, want seqs 1 and 4 with sizes and limit", skipped)
	}
	if st := w.Stats(); st.Skipped != 2 || st.Records != 4 {
		t.Errorf("stats = %+v, want 2 skipped, 4 written", st)
	}
	got := readBack(t, c.ListenAddrs(), "big", 4)[0]
	var vals []string
	for _, r := range got {
		vals = append(vals, string(r.Value))
	}
	if strings.Join(vals, " ") != "v000000 v000002 v000003 v000005" {
		t.Errorf("topic holds %v", vals)
	}
	// A Write of nothing but oversize records completes at once.
	if err := w.Write(context.Background(), in[1:2]); err != nil {
		t.Fatal(err)
	}
}

// TestWriter_Oversize_LimitIsExact pins the size arithmetic: a record whose
// single-record batch is exactly the limit is accepted by a broker with that
// max.message.bytes, one byte more is refused by the writer.
func TestWriter_Oversize_LimitIsExact(t *testing.T) {
	const limit = 3000
	c := fakeCluster(t, kfake.SeedTopics(1, "edge"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(limit)}))
	sink := testSink(c.ListenAddrs())
	sink.MaxMessageBytes = limit
	w := newWriter(t, Config{Sink: sink})
	m := msgs("edge", 1, 1)
	for n := limit; n > 0; n-- {
		m[0].Value = make([]byte, n)
		if batchSize(&m[0]) == limit {
			break
		}
	}
	if batchSize(&m[0]) != limit {
		t.Fatalf("could not build a record of batch size %d (got %d)", limit, batchSize(&m[0]))
	}
	if err := w.Write(context.Background(), m); err != nil {
		t.Fatalf("record at the limit refused: %v", err)
	}
	m[0].Value = append(m[0].Value, 'x')
	if err := w.Write(context.Background(), m); err == nil {
		t.Fatal("record over the limit accepted")
	}
}

func TestWriter_Write_UnknownPartitionIsTerminalAfterRetries(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(2, "two"))
	w := newWriter(t, Config{Sink: testSink(c.ListenAddrs()), RetryFor: 500 * time.Millisecond})
	m := msgs("two", 1, 1)
	m[0].Partition = 5
	err := w.Write(context.Background(), m)
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "create the topic") {
		t.Fatalf("err = %v, want a terminal error saying to create the topic", err)
	}
}

func TestWriter_Write_CanceledContextSettles(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "cancel"))
	failProduce(c, 1000, kerr.NotEnoughReplicas.Code)
	w := newWriter(t, Config{Sink: testSink(c.ListenAddrs()), RetryFor: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := w.Write(ctx, msgs("cancel", 3, 1))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Write = %v after %v, want an error soon after the context ends", err, time.Since(start))
	}
	if err := w.Write(context.Background(), msgs("cancel", 1, 1)); err == nil {
		t.Fatal("Write after an abandoned write succeeded; the writer must be failed")
	}
}

func TestWriter_Close_DrainsQueuedSubmits(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "drain"))
	sink := testSink(c.ListenAddrs())
	sink.Linger = time.Hour // only Close can send it
	w, err := New(Config{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	p := w.Submit(msgs("drain", 50, 1))
	select {
	case <-p.Done():
		t.Fatal("submit completed before Close despite the linger")
	case <-time.After(100 * time.Millisecond):
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatalf("queued submit after Close: %v", err)
	}
	if len(readBack(t, c.ListenAddrs(), "drain", 50)[0]) != 50 {
		t.Fatal("records lost on Close")
	}
	if err := w.Write(context.Background(), msgs("drain", 1, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestWriter_Write_Compression(t *testing.T) {
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			c := fakeCluster(t, kfake.SeedTopics(1, "z"))
			var attrs int16 = -1
			c.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
				req := r.(*kmsg.ProduceRequest)
				var b kmsg.RecordBatch
				if err := b.ReadFrom(req.Topics[0].Partitions[0].Records); err == nil {
					attrs = b.Attributes & 0x7
				}
				return nil, nil, false
			})
			sink := testSink(c.ListenAddrs())
			sink.Compression = codec
			w := newWriter(t, Config{Sink: sink})
			in := msgs("z", 100, 1)
			if err := w.Write(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			want := map[string]int16{"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}[codec]
			if attrs != want {
				t.Errorf("batch compression attribute = %d, want %d", attrs, want)
			}
			got := readBack(t, c.ListenAddrs(), "z", 100)[0]
			if string(got[99].Value) != "v000099" {
				t.Errorf("last record = %s", got[99].Value)
			}
		})
	}
}

func TestWriter_Write_UnreachableClusterIsRetryable(t *testing.T) {
	w := newWriter(t, Config{Sink: testSink([]string{"127.0.0.1:1"}), RetryFor: 800 * time.Millisecond, RequestTimeout: time.Second})
	err := w.Write(context.Background(), msgs("t", 2, 1))
	var we *WriteError
	if !errors.As(err, &we) || errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want a retryable WriteError", err)
	}
	if we.Attempts < 2 {
		t.Errorf("gave up after %d attempt(s), want retries within the window", we.Attempts)
	}
}

func TestWriter_Write_LeaderMoveIsRetriedInOrder(t *testing.T) {
	c := fakeCluster(t, kfake.NumBrokers(2), kfake.SeedTopics(1, "mv"))
	w := newWriter(t, Config{Sink: testSink(c.ListenAddrs()), RetryFor: 30 * time.Second})
	in := msgs("mv", 200, 1)
	if err := w.Write(context.Background(), in[:100]); err != nil {
		t.Fatal(err)
	}
	leader := c.LeaderFor("mv", 0)
	other := int32(0)
	if leader == 0 {
		other = 1
	}
	if err := c.MoveTopicPartition("mv", 0, other); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := w.Write(context.Background(), in[100:]); err != nil {
		t.Fatalf("write after the leader moved: %v", err)
	}
	// The metadata refresh on NOT_LEADER finds the new leader at once,
	// rather than at kafka-go's next periodic refresh (up to 5 s, plus
	// backoff: about 7 s before the refresh was forced).
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("write after the leader moved took %v, want well under the metadata TTL", d)
	}
	got := readBack(t, c.ListenAddrs(), "mv", 200)[0]
	for i, r := range got {
		if want := fmt.Sprintf("v%06d", i); string(r.Value) != want {
			t.Fatalf("record %d = %s, want %s", i, r.Value, want)
		}
	}
}

// Regression: an oversize record with oversize: fail used to fail only its
// own Submit, so records submitted after it reached Kafka before the task
// stopped, overtaking the row that could not be written.
func TestWriter_Submit_OversizeFailStopsLaterSubmits(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "big"))
	sink := testSink(c.ListenAddrs())
	sink.MaxMessageBytes = 1024
	w := newWriter(t, Config{Sink: sink})
	big := Message{Topic: "big", Value: make([]byte, 4096), Seq: 51, Table: "shop.docs",
		Headers: []kafka.Header{{Key: "sluice.pos", Value: []byte("b.000001:77")}}}
	first := w.Submit([]Message{big})
	later := w.Submit(msgs("big", 5, 1))
	err := first.Wait(context.Background())
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "table shop.docs (binlog b.000001:77)") {
		t.Fatalf("oversize error = %v, want terminal naming the table and position", err)
	}
	if err := later.Wait(context.Background()); err == nil {
		t.Fatal("a write submitted after the oversize record succeeded")
	}
}
