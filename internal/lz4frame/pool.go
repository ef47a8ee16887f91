package lz4frame

import "sync"

// Pool keeps idle Encoders, at most a fixed number. Unlike a sync.Pool it
// is not emptied by garbage collections, which would bring back the cost
// of new buffers every few batches. Safe for concurrent use.
type Pool struct {
	mu   sync.Mutex
	idle []*Encoder
	max  int
}

// NewPool returns a Pool that keeps up to maxIdle encoders (about 130 KiB
// each).
func NewPool(maxIdle int) *Pool { return &Pool{max: maxIdle} }

// Get returns an idle Encoder, or a new one.
func (p *Pool) Get() *Encoder {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return e
	}
	return &Encoder{}
}

// Put returns e for reuse; it drops e's writer.
func (p *Pool) Put(e *Encoder) {
	e.Reset(nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) < p.max {
		p.idle = append(p.idle, e)
	}
}
