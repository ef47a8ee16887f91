package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/topology"
)

// Message is the record every writer of a sink takes.
type Message = kafkarecord.Message

// Pending is the outcome of a Submit.
type Pending = kafkarecord.Pending

// Writer writes records to one sink's Kafka cluster, to explicit partitions,
// with acks=all and at most one in-flight batch per partition. It is safe for
// concurrent use; calls are ordered per partition in the order they enter.
type Writer struct {
	sink      string
	sinkCfg   *topology.Sink
	st        settings
	log       *slog.Logger
	limits    kafkarecord.Limits
	abandon   func(error) // Pending.Wait's, made once
	transport *kafka.Transport
	client    *kafka.Client

	// abort is closed by the first failure: workers stop sending and fail
	// what is queued, so that nothing is written after a gap.
	abort chan struct{}

	mu      sync.Mutex
	parts   map[topicPartition]*partWriter
	touched []*partWriter // scratch for enqueue, under mu
	closed  bool
	failed  error
	// rejecting refuses new writes after a record that can never be written
	// (oversize: fail), without aborting the ones in flight.
	rejecting error
	// open holds the Pendings Commit may have to wait for, oldest first;
	// done ones are dropped from the front as new ones come.
	open []*Pending
	wg   sync.WaitGroup

	refreshMu sync.Mutex
	refreshed time.Time

	stats counters
}

type topicPartition struct {
	topic     string
	partition int32
}

// New returns a Writer for cfg.Sink. It does not connect: the first write or
// EnsureTopics does. Configuration errors are terminal.
func New(cfg Config) (*Writer, error) {
	st, err := resolve(&cfg)
	if err != nil {
		return nil, err
	}
	tr, err := newTransport(cfg.Sink, cfg.ClientID)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("sink", cfg.Sink.Name)
	w := &Writer{
		sink:      cfg.Sink.Name,
		sinkCfg:   cfg.Sink,
		st:        st,
		log:       log,
		limits:    kafkarecord.Limits{Sink: cfg.Sink.Name, MaxMessageBytes: st.maxMessageBytes, Oversize: st.oversize, OnSkip: cfg.OnSkip},
		transport: tr,
		client:    &kafka.Client{Addr: kafka.TCP(st.brokers...), Transport: tr, Timeout: st.requestTimeout},
		abort:     make(chan struct{}),
		parts:     make(map[topicPartition]*partWriter),
	}
	w.abandon = func(err error) { w.fail(fmt.Errorf("kafka sink %q: write abandoned: %w", w.sink, err)) }
	return w, nil
}

// Write writes msgs and returns once every record is acknowledged by all
// in-sync replicas (or was dropped by the skip oversize policy, reported
// through Config.OnSkip). Records of one partition are written in slice
// order. The caller owns msgs and their bytes again when Write returns, even
// on error: Write waits for in-flight requests to settle.
//
// An error is a *WriteError or *OversizeError (possibly wrapped), marked
// terminal with errkind when retrying cannot help. After any error the
// Writer is failed: later writes return the same error, so that nothing is
// written after a gap; Close it and make a new one to retry from the last
// checkpoint. Canceling ctx fails the Writer the same way.
func (w *Writer) Write(ctx context.Context, msgs []Message) error {
	return w.submit(msgs, true).Wait(ctx)
}

// Submit queues msgs for writing and returns at once; the returned Pending
// completes when every record is acknowledged or the write failed. Records
// of successive Submit and Write calls are written in call order per
// partition, and a partition's queue is sent as soon as its previous batch
// is acknowledged, so a caller may keep several Submits in flight to overlap
// encoding with round trips. Submit does not bound memory: the caller's
// credits do. msgs and their bytes must not change until the Pending is done.
func (w *Writer) Submit(msgs []Message) *Pending { return w.submit(msgs, false) }

