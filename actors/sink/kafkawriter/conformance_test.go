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

func TestConformance_Bed(t *testing.T) { writertest.Run(t, writertest.Bed, open) }

func BenchmarkActorWorkload_Bed(b *testing.B) { writertest.Bench(b, writertest.Bed, open) }

func BenchmarkActorWorkload_Fake(b *testing.B) { writertest.Bench(b, writertest.Fake, open) }
