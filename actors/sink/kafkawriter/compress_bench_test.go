package kafkawriter

import (
	"io"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/codecs/canaljson"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
)

// benchBatch is about 1 MiB (the default batch_bytes) of canal-json
// records of codectest's benchmark rows, with random letters in the string
// columns and random numbers, as the harness's generator writes them
// (bench/workload.go): the compression ratio is then near the one measured
// in Kafka.
func benchBatch(b *testing.B) ([]item, int) {
	b.Helper()
	enc, err := canaljson.New(codec.Options{Now: codectest.Now})
	if err != nil {
		b.Fatal(err)
	}
	c := codectest.BenchChanges()["insert"]
	rng := rand.New(rand.NewPCG(1, 2))
	letters := func(n int) string {
		const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		s := make([]byte, n)
		for i := range s {
			s[i] = abc[rng.IntN(len(abc))]
		}
		return string(s)
	}
	var items []item
	total := 0
	for i := 0; total < 1<<20-4096; i++ {
		row := append([]any(nil), c.After...)
		row[0], row[1], row[2], row[3] = rng.Int64N(1_000_000_000), letters(48), letters(32), rng.Int32()
		row[4] = strconv.FormatFloat(float64(rng.IntN(100_000_000))/100, 'f', 2, 64)
		row[5] = rng.Float64() * 1e6
		row[6] = time.Unix(1_700_000_000+rng.Int64N(1e8), 0).UTC().Format(time.DateTime)
		ch := *c
		ch.After, ch.Seq = row, uint64(i+1)
		var rec codec.Record
		if err := enc.Encode(&ch, &rec); err != nil {
			b.Fatal(err)
		}
		m := &Message{Key: append([]byte(nil), rec.Key...), Value: append([]byte(nil), rec.Value...), Seq: ch.Seq}
		for _, h := range rec.Headers {
			m.Headers = append(m.Headers, protocol.Header{Key: h.Key, Value: append([]byte(nil), h.Value...)})
		}
		size := len(m.Key) + len(m.Value) + 32
		items = append(items, item{m: m, size: size})
		total += size
	}
	return items, total
}

// BenchmarkRecordSet_Compress measures kafka-go's encoding of one produce
// request's record batch (about 1 MiB of canal-json records) with each
// compression codec, as the Writer's produce does it; "lz4-kafka-go" is
// kafka-go's own lz4 codec, which Sluice's replaces (lz4.go). It reports
// wall and CPU time (getrusage: the figure to compare on a shared machine)
// per KiB of records, and the compressed size as a share of the input.
func BenchmarkRecordSet_Compress(b *testing.B) {
	items, total := benchBatch(b)
	for _, name := range []string{"none", "gzip", "snappy", "lz4", "lz4-kafka-go", "zstd"} {
		b.Run(name, func(b *testing.B) {
			codec := name
			if name == "lz4-kafka-go" {
				ours := compress.Codecs[compress.Lz4]
				compress.Codecs[compress.Lz4] = ours.(*lz4Codec).reader
				defer func() { compress.Codecs[compress.Lz4] = ours }()
				codec = "lz4"
			}
			comp, err := compression(codec)
			if err != nil {
				b.Fatal(err)
			}
			recs := &records{}
			var out countingWriter
			b.SetBytes(int64(total))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				recs.reset(items)
				out.n = 0
				set := protocol.RecordSet{Version: 2, Attributes: protocol.Attributes(comp), Records: recs}
				if _, err := set.WriteTo(&out); err != nil {
					b.Fatal(err)
				}
			}
			kib := float64(b.N) * float64(total) / 1024
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/kib, "ns/KiB")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/kib, "cpu-ns/KiB")
			b.ReportMetric(float64(out.n)/float64(total), "ratio")
		})
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
