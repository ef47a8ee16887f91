package kafkawriter

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// lz4Values are n record values that fill several 64 KiB lz4 blocks: text
// that compresses, then random bytes that do not (stored blocks).
func lz4Values(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		if i < n/2 {
			out[i] = fmt.Appendf(nil, `{"id":%d,"name":"customer %d","note":"%s"}`, i, i%977, strings.Repeat("ab", i%50))
		} else {
			out[i] = make([]byte, 300)
			_, _ = rand.Read(out[i])
		}
	}
	return out
}

// The codec kafka-go uses for lz4 is Sluice's, and a record batch it
// compressed reads back through kafka-go's own decoding, over and over
// with the same pooled encoders.
func TestLZ4Codec_RecordBatchRoundTrip(t *testing.T) {
	if _, ok := compress.Codecs[compress.Lz4].(*lz4Codec); !ok {
		t.Fatalf("kafka-go's lz4 codec is %T, not Sluice's", compress.Codecs[compress.Lz4])
	}
	vals := lz4Values(2000)
	items := make([]item, len(vals))
	for i, v := range vals {
		items[i] = item{m: &Message{Key: fmt.Appendf(nil, "k%d", i), Value: v}}
	}
	for round := range 3 {
		recs := &records{}
		recs.reset(items)
		var buf bytes.Buffer
		set := protocol.RecordSet{Version: 2, Attributes: protocol.Lz4, Records: recs}
		if _, err := set.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		var back protocol.RecordSet
		if _, err := back.ReadFrom(&buf); err != nil {
			t.Fatalf("round %d: kafka-go cannot read the batch back: %v", round, err)
		}
		if back.Attributes.Compression() != compress.Lz4 {
			t.Fatalf("round %d: batch compression %v, want lz4", round, back.Attributes.Compression())
		}
		for i := 0; ; i++ {
			r, err := back.Records.ReadRecord()
			if err == io.EOF {
				if i != len(vals) {
					t.Fatalf("round %d: %d records back, want %d", round, i, len(vals))
				}
				break
			}
			if err != nil {
				t.Fatalf("round %d: record %d: %v", round, i, err)
			}
			v, _ := protocol.ReadAll(r.Value)
			if !bytes.Equal(v, vals[i]) {
				t.Fatalf("round %d: record %d differs", round, i)
			}
		}
	}
}

// Kafka's broker accepts Sluice's lz4 batches of several blocks, stored
// and compressed, and two other clients read them back: franz-go
// (pierrec/lz4) and kcat (liblz4).
func TestWriter_Bed_LZ4MultiBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	topic := testbed.NewTopic(t, 1)
	s := bedSink(t)
	s.Compression = "lz4"
	w := newWriter(t, Config{Sink: s})
	vals := lz4Values(2000)
	in := msgs(topic, len(vals), 1)
	for i := range in {
		in[i].Value = vals[i]
	}
	if err := w.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, testbed.Kafka(t), topic, len(vals))[0]
	if len(got) != len(vals) {
		t.Fatalf("franz-go read %d records, want %d", len(got), len(vals))
	}
	for i, r := range got {
		if !bytes.Equal(r.Value, vals[i]) {
			t.Fatalf("franz-go: record %d differs", i)
		}
	}
	out := testbed.Kcat(t, "-C", "-t", topic, "-e", "-q", "-f", "%S\n")
	if sizes := strings.Fields(out); len(sizes) != len(vals) || sizes[len(vals)-1] != "300" {
		t.Fatalf("kcat read %d records (last sizes %v), want %d", len(sizes), sizes[max(0, len(sizes)-2):], len(vals))
	}
	t.Logf("write stats %+v", w.Stats())
}
