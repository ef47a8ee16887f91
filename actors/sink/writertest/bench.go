package writertest

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
)

// Bench measures a writer on cluster (the bed's Kafka, or an in-process
// kfake broker whose CPU then counts too) as the sink actor drives it,
// without compression and with lz4 (the sink's default):
// submissions of 500 records (200-byte values, 8-byte keys, one header)
// spread over 3 partitions, at most 64 in flight (the engine's credit), and
// a Commit after each submission unless one runs, then the next (the
// actor's group commit). b.N counts records. It reports records per second
// and the CPU time of this process per record (user + system, getrusage;
// the broker runs in its own process), under the sink's defaults
// (batch_bytes 1 MiB, linger 5 ms). docs/cluster.md ("Fenced writes") has
// how to run it for both writers and compare.
func Bench(b *testing.B, cluster func(testing.TB) *Cluster, open Opener) {
	for _, codec := range []string{"none", "lz4"} {
		b.Run(codec, func(b *testing.B) { bench(b, cluster(b), open, codec) })
	}
}

func bench(b *testing.B, c *Cluster, open Opener, compression string) {
	const per, window, partitions = 500, 64, 3
	topic := c.NewTopic(b, partitions)
	s := sinkFor(c)
	s.Compression, s.BatchBytes, s.Linger = compression, 1<<20, 5*time.Millisecond
	w := mustOpen(b, open, Config{Sink: s, RetryFor: 30 * time.Second, RequestTimeout: 30 * time.Second})

	// Records are built once; a slot's records are submitted again once
	// their previous submission is done.
	slots := make([][]kafkarecord.Message, window)
	for i := range slots {
		slots[i] = make([]kafkarecord.Message, per)
		for j := range slots[i] {
			n := i*per + j
			v := fmt.Appendf(nil, `{"id":%d,"name":"customer %d","city":"Lisbon","note":"`, n, n%977)
			for len(v) < 198 {
				v = append(v, byte('a'+(n+len(v))%26))
			}
			slots[i][j] = kafkarecord.Message{Topic: topic, Partition: int32(j % partitions), Key: fmt.Appendf(nil, "%08d", n),
				Value: append(v, '"', '}'), Headers: []protocol.Header{{Key: "sluice.seq", Value: fmt.Appendf(nil, "%d", n)}}, Seq: uint64(n)}
		}
	}
	kick, stopped := make(chan struct{}, 1), make(chan struct{})
	commits := 0
	go func() {
		defer close(stopped)
		for range kick {
			if err := w.Commit(context.Background()); err != nil {
				b.Errorf("Commit: %v", err)
				return
			}
			commits++
		}
	}()
	pend := make([]*kafkarecord.Pending, window)
	wait := func(p *kafkarecord.Pending) {
		if p == nil {
			return
		}
		if err := p.Wait(context.Background()); err != nil {
			b.Fatalf("submission: %v", err)
		}
	}

	b.ReportAllocs()
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for i, sent := 0, 0; sent < b.N; i++ {
		slot := i % window
		wait(pend[slot])
		n := min(per, b.N-sent)
		pend[slot] = w.Submit(slots[slot][:n])
		sent += n
		select {
		case kick <- struct{}{}:
		default: // a Commit is due already: it covers this submission
		}
	}
	for _, p := range pend {
		wait(p)
	}
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	b.StopTimer()
	close(kick)
	<-stopped
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
	b.ReportMetric(float64(b.N)/float64(max(commits, 1)), "msgs/commit")
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
