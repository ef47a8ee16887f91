package txwriter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Writer writes one sink's records in Kafka transactions under one
// transactional id. It is safe for concurrent use: Submit and Commit may run
// on different goroutines; records of one partition are written in Submit
// order.
type Writer struct {
	sink    string
	txnID   string
	cl      *kgo.Client
	limits  kafkarecord.Limits
	timeout time.Duration            // bounds an abort
	added   []kgo.RecordHeader       // Config.Headers, added to every record
	abandon func(error)              // Pending.Wait's, made once
	promise func(*kgo.Record, error) // recorded, made once: Produce takes it per record

	// commitMu orders Commits and Close: one ends the transaction at a time.
	commitMu sync.Mutex

	mu sync.Mutex
	// inTxn is set once the client began the open transaction.
	inTxn bool
	// ending is set while a Commit ends the transaction: submissions wait
	// in next and go into the transaction after it.
	ending    bool
	txn, next []*submission
	failed    error
	rejecting error // a record that can never be written (oversize: fail)
	closed    bool

	// recordErr is the first error the client reported for a record; the
	// promise sets it, so it has a lock of its own.
	errMu     sync.Mutex
	recordErr error
}

// submission is one Submit: its records as the client takes them, and its
// Pending, done when their transaction ends.
type submission struct {
	p              *kafkarecord.Pending
	recs           []kgo.Record
	hdrs           []kgo.RecordHeader
	firstSeq, last uint64
}

// slabs recycles the record and header slices of committed submissions
// (the client is done with a record once its transaction committed), so that
// a steady stream of submissions allocates none. Those of failed
// transactions are left to the collector: the client may still hold them.
var slabs sync.Pool

// recycle returns s's slices to slabs, cleared of the caller's bytes.
func (s *submission) recycle() {
	clear(s.recs)
	clear(s.hdrs)
	slabs.Put(s)
}

// Open connects and initialises the producer id of cfg.TransactionalID: from
// then on every older producer of that id is fenced, its open transaction
// aborted. Configuration errors, refused credentials and missing
// permissions are terminal; an unreachable cluster is not.
func Open(ctx context.Context, cfg Config) (*Writer, error) {
	opts, err := options(&cfg)
	if err != nil {
		return nil, err
	}
	s := cfg.Sink
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, errkind.Terminal(fmt.Errorf("transactional kafka writer for sink %q: %w", s.Name, err))
	}
	w := &Writer{
		sink:    s.Name,
		txnID:   cfg.TransactionalID,
		cl:      cl,
		limits:  limits(&cfg),
		timeout: or(cfg.RequestTimeout, DefaultRequestTimeout),
	}
	for _, h := range cfg.Headers {
		w.added = append(w.added, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	w.abandon = func(err error) {
		// Fail, then end the transaction: a failed Writer aborts it.
		w.fail(fmt.Errorf("kafka sink %q: write abandoned: %w", w.sink, err))
		go w.Commit(context.Background())
	}
	w.promise = w.recorded
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return nil, w.classify(fmt.Errorf("opening transactional id %q: %w", w.txnID, err), nil)
	}
	return w, nil
}

// Submit queues msgs for the open transaction (or the next, while a Commit
// ends it) and returns at once. The Pending is done when the transaction
// holding the records commits, or with an error when it cannot. msgs and
// their bytes must not change until then: the client reads them in place.
// Records over max_message_bytes are skipped or refused as kafkawriter
// does (kafkarecord.Limits). After any failure later Submits fail at once.
func (w *Writer) Submit(msgs []kafkarecord.Message) *kafkarecord.Pending {
	if len(msgs) == 0 {
		return kafkarecord.Settled(nil)
	}
	n, skips, err := w.limits.Screen(msgs)
	if err != nil {
		if !errors.As(err, new(*kafkarecord.OversizeError)) {
			return kafkarecord.Settled(err)
		}
		return w.failAt(msgs[:n], err)
	}
	if skips == len(msgs) {
		return kafkarecord.Settled(nil)
	}
	s := w.convert(msgs, skips)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.refusal(); err != nil {
		s.p.Settle(1, err)
		return s.p
	}
	if w.ending {
		w.next = append(w.next, s)
	} else {
		w.produce(s)
	}
	return s.p
}

// failAt writes the records before one that can never be written and
// refuses every later Submit, as kafkawriter does.
func (w *Writer) failAt(head []kafkarecord.Message, err error) *kafkarecord.Pending {
	p := kafkarecord.Settled(err)
	if len(head) > 0 {
		p = kafkarecord.FailAfter(w.Submit(head), err, w.abandon)
	}
	w.mu.Lock()
	if w.rejecting == nil {
		w.rejecting = err
	}
	w.mu.Unlock()
	return p
}

