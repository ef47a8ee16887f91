package kafkawriter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// Tests against the real Kafka of the test bed (make testbed-up).

func bedSink(t testing.TB) *topology.Sink {
	t.Helper()
	s := testSink(testbed.Kafka(t))
	s.BatchBytes = 1 << 20
	return s
}

func TestWriter_Bed_WriteReadBack(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	const parts, n = 4, 10000
	topic := testbed.NewTopic(t, parts)
	w := newWriter(t, Config{Sink: bedSink(t)})
	in := msgs(topic, n, parts)
	for i := 0; i < n; i += 2500 {
		if err := w.Write(context.Background(), in[i:i+2500]); err != nil {
			t.Fatal(err)
		}
	}

	// kafka-go's reader: every record, in order per partition.
	got := testbed.ReadTopic(t, topic, n, 30*time.Second)
	next := map[int]int{}
	for _, m := range got {
		j := next[m.Partition]
		next[m.Partition]++
		i := j*parts + m.Partition
		if string(m.Value) != fmt.Sprintf("v%06d", i) || string(m.Key) != fmt.Sprintf("k%d", i) {
			t.Fatalf("partition %d offset %d = %s/%s, want k%d/v%06d", m.Partition, m.Offset, m.Key, m.Value, i, i)
		}
		if len(m.Headers) != 1 || m.Headers[0].Key != "sluice.seq" || string(m.Headers[0].Value) != strconv.Itoa(i) {
			t.Fatalf("partition %d offset %d headers = %v", m.Partition, m.Offset, m.Headers)
		}
	}
	for p := 0; p < parts; p++ {
		if next[p] != n/parts {
			t.Errorf("partition %d holds %d records, want %d", p, next[p], n/parts)
		}
	}

	// kcat (librdkafka), an independent client: partition, key and header
	// of the last record of each partition.
	out := testbed.Kcat(t, "-C", "-t", topic, "-o", "-1", "-e", "-q", "-f", "%p %k %h\n")
	lines := strings.Fields(strings.ReplaceAll(out, "\n", " "))
	if len(lines) != 3*parts {
		t.Fatalf("kcat printed %q, want one line per partition", out)
	}
	for i := 0; i < len(lines); i += 3 {
		p, _ := strconv.Atoi(lines[i])
		last := (n/parts-1)*parts + p
		if lines[i+1] != fmt.Sprintf("k%d", last) || lines[i+2] != fmt.Sprintf("sluice.seq=%d", last) {
			t.Errorf("kcat partition %d: key %s header %s, want k%d sluice.seq=%d", p, lines[i+1], lines[i+2], last, last)
		}
	}
}

