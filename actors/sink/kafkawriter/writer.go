package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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

// item is one queued record.
type item struct {
	m    *Message
	p    *Pending
	size int
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

// fail records the Writer's first error and stops all sending.
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

// partWriter owns one topic-partition: a queue and one goroutine that sends
// one batch at a time.
type partWriter struct {
	w  *Writer
	tp topicPartition

	staging []item // filled under w.mu by submit

	mu      sync.Mutex
	queue   []item
	bytes   int
	firstAt time.Time
	flush   bool
	closing bool
	wake    chan struct{}
	lastOff int64
	batch   []item // worker-owned
}

func (w *Writer) newPartWriter(tp topicPartition) *partWriter {
	pw := &partWriter{w: w, tp: tp, wake: make(chan struct{}, 1), lastOff: -1}
	w.parts[tp] = pw
	w.wg.Add(1)
	go pw.run()
	return pw
}

func (pw *partWriter) wakeUp() {
	select {
	case pw.wake <- struct{}{}:
	default:
	}
}

// enqueue moves staged items to the queue. Called under w.mu.
func (pw *partWriter) enqueue(flush bool) {
	pw.mu.Lock()
	if len(pw.queue) == 0 {
		pw.firstAt = time.Now()
	}
	for _, it := range pw.staging {
		pw.bytes += it.size
	}
	pw.queue = append(pw.queue, pw.staging...)
	pw.flush = pw.flush || flush
	pw.mu.Unlock()
	clear(pw.staging)
	pw.staging = pw.staging[:0]
	pw.wakeUp()
}

func (pw *partWriter) run() {
	defer pw.w.wg.Done()
	var timer *time.Timer
	for {
		pw.mu.Lock()
		n, bytes, flush, closing, first := len(pw.queue), pw.bytes, pw.flush, pw.closing, pw.firstAt
		pw.mu.Unlock()

		select {
		case <-pw.w.abort:
			pw.failQueue()
			if closing {
				return
			}
			<-pw.wake
			continue
		default:
		}
		if n == 0 {
			if closing {
				return
			}
			<-pw.wake
			continue
		}
		// Linger: give a part-filled batch a moment to grow, unless a Write
		// waits on it, the Writer is closing, or it is full already.
		if l := pw.w.st.linger; l > 0 && !flush && !closing && bytes < pw.w.st.batchBytes {
			if d := time.Until(first.Add(l)); d > 0 {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-pw.wake:
					timer.Stop()
					continue
				case <-timer.C:
				}
			}
		}
		pw.take()
		pw.send()
	}
}

// take moves the head of the queue, up to batchBytes, into pw.batch.
func (pw *partWriter) take() {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	limit := pw.w.st.batchBytes
	total, k := 0, 0
	for k < len(pw.queue) {
		s := pw.queue[k].size
		if k > 0 && total+s+batchOverhead > limit {
			break
		}
		total += s
		k++
	}
	pw.batch = append(pw.batch[:0], pw.queue[:k]...)
	rest := copy(pw.queue, pw.queue[k:])
	clear(pw.queue[rest:])
	pw.queue = pw.queue[:rest]
	pw.bytes -= total
	if rest == 0 {
		pw.flush = false
	} else {
		pw.firstAt = time.Now()
	}
}

// failQueue settles every queued record with the Writer's failure.
func (pw *partWriter) failQueue() {
	pw.mu.Lock()
	q := pw.queue
	pw.queue = nil
	pw.bytes = 0
	pw.mu.Unlock()
	if len(q) == 0 {
		return
	}
	settleRuns(q, fmt.Errorf("kafka sink %q: topic %s partition %d: %d record(s) not sent after an earlier failure: %w",
		pw.w.sink, pw.tp.topic, pw.tp.partition, len(q), pw.w.failure()))
}

// settleRuns settles items, one call per run of items of the same Pending.
func settleRuns(items []item, err error) {
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].p == items[i].p {
			j++
		}
		items[i].p.settle(j-i, err)
		i = j
	}
}

