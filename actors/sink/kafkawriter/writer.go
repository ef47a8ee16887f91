package kafkawriter

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Message is one Kafka record to write. Key nil means a null key.
type Message struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []kafka.Header
	// Seq is the change's per-source sequence number; Table names the
	// change's table ("db.table"). Errors and skip reports name them.
	Seq   uint64
	Table string
}

// Writer writes records to one sink's Kafka cluster, to explicit partitions,
// with acks=all and at most one in-flight batch per partition. It is safe for
// concurrent use; calls are ordered per partition in the order they enter.
type Writer struct {
	sink      string
	sinkCfg   *topology.Sink
	st        settings
	log       *slog.Logger
	onSkip    func(Skipped)
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
	wg        sync.WaitGroup

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
	return &Writer{
		sink:      cfg.Sink.Name,
		sinkCfg:   cfg.Sink,
		st:        st,
		log:       log,
		onSkip:    cfg.OnSkip,
		transport: tr,
		client:    &kafka.Client{Addr: kafka.TCP(st.brokers...), Transport: tr, Timeout: st.requestTimeout},
		abort:     make(chan struct{}),
		parts:     make(map[topicPartition]*partWriter),
	}, nil
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

// Pending is the outcome of a Submit.
type Pending struct {
	remaining atomic.Int64
	done      chan struct{}
	mu        sync.Mutex
	err       error
	w         *Writer
}

// Done is closed when every record of the Submit is settled.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Err is the write's error once Done is closed (nil on success).
func (p *Pending) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Wait blocks until the Pending is done and returns its error. If ctx ends
// first, the Writer is failed (nothing more is sent) and Wait still waits for
// in-flight requests to settle, at most the request timeout, so that the
// caller may reuse the records' bytes when it returns.
func (p *Pending) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.Err()
	case <-ctx.Done():
	}
	if p.w != nil {
		p.w.fail(fmt.Errorf("kafka sink %q: write abandoned: %w", p.w.sink, ctx.Err()))
	}
	<-p.done
	if err := p.Err(); err != nil {
		return err
	}
	return nil
}

func (p *Pending) setErr(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// settle resolves n records, with err when they failed.
func (p *Pending) settle(n int, err error) {
	if err != nil {
		p.setErr(err)
	}
	if p.remaining.Add(int64(-n)) == 0 {
		close(p.done)
	}
}

func donePending(err error) *Pending {
	p := &Pending{done: make(chan struct{}), err: err}
	close(p.done)
	return p
}

func (w *Writer) submit(msgs []Message, flush bool) *Pending {
	if len(msgs) == 0 {
		return donePending(nil)
	}
	// Check every record before queueing any: a record that can never be
	// written stops the call there (failAt), and the skip policy is applied
	// before anything is queued.
	skips := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Topic == "" || m.Partition < 0 {
			return donePending(errkind.Terminal(fmt.Errorf("kafka sink %q: record seq %d has no topic or a negative partition (%q, %d)", w.sink, m.Seq, m.Topic, m.Partition)))
		}
		if size := batchSize(m); size > w.st.maxMessageBytes {
			if w.st.oversize == topology.OversizeFail {
				err := errkind.Terminal(&OversizeError{Sink: w.sink, Topic: m.Topic, Partition: m.Partition, Seq: m.Seq,
					Table: m.Table, Position: headerValue(m, "sluice.pos"), Key: m.Key, Size: size, Limit: w.st.maxMessageBytes})
				return w.failAt(msgs[:i], flush, err)
			}
			skips++
		}
	}
	if skips > 0 {
		for i := range msgs {
			m := &msgs[i]
			if size := batchSize(m); size > w.st.maxMessageBytes {
				w.stats.skipped.Add(1)
				if w.onSkip != nil {
					w.onSkip(Skipped{Topic: m.Topic, Partition: m.Partition, Seq: m.Seq, Table: m.Table,
						Position: headerValue(m, "sluice.pos"), Size: size, Limit: w.st.maxMessageBytes})
				}
			}
		}
		if skips == len(msgs) {
			return donePending(nil)
		}
	}

	p := &Pending{done: make(chan struct{}), w: w}
	p.remaining.Store(int64(len(msgs) - skips))

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
		p.settle(len(msgs)-skips, err)
		return p
	}
	var last *partWriter
	for i := range msgs {
		m := &msgs[i]
		size := recordSize(m)
		if size+batchOverhead > w.st.maxMessageBytes {
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
	w.mu.Unlock()
	return p
}

// failAt handles a record that can never be written (oversize: fail): the
// records before it in the call are written (they precede it in every
// partition), every later call is refused so that nothing overtakes it, and
// the returned Pending ends with err once the records before it settle.
// Requests already in flight complete normally.
func (w *Writer) failAt(head []Message, flush bool, err error) *Pending {
	var before *Pending
	if len(head) > 0 {
		before = w.submit(head, flush)
	}
	w.mu.Lock()
	if w.rejecting == nil {
		w.rejecting = err
	}
	w.mu.Unlock()
	if before == nil {
		return donePending(err)
	}
	p := &Pending{done: make(chan struct{}), w: w}
	go func() {
		<-before.Done()
		p.setErr(err)
		close(p.done)
	}()
	return p
}

// headerValue returns the value of m's header key, or "".
func headerValue(m *Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
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