// convert builds the client's records for msgs, less the skipped ones, in
// slices recycled from committed submissions. The bytes are not copied.
func (w *Writer) convert(msgs []kafkarecord.Message, skips int) *submission {
	s, _ := slabs.Get().(*submission)
	if s == nil {
		s = &submission{}
	}
	s.p, s.firstSeq, s.last = kafkarecord.NewPending(1, w.abandon), msgs[0].Seq, msgs[len(msgs)-1].Seq
	nh := len(msgs) * len(w.added)
	for i := range msgs {
		nh += len(msgs[i].Headers)
	}
	s.recs = slices.Grow(s.recs[:0], len(msgs)-skips)
	s.hdrs = slices.Grow(s.hdrs[:0], nh)
	now := time.Now() // one timestamp per submission, not a clock read per record
	for i := range msgs {
		m := &msgs[i]
		if skips > 0 && !w.limits.Fits(m) {
			continue
		}
		h0 := len(s.hdrs)
		for _, h := range m.Headers {
			s.hdrs = append(s.hdrs, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		s.hdrs = append(s.hdrs, w.added...)
		s.recs = append(s.recs, kgo.Record{Topic: m.Topic, Partition: m.Partition, Key: m.Key, Value: m.Value,
			Headers: s.hdrs[h0:len(s.hdrs):len(s.hdrs)], Timestamp: now})
	}
	return s
}

// produce hands s to the client in the open transaction, beginning one if
// none is open. Called under w.mu, never while a Commit ends a transaction
// (the client's transaction calls must not overlap its produces).
func (w *Writer) produce(s *submission) {
	if !w.inTxn {
		if err := w.cl.BeginTransaction(); err != nil {
			err = w.classify(fmt.Errorf("beginning a transaction: %w", err), nil)
			w.failLocked(err)
			s.p.Settle(1, err)
			return
		}
		w.inTxn = true
	}
	for i := range s.recs {
		w.cl.Produce(context.Background(), &s.recs[i], w.promise)
	}
	w.txn = append(w.txn, s)
}

// recorded is the client's promise for every record. Success needs nothing
// (the commit settles the submission); the first error is kept for the
// commit, and later Submits are refused.
func (w *Writer) recorded(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	if w.recordErr == nil {
		w.recordErr = fmt.Errorf("topic %s partition %d: %w", r.Topic, r.Partition, err)
	}
}

func (w *Writer) firstRecordErr() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.recordErr
}

// refusal is why a Submit is refused now, or nil. Called under w.mu.
func (w *Writer) refusal() error {
	switch {
	case w.failed != nil:
		return w.failed
	case w.rejecting != nil:
		return w.rejecting
	case w.closed:
		return kafkarecord.ErrClosed
	}
	if err := w.firstRecordErr(); err != nil {
		return w.classify(err, nil)
	}
	return nil
}

// Commit commits the open transaction: every record submitted before the
// call becomes durable and visible to read_committed consumers, and the
// Pendings of its submissions are done. Submits that arrive meanwhile go
// into the next transaction. On any error the transaction is aborted (or
// left to the broker when fenced), its Pendings and those waiting fail with
// the error, and the Writer is failed. A writer fenced by a newer owner
// fails with a terminal *FencedError.
func (w *Writer) Commit(ctx context.Context) error {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	w.mu.Lock()
	if len(w.txn) == 0 {
		w.mu.Unlock()
		return nil
	}
	txn, failed := w.txn, w.failed
	w.txn, w.ending = nil, true
	w.mu.Unlock()

	err := failed
	if err == nil {
		err = w.end(ctx, txn)
	} else {
		w.abort()
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	w.ending, w.inTxn = false, false
	next := w.next
	w.next = nil
	if err != nil {
		w.failLocked(err)
		settle(txn, err)
		settle(next, err)
		return err
	}
	for _, s := range txn {
		s.p.Settle(1, nil)
		s.recycle()
	}
	for _, s := range next {
		if err := w.refusal(); err != nil {
			s.p.Settle(1, err)
			continue
		}
		w.produce(s)
	}
	return nil
}

// end flushes the transaction's records and commits it; on any failure it
// aborts it and returns the failure, classified.
func (w *Writer) end(ctx context.Context, txn []*submission) error {
	err := w.cl.Flush(ctx)
	if err == nil {
		err = w.firstRecordErr()
	}
	if err == nil {
		if err = w.cl.EndTransaction(ctx, kgo.TryCommit); err == nil {
			return nil
		}
		err = fmt.Errorf("committing: %w", err)
	}
	w.abort()
	return w.classify(err, txn)
}

// abort ends the broker's transaction now, rather than at its timeout, so
// that read_committed consumers are not held back; franz-go first waits for
// the records in flight. A fenced producer cannot abort: the new owner's
// open already did.
func (w *Writer) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	_ = w.cl.AbortBufferedRecords(ctx)
	_ = w.cl.EndTransaction(ctx, kgo.TryAbort)
}

func settle(subs []*submission, err error) {
	for _, s := range subs {
		s.p.Settle(1, err)
	}
}

// fail records the Writer's first error: later Submits are refused, the
// open transaction will not commit.
func (w *Writer) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.failLocked(err)
}

func (w *Writer) failLocked(err error) {
	if w.failed == nil {
		w.failed = err
	}
}

// Close aborts the open transaction, fails the Pendings not yet done with
// ErrClosed (or the Writer's failure), and closes the connections. A Commit
// running finishes first. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	first := !w.closed
	w.closed = true
	w.mu.Unlock()
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	if !first {
		return nil
	}
	w.mu.Lock()
	txn, inTxn, err := w.txn, w.inTxn, w.failed
	w.txn, w.inTxn = nil, false
	w.mu.Unlock()
	if err == nil {
		err = kafkarecord.ErrClosed
	}
	if inTxn {
		w.abort()
	}
	w.cl.Close()
	settle(txn, err)
	return nil
}
