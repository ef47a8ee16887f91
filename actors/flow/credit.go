package flow

import (
	"context"
	"sync/atomic"
)

// Credit is one reader's byte credit. Its owner applies Released and Charged
// messages with Add; the reader takes from it with Take, or, when it reads
// inside a blocking call on its own goroutine (a snapshot shard), waits for
// credit with Wait. It is the bridge between an actor's mailbox and that
// goroutine, never shared between actors.
type Credit struct {
	avail  atomic.Int64
	notify chan struct{}
}

// NewCredit returns a credit of grant bytes.
func NewCredit(grant int64) *Credit {
	c := &Credit{notify: make(chan struct{}, 1)}
	c.avail.Store(grant)
	return c
}

// Add adds n bytes (negative for a charge) and wakes a waiting reader.
func (c *Credit) Add(n int64) {
	if c.avail.Add(n) > 0 {
		select {
		case c.notify <- struct{}{}:
		default:
		}
	}
}

// Available is the credit left; negative while a batch larger than the
// credit is in flight.
func (c *Credit) Available() int64 { return c.avail.Load() }

// Take takes n bytes. A batch larger than what is left goes through once the
// credit is positive, so a single row larger than the whole budget still
// flows, one at a time.
func (c *Credit) Take(n int64) { c.avail.Add(-n) }

// Wait blocks until the credit is positive or ctx ends, then takes n bytes.
func (c *Credit) Wait(ctx context.Context, n int64) error {
	for c.avail.Load() <= 0 {
		select {
		case <-c.notify:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	c.Take(n)
	return nil
}
