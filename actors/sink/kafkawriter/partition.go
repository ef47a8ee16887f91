package kafkawriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// item is one queued record.
type item struct {
	m    *Message
	p    *Pending
	size int
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
		if k > 0 && total+s+kafkarecord.BatchOverhead > limit {
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
		items[i].p.Settle(j-i, err)
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
