package txwriter_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/txwriter"
	"github.com/sluicecdc/sluice/actors/sink/writertest"
)

var _ sink.Writer = (*txwriter.Writer)(nil)

// open opens a writer under a transactional id of its own: ids outlive a
// test on the bed.
func open(t testing.TB, cfg writertest.Config) (sink.Writer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := txwriter.Open(ctx, txwriter.Config{Sink: cfg.Sink, OnSkip: cfg.OnSkip, RetryFor: cfg.RetryFor, RequestTimeout: cfg.RequestTimeout,
		TransactionalID: txwriter.TransactionalID(fmt.Sprintf("conformance-%d", time.Now().UnixNano()), t.Name())})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func TestConformance_Fake(t *testing.T) { writertest.Run(t, writertest.Fake, open) }

func TestConformance_Bed(t *testing.T) { writertest.Run(t, writertest.Bed, open) }

func BenchmarkActorWorkload_Bed(b *testing.B) { writertest.Bench(b, writertest.Bed, open) }

func BenchmarkActorWorkload_Fake(b *testing.B) { writertest.Bench(b, writertest.Fake, open) }