func TestWriter_Bed_Compression(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, codec := range []string{"gzip", "snappy", "lz4", "zstd"} {
		t.Run(codec, func(t *testing.T) {
			topic := testbed.NewTopic(t, 1)
			s := bedSink(t)
			s.Compression = codec
			w := newWriter(t, Config{Sink: s})
			in := msgs(topic, 500, 1)
			if err := w.Write(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			t.Logf("write stats %+v", w.Stats())
			out := testbed.Kcat(t, "-C", "-t", topic, "-e", "-q", "-f", "%s\n")
			vals := strings.Fields(out)
			if len(vals) != 500 || vals[0] != "v000000" || vals[499] != "v000499" {
				t.Fatalf("kcat read %d values (%v ... ), want v000000..v000499", len(vals), vals[:min(3, len(vals))])
			}
		})
	}
}

func TestWriter_Bed_BrokerRefusesTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	topic := testbed.NewTopic(t, 1) // max.message.bytes is Kafka's default, 1 MiB
	s := bedSink(t)
	s.MaxMessageBytes = 4 << 20 // the sink believes more is allowed
	w := newWriter(t, Config{Sink: s})
	m := msgs(topic, 1, 1)
	m[0].Value = bytes.Repeat([]byte{'x'}, 2<<20)
	start := time.Now()
	err := w.Write(context.Background(), m)
	if err == nil {
		t.Fatal("a 2 MiB record was accepted by a topic with the default max.message.bytes")
	}
	if !errkind.IsTerminal(err) || !errors.Is(err, kafka.MessageSizeTooLarge) || !strings.Contains(err.Error(), "raise the topic's max.message.bytes") {
		t.Errorf("err = %v, want terminal MESSAGE_TOO_LARGE with the fix", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: a terminal error was retried", d)
	}
}

func TestWriter_Bed_EnsureTopics(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	existing := testbed.NewTopic(t, 3)
	fresh := fmt.Sprintf("t_kw_%d", time.Now().UnixNano())
	s := bedSink(t)
	s.MaxMessageBytes = 2 << 20
	w := newWriter(t, Config{Sink: s})
	t.Cleanup(func() {
		cl := &kafka.Client{Addr: kafka.TCP(s.Brokers...), Timeout: 10 * time.Second}
		if _, err := cl.DeleteTopics(context.Background(), &kafka.DeleteTopicsRequest{Topics: []string{fresh}}); err != nil {
			t.Errorf("deleting %s: %v", fresh, err)
		}
	})
	counts, err := w.EnsureTopics(context.Background(), map[string]int{existing: 8, fresh: 5})
	if err != nil {
		t.Fatal(err)
	}
	if counts[existing] != 3 || counts[fresh] != 5 {
		t.Fatalf("counts = %v, want %s:3 (unchanged) and %s:5 (created)", counts, existing, fresh)
	}
	// Kafka's own view: kcat lists 5 partitions for the new topic.
	out := testbed.Kcat(t, "-L", "-t", fresh)
	if !strings.Contains(out, "with 5 partitions") {
		t.Errorf("kcat -L: %s", out)
	}
	// The created topic takes records larger than Kafka's default limit.
	m := msgs(fresh, 1, 1)
	m[0].Value = bytes.Repeat([]byte{'y'}, 1500<<10)
	if err := w.Write(context.Background(), m); err != nil {
		t.Fatalf("1.5 MiB record to a topic created with max.message.bytes 2 MiB: %v", err)
	}
}

// benchWrite writes b.N records of about 300 bytes to a topic of parts
// partitions, in calls of per records, and reports records/s.
func benchWrite(b *testing.B, parts, per int, submit bool, compression string) {
	b.Helper()
	topic := testbed.NewTopic(b, parts)
	s := bedSink(b)
	s.Compression = compression
	s.Linger = time.Millisecond
	w, err := New(Config{Sink: s})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	value := bytes.Repeat([]byte(`{"id":"12345","name":"customer name","email":"someone@example.com"},`), 4)[:260]
	in := make([]Message, per)
	for i := range in {
		in[i] = Message{Topic: topic, Partition: int32(i % parts), Key: []byte(`{"id":` + strconv.Itoa(i) + `}`), Value: value,
			Headers: []kafka.Header{{Key: "sluice.pos", Value: []byte("mysql-bin.000003:123456")}}, Seq: uint64(i)}
	}
	// Warm up connections and metadata.
	if err := w.Write(context.Background(), in[:parts]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	var pend []*Pending
	for done := 0; done < b.N; done += per {
		chunk := in[:min(per, b.N-done)]
		if !submit {
			if err := w.Write(context.Background(), chunk); err != nil {
				b.Fatal(err)
			}
			continue
		}
		pend = append(pend, w.Submit(chunk))
		if len(pend) >= 4 { // keep up to 4 calls in flight
			if err := pend[0].Wait(context.Background()); err != nil {
				b.Fatal(err)
			}
			pend = pend[1:]
		}
	}
	for _, p := range pend {
		if err := p.Wait(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
	b.ReportMetric(float64(w.Stats().Bytes)/el.Seconds()/1e6, "MB/s")
}

func BenchmarkWriter_Bed_Write(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the test bed")
	}
	for _, tc := range []struct {
		parts, per int
		submit     bool
		comp       string
	}{
		{1, 5000, false, "none"},
		{8, 5000, false, "none"},
		{1, 5000, true, "none"},
		{8, 5000, true, "none"},
		{8, 5000, true, "lz4"},
		{8, 5000, true, "zstd"},
	} {
		mode := "write"
		if tc.submit {
			mode = "submit4"
		}
		b.Run(fmt.Sprintf("parts=%d/per=%d/%s/%s", tc.parts, tc.per, mode, tc.comp), func(b *testing.B) {
			benchWrite(b, tc.parts, tc.per, tc.submit, tc.comp)
		})
	}
}