func (w *Writer) submit(msgs []Message, flush bool) *Pending {
	if len(msgs) == 0 {
		return kafkarecord.Settled(nil)
	}
	// Check every record before queueing any: a record that can never be
	// written stops the call there (failAt), and the skip policy is applied
	// before anything is queued.
	n, skips, err := w.limits.Screen(msgs)
	if err != nil {
		if !errors.As(err, new(*OversizeError)) {
			return kafkarecord.Settled(err)
		}
		return w.failAt(msgs[:n], flush, err)
	}
	w.stats.skipped.Add(int64(skips))
	if skips == len(msgs) {
		return kafkarecord.Settled(nil)
	}

	p := kafkarecord.NewPending(len(msgs)-skips, w.abandon)

	w.mu.Lock()
	if w.closed || w.failed != nil || w.rejecting != nil {
		err := w.failed
		if err == nil {
			err = w.rejecting
		}
		if err == nil {
			err = ErrClosed
		}
		w.mu.Unlock()
		p.Settle(len(msgs)-skips, err)
		return p
	}
	var last *partWriter
	for i := range msgs {
		m := &msgs[i]
		size := kafkarecord.RecordSize(m)
		if size+kafkarecord.BatchOverhead > w.st.maxMessageBytes {
			continue // skipped above
		}
		pw := last
		if pw == nil || pw.tp.partition != m.Partition || pw.tp.topic != m.Topic {
			pw = w.parts[topicPartition{m.Topic, m.Partition}]
			if pw == nil {
				pw = w.newPartWriter(topicPartition{m.Topic, m.Partition})
			}
			last = pw
		}
		if len(pw.staging) == 0 {
			w.touched = append(w.touched, pw)
		}
		pw.staging = append(pw.staging, item{m: m, p: p, size: size})
	}
	for _, pw := range w.touched {
		pw.enqueue(flush)
	}
	clear(w.touched)
	w.touched = w.touched[:0]
	w.track(p)
	w.mu.Unlock()
	return p
}

// track adds p to the Pendings Commit waits for. Called under w.mu.
func (w *Writer) track(p *Pending) {
	n := 0
	for n < len(w.open) && done(w.open[n]) {
		n++
	}
	clear(w.open[:n])
	w.open = append(w.open[n:], p)
}

func done(p *Pending) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// Commit waits until every record submitted before the call is
// acknowledged: kafka-go writes without transactions, so an acknowledged
// record is durable and there is nothing else to commit. It returns the
// first error among those submissions, or ctx's error if ctx ends first
// (the Writer is not failed then).
func (w *Writer) Commit(ctx context.Context) error {
	w.mu.Lock()
	open := slices.Clone(w.open)
	w.mu.Unlock()
	var first error
	for _, p := range open {
		select {
		case <-p.Done():
		case <-ctx.Done():
			return fmt.Errorf("kafka sink %q: commit abandoned: %w", w.sink, ctx.Err())
		}
		if err := p.Err(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// failAt handles a record that can never be written (oversize: fail): the
// records before it in the call are written (they precede it in every
// partition), every later call is refused so that nothing overtakes it, and
// the returned Pending ends with err once the records before it settle.
// Requests already in flight complete normally.
func (w *Writer) failAt(head []Message, flush bool, err error) *Pending {
	p := kafkarecord.Settled(err)
	if len(head) > 0 {
		p = kafkarecord.FailAfter(w.submit(head, flush), err, w.abandon)
	}
	w.mu.Lock()
	if w.rejecting == nil {
		w.rejecting = err
	}
	w.track(p)
	w.mu.Unlock()
	return p
}

// fail records the Writer's first error and stops all sending.
func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return
	}
	w.failed = err
	close(w.abort)
	for _, pw := range w.parts {
		pw.wakeUp()
	}
}

func (w *Writer) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// Close stops accepting writes, sends what is queued (unless the Writer has
// failed), waits for the partition writers to finish and closes the
// connections. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		for _, pw := range w.parts {
			pw.mu.Lock()
			pw.closing = true
			pw.mu.Unlock()
			pw.wakeUp()
		}
	}
	w.mu.Unlock()
	w.wg.Wait()
	w.transport.CloseIdleConnections()
	return nil
}

// Stats are cumulative counters of a Writer.
type Stats struct {
	Records, Bytes, Batches, Retries, Skipped, Errors int64
}

type counters struct {
	records, bytes, batches, retries, skipped, errors atomic.Int64
}

// Stats returns the Writer's counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Records: w.stats.records.Load(), Bytes: w.stats.bytes.Load(), Batches: w.stats.batches.Load(),
		Retries: w.stats.retries.Load(), Skipped: w.stats.skipped.Load(), Errors: w.stats.errors.Load(),
	}
}