// send writes pw.batch with retries and settles its records. On failure it
// fails the Writer: the next batch of this partition must not overtake it.
func (pw *partWriter) send() {
	w := pw.w
	batch := pw.batch
	defer func() { clear(pw.batch); pw.batch = pw.batch[:0] }()

	deadline := time.Now().Add(w.st.retryFor)
	backoff := 100 * time.Millisecond
	attempt := 0
	var err error
	for {
		attempt++
		var bytes int
		bytes, err = pw.produce(batch)
		if err == nil {
			w.stats.records.Add(int64(len(batch)))
			w.stats.bytes.Add(int64(bytes))
			w.stats.batches.Add(1)
			settleRuns(batch, nil)
			return
		}
		w.stats.errors.Add(1)
		if !retryable(err) || !time.Now().Add(backoff).Before(deadline) {
			break
		}
		if staleMetadata(err) {
			w.refreshMetadata(pw.tp.topic)
		}
		if attempt == 1 || attempt%10 == 0 {
			w.log.Warn("kafka write failed, retrying", "topic", pw.tp.topic, "partition", pw.tp.partition, "attempt", attempt, "err", err)
		}
		if !sleep(backoff+rand.N(backoff/4+1), w.abort) {
			err = fmt.Errorf("%w (retrying stopped: the writer failed elsewhere)", err)
			break
		}
		w.stats.retries.Add(1)
		if backoff *= 2; backoff > 2*time.Second {
			backoff = 2 * time.Second
		}
	}
	werr := &WriteError{
		Sink: w.sink, Topic: pw.tp.topic, Partition: pw.tp.partition,
		FirstSeq: batch[0].m.Seq, LastSeq: batch[len(batch)-1].m.Seq, Records: len(batch),
		LastOffset: pw.lastOff, Attempts: attempt, Err: err,
	}
	var final error = werr
	if !retryable(err) || missingTopic(err) {
		// A topic or partition still missing after the retry window is a
		// configuration problem, not an outage.
		final = errkind.Terminal(werr)
	}
	w.fail(final)
	settleRuns(batch, final)
	pw.failQueue()
}

// produce sends one batch and waits for acks=all. It returns the batch's
// record bytes. Each attempt gets its own record reader: kafka-go encodes on
// its connection goroutine, which may outlive a timed-out attempt.
func (pw *partWriter) produce(batch []item) (int, error) {
	w := pw.w
	recs := &records{}
	recs.reset(batch)
	ctx, cancel := context.WithTimeout(context.Background(), w.st.requestTimeout)
	defer cancel()
	res, err := w.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        pw.tp.topic,
		Partition:    int(pw.tp.partition),
		RequiredAcks: kafka.RequireAll,
		Compression:  w.st.compression,
		Records:      recs,
	})
	if err != nil {
		return 0, w.diagnose(ctx, pw.tp.topic, err)
	}
	if res == nil {
		return 0, errors.New("no produce response for acks=all")
	}
	if res.Error != nil {
		return 0, res.Error
	}
	pw.lastOff = res.BaseOffset + int64(len(batch)) - 1
	return recs.bytes, nil
}

// diagnose looks behind a "topic not found" error. kafka-go's transport
// routes a produce request with cached metadata; when it could never connect
// (wrong SASL password, untrusted TLS certificate, a plaintext listener) the
// cache is empty and every request fails with "topic not found", while the
// real cause is kept for metadata requests. Ask for it.
func (w *Writer) diagnose(ctx context.Context, topic string, err error) error {
	if !missingTopic(err) {
		return err
	}
	if _, merr := w.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}}); merr != nil {
		return fmt.Errorf("cannot reach the cluster: %w", merr)
	}
	return err
}

