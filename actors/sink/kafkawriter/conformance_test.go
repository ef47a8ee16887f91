package kafkawriter_test

import (
	"testing"

	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/sink/writertest"
)

var _ sink.Writer = (*kafkawriter.Writer)(nil)

func open(_ testing.TB, cfg writertest.Config) (sink.Writer, error) {
	w, err := kafkawriter.New(kafkawriter.Config{Sink: cfg.Sink, OnSkip: cfg.OnSkip, RetryFor: cfg.RetryFor, RequestTimeout: cfg.RequestTimeout})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func TestConformance_Fake(t *testing.T) { writertest.Run(t, writertest.Fake, open) }

func TestConformance_Bed(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	writertest.Run(t, writertest.Bed, open)
}

// BenchmarkActorWorkload_Bed compares the writers (docs/cluster.md, "Fenced
// writes"): go test -run '^$' -bench BenchmarkActorWorkload_Bed -benchtime 500000x
// ./actors/sink/kafkawriter ./actors/sink/txwriter
func BenchmarkActorWorkload_Bed(b *testing.B) {
	for _, codec := range []string{"none", "lz4"} {
		b.Run(codec, func(b *testing.B) { writertest.Bench(b, open, codec) })
	}
}
