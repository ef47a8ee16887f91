package source

import (
	"context"
	"sync"
)

// Budget is a byte credit that snapshot shards wait on. Shards block in
// Acquire inside a chunk read (the read streams rows and must stop mid-chunk
// when out of credit); the coordinator calls Release when the checkpointer
// returns credit. The binlog reader does not use it: it never blocks, and
// keeps its credit as a plain counter in Progress.
type Budget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	avail int64
}

// NewBudget returns a budget of n bytes.
func NewBudget(n int64) *Budget {
	b := &Budget{avail: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Acquire takes n bytes, waiting while none are available. A request larger
// than what is left goes through once the budget is positive, so a single
// row bigger than the whole budget still flows (one at a time).
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.avail <= 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.cond.Wait()
	}
	b.avail -= n
	return nil
}

// Release returns n bytes.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	b.avail += n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// Available is the credit left (negative while an oversized row is in flight).
func (b *Budget) Available() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.avail
}
