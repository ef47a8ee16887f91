package kafkarecord

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is the error of a submission to a closed writer.
var ErrClosed = errors.New("kafka writer closed")

// Pending is the outcome of one submission to a writer. It is done when
// every record of the submission is durable (acknowledged by all in-sync
// replicas and, for a transactional writer, committed) or when the
// submission failed; Err then says which.
type Pending struct {
	remaining atomic.Int64
	done      chan struct{}
	mu        sync.Mutex
	err       error
	abandon   func(error)
}

// NewPending returns a Pending that is done once n units are settled; the
// writer chooses the unit (a record, or the whole submission). abandon, when
// not nil, is called by Wait when its context ends first: it must make the
// writer stop sending, so that the wait ends.
func NewPending(n int, abandon func(error)) *Pending {
	p := &Pending{done: make(chan struct{}), abandon: abandon}
	p.remaining.Store(int64(n))
	return p
}

// Settled returns a Pending already done with err.
func Settled(err error) *Pending {
	p := &Pending{done: make(chan struct{}), err: err}
	close(p.done)
	return p
}

// FailAfter returns a Pending that is done, with err, once before is: the
// outcome of a submission whose head is written (before) and whose rest is
// refused with err.
func FailAfter(before *Pending, err error, abandon func(error)) *Pending {
	p := NewPending(1, abandon)
	go func() {
		<-before.Done()
		p.Settle(1, err)
	}()
	return p
}

// Done is closed when every record of the submission is settled.
func (p *Pending) Done() <-chan struct{} { return p.done }

// Err is the submission's error once Done is closed (nil on success).
func (p *Pending) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Wait blocks until the Pending is done and returns its error. If ctx ends
// first, the writer is made to stop sending and Wait still waits for its
// in-flight requests to settle, so that the caller may reuse the records'
// bytes when it returns.
func (p *Pending) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.Err()
	case <-ctx.Done():
	}
	if p.abandon != nil {
		p.abandon(ctx.Err())
	}
	<-p.done
	return p.Err()
}

// Settle settles n units, with err when they failed; the first error is
// kept. The writer calls it; the last unit makes the Pending done.
func (p *Pending) Settle(n int, err error) {
	if err != nil {
		p.mu.Lock()
		if p.err == nil {
			p.err = err
		}
		p.mu.Unlock()
	}
	if p.remaining.Add(int64(-n)) == 0 {
		close(p.done)
	}
}