// refreshMetadata makes kafka-go's transport re-read the cluster layout
// now rather than at its next periodic refresh (up to MetadataTTL away), so
// that a moved partition leader is found within one retry. The transport has
// no public refresh, but refreshes synchronously after every CreateTopics
// round trip; a validate-only creation of an existing topic changes nothing
// on the cluster (it answers TOPIC_ALREADY_EXISTS, or an authorization error,
// and either way the refresh happens). At most one per second per Writer.
func (w *Writer) refreshMetadata(topic string) {
	w.refreshMu.Lock()
	if time.Since(w.refreshed) < time.Second {
		w.refreshMu.Unlock()
		return
	}
	w.refreshed = time.Now()
	w.refreshMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = w.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics:       []kafka.TopicConfig{{Topic: topic, NumPartitions: -1, ReplicationFactor: -1}},
		ValidateOnly: true,
	})
}

// sleep waits d, or returns false at once when abort closes.
func sleep(d time.Duration, abort <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-abort:
		return false
	}
}

// Sizes, as Kafka's record batch v2 lays them out.
const batchOverhead = 61

// recordSize is the encoded size of m inside a batch, with the timestamp
// delta counted at its largest likely width.
func recordSize(m *Message) int {
	n := 1 + 5 + 5 + // attributes, timestamp delta, offset delta
		varintSize(len(m.Key)) + len(m.Key) +
		varintSize(len(m.Value)) + len(m.Value) +
		varintSize(len(m.Headers))
	for i := range m.Headers {
		h := &m.Headers[i]
		n += varintSize(len(h.Key)) + len(h.Key) + varintSize(len(h.Value)) + len(h.Value)
	}
	return varintSize(n) + n
}

// batchSize is the size of m alone in a record batch: what the broker
// compares with max.message.bytes (before compression).
func batchSize(m *Message) int { return batchOverhead + recordSize(m) }

// varintSize is the zig-zag varint size of a length (-1 for nil counts 1).
func varintSize(n int) int {
	u := uint64(n) << 1
	s := 1
	for u >= 0x80 {
		u >>= 7
		s++
	}
	return s
}

// records feeds a batch to kafka-go's encoder without copying bytes. The
// encoder consumes each record before asking for the next, so one Record
// and two readers are reused.
type records struct {
	items  []item
	i      int
	bytes  int
	rec    kafka.Record
	key    bytesReader
	value  bytesReader
	tstamp time.Time
}

func (r *records) reset(items []item) {
	r.items, r.i, r.bytes = items, 0, 0
	r.tstamp = time.Now()
}

// ReadRecord implements kafka.RecordReader.
func (r *records) ReadRecord() (*kafka.Record, error) {
	if r.i >= len(r.items) {
		return nil, io.EOF
	}
	m := r.items[r.i].m
	r.bytes += r.items[r.i].size
	r.i++
	r.rec = kafka.Record{Time: r.tstamp, Headers: m.Headers}
	if m.Key != nil {
		r.key.reset(m.Key)
		r.rec.Key = &r.key
	}
	if m.Value != nil {
		r.value.reset(m.Value)
		r.rec.Value = &r.value
	}
	return &r.rec, nil
}

// bytesReader is a kafka.Bytes over a byte slice. It implements
// io.WriterTo: kafka-go copies record bytes with io.Copy, and without
// WriterTo the copy would fall through to the compressor's ReadFrom, which
// lz4's writer refuses once a batch has started ("unhandled state").
type bytesReader struct {
	b   []byte
	off int
}

func (b *bytesReader) reset(p []byte) { b.b, b.off = p, 0 }
func (b *bytesReader) Len() int       { return len(b.b) - b.off }
func (b *bytesReader) Close() error   { return nil }
func (b *bytesReader) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.b[b.off:])
	b.off += n
	return int64(n), err
}
func (b *bytesReader) Read(p []byte) (int, error) {
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

var (
	_ kafka.RecordReader = (*records)(nil)
	_ kafka.Bytes        = (*bytesReader)(nil)
	_ io.WriterTo        = (*bytesReader)(nil)
)
